// Small SQL expression helpers shared by the domains.
import { sql, type ExpressionBuilder } from 'kysely';
import type { Database } from './schema.js';

/**
 * The one definition of "the public can see this post": published, or scheduled and its time has come,
 * and not deleted. `now` comes from the app clock so tests can move time without sleeping.
 */
export function isPublic(eb: ExpressionBuilder<Database, 'posts'>, now: Date) {
  return eb.and([
    eb('posts.deleted_at', 'is', null),
    eb('posts.status', 'in', ['published', 'scheduled']),
    eb('posts.published_at', '<=', now),
  ]);
}

/**
 * Posts in the trigger-kept counts (migration 0008) that the public cannot see yet: scheduled for later.
 * Public count = kept count − these; they are few and found through the public indexes.
 */
export function isListedLater(eb: ExpressionBuilder<Database, 'posts'>, now: Date) {
  return eb.and([
    eb('posts.deleted_at', 'is', null),
    eb('posts.status', 'in', ['published', 'scheduled']),
    eb('posts.published_at', '>', now),
  ]);
}

/** Projects whose posts are listed publicly (all of them today; archived ones stay readable). */
export const nowSql = sql<Date>`now()`;
