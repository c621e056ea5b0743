// Small SQL expression helpers shared by the domains, and their TypeScript twins for a row already
// loaded. "The public can see this post" has exactly one definition in each language, here:
//
//   listed  = not deleted, status published or scheduled, with a publication time
//             (the database function post_is_listed() of migration 0008, which keeps the post counts)
//   public  = listed and its publication time has come           (isPublic / isPostPublic)
//   later   = listed and its publication time has not come yet   (isListedLater / isPostListedLater)
//
// so a scheduled post appears without a cron job, and "public count = kept count − later"
// (publicCountFromKept). test/server/post-visibility.test.ts proves the SQL helpers, the TypeScript
// functions and the trigger's function agree on every status and date.
import { sql, type ExpressionBuilder } from 'kysely';
import type { Db } from './create-db.js';
import type { Post, PostStatus } from './schema.js';
import type { Database } from './schema.js';

/** The statuses a post the public can see (now or later) has; the others never show. */
export const LISTED_STATUSES: readonly PostStatus[] = ['published', 'scheduled'];

/**
 * The one definition of "the public can see this post": published, or scheduled and its time has come,
 * and not deleted. `now` comes from the app clock so tests can move time without sleeping.
 */
export function isPublic(eb: ExpressionBuilder<Database, 'posts'>, now: Date) {
  return eb.and([
    eb('posts.deleted_at', 'is', null),
    eb('posts.status', 'in', LISTED_STATUSES),
    eb('posts.published_at', '<=', now),
  ]);
}

/**
 * Posts in the trigger-kept counts (migration 0008) that the public cannot see yet: scheduled for later.
 * Public count = kept count − these (publicCountFromKept); they are few and found through the public indexes.
 */
export function isListedLater(eb: ExpressionBuilder<Database, 'posts'>, now: Date) {
  return eb.and([
    eb('posts.deleted_at', 'is', null),
    eb('posts.status', 'in', LISTED_STATUSES),
    eb('posts.published_at', '>', now),
  ]);
}

/** Posts with this author (a row in post_authors): the person's page, feed and search filter. */
export function hasAuthor(eb: ExpressionBuilder<Database, 'posts'>, personId: number) {
  return eb.exists(eb.selectFrom('post_authors').select('post_authors.post_id').whereRef('post_authors.post_id', '=', 'posts.id').where('post_authors.person_id', '=', personId));
}

/** Posts with this tag (a row in post_tags): the tag's page, count and feed. */
export function hasTag(eb: ExpressionBuilder<Database, 'posts'>, tagId: number) {
  return eb.exists(eb.selectFrom('post_tags').select('post_tags.post_id').whereRef('post_tags.post_id', '=', 'posts.id').where('post_tags.tag_id', '=', tagId));
}

type Visibility = Pick<Post, 'status' | 'published_at' | 'deleted_at'>;

/** The TypeScript twin of post_is_listed() (migration 0008): counted by the triggers. */
export function isPostListed(post: Visibility): boolean {
  return post.deleted_at === null && LISTED_STATUSES.includes(post.status) && post.published_at !== null;
}

/** The TypeScript twin of `isPublic`, for a row already loaded. */
export function isPostPublic(post: Visibility, now: Date): boolean {
  return isPostListed(post) && post.published_at! <= now;
}

/** The TypeScript twin of `isListedLater`: listed, its time not come yet. */
export function isPostListedLater(post: Visibility, now: Date): boolean {
  return isPostListed(post) && post.published_at! > now;
}

/**
 * Public posts from a trigger-kept count (project_post_counts, tag_post_counts) and the number of
 * posts in it scheduled for later (`isListedLater`); either may be absent (no row, no later posts).
 */
export function publicCountFromKept(kept: number | string | null | undefined, later: number | string | null | undefined): number {
  return Number(kept ?? 0) - Number(later ?? 0);
}

/** Does the database answer? (The outage watch of plugins/error-pages.ts; throws while it does not.) */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
