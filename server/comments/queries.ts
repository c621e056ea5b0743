// SQL for comments as the public sees them: approved only, threaded (plus, for the commenter alone, their
// own comments awaiting moderation). Private fields (email, address hash) are never selected for pages.
// Below: the look-ups the comment rules need, and the pending counts for the dashboard.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import type { CommentStatus, NewComment } from '../db/schema.js';

export interface PublicComment {
  id: number;
  parentId: number | null;
  depth: number;
  authorName: string;
  isTeamReply: boolean;
  authorHandle: string | null;
  bodyHtml: string;
  createdAt: Date;
  /** Only ever true for the commenter's own comment (ids from their signed cookie). */
  awaitingModeration?: boolean;
  replies: PublicComment[];
}

/**
 * Approved comments of a post as a tree. `ownIds` (from the commenter's signed cookie) adds their own
 * comments that are not decided yet, marked awaitingModeration; never pass ids from anywhere else.
 */
export async function listApprovedComments(db: Db, postId: number, ownIds: number[] = []): Promise<PublicComment[]> {
  const rows = await db
    .selectFrom('comments')
    .leftJoin('people', 'people.id', 'comments.person_id')
    .select([
      'comments.id',
      'comments.parent_id',
      'comments.depth',
      'comments.author_name',
      'comments.is_team_reply',
      'people.handle',
      'comments.body_html',
      'comments.created_at',
      'comments.status',
    ])
    .where('comments.post_id', '=', postId)
    .where((eb) =>
      ownIds.length > 0
        ? eb.or([eb('comments.status', '=', 'approved'), eb.and([eb('comments.id', 'in', ownIds), eb('comments.status', 'in', ['pending', 'spam'])])])
        : eb('comments.status', '=', 'approved'),
    )
    .orderBy('comments.created_at')
    .orderBy('comments.id')
    .execute();
  return threadComments(
    rows.map((r) => ({
      id: r.id,
      parentId: r.parent_id,
      depth: r.depth,
      authorName: r.author_name,
      isTeamReply: r.is_team_reply,
      authorHandle: r.is_team_reply ? r.handle : null,
      bodyHtml: r.body_html,
      createdAt: r.created_at,
      ...(r.status !== 'approved' ? { awaitingModeration: true } : {}),
      replies: [],
    })),
  );
}

/**
 * Builds the reply tree from a flat, oldest-first list. A reply whose parent is not shown (held,
 * rejected) is lifted to the nearest shown level so that an approved comment is never hidden.
 */
export function threadComments(flat: PublicComment[]): PublicComment[] {
  const byId = new Map(flat.map((c) => [c.id, c]));
  const roots: PublicComment[] = [];
  for (const c of flat) {
    const parent = c.parentId !== null ? byId.get(c.parentId) : undefined;
    if (parent) parent.replies.push(c);
    else roots.push(c);
  }
  return roots;
}

/** Comments in a tree that the public sees (not the commenter's own awaiting ones). */
export function countPublished(comments: PublicComment[]): number {
  return comments.reduce((n, c) => n + (c.awaitingModeration ? 0 : 1) + countPublished(c.replies), 0);
}

export async function countApprovedComments(db: Db, postId: number): Promise<number> {
  const row = await db
    .selectFrom('comments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('post_id', '=', postId)
    .where('status', '=', 'approved')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** For openness: how many comments on a post were not published under the comment policy. */
export async function countWithheldComments(db: Db, postId: number): Promise<number> {
  const row = await db
    .selectFrom('comments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('post_id', '=', postId)
    .where('status', 'in', ['rejected', 'spam'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface PendingSummary {
  pending: number;
  /** When the longest-waiting pending comment arrived; null when none wait. */
  oldestAt: Date | null;
}

/** Pending comments per project (for the dashboard and the moderation queue). Every asked id is in the map. */
export async function countPendingComments(db: Db, projectIds: number[]): Promise<Map<number, PendingSummary>> {
  const map = new Map<number, PendingSummary>(projectIds.map((id) => [id, { pending: 0, oldestAt: null }]));
  if (projectIds.length === 0) return map;
  const rows = await db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .select(['posts.project_id', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('comments.created_at').as('oldest')])
    .where('posts.project_id', 'in', projectIds)
    .where('comments.status', '=', 'pending')
    .groupBy('posts.project_id')
    .execute();
  for (const r of rows) map.set(r.project_id, { pending: Number(r.n), oldestAt: r.oldest ? new Date(r.oldest as Date) : null });
  return map;
}

// ---------------------------------------------------------------- look-ups for the comment rules

export interface ReplyTarget {
  id: number;
  depth: number;
  parentId: number | null;
  authorName: string;
}

/** An approved comment of this post that may be replied to. */
export async function findReplyTarget(db: Db, postId: number, commentId: number): Promise<ReplyTarget | undefined> {
  const row = await db
    .selectFrom('comments')
    .select(['id', 'depth', 'parent_id', 'author_name'])
    .where('id', '=', commentId)
    .where('post_id', '=', postId)
    .where('status', '=', 'approved')
    .executeTakeFirst();
  return row && { id: row.id, depth: row.depth, parentId: row.parent_id, authorName: row.author_name };
}

/** Comments received from one address (salted hash) in a project since a time: the rate limit, shared by every server. */
export async function countRecentFromAddress(db: Db | Tx, projectId: number, ipHash: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('posts.project_id', '=', projectId)
    .where('comments.ip_hash', '=', ipHash)
    .where('comments.created_at', '>', since)
    .where('comments.is_team_reply', '=', false)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The same email already sent the same text on this post (any status). */
export async function hasDuplicate(db: Db | Tx, postId: number, email: string, body: string): Promise<boolean> {
  const row = await db
    .selectFrom('comments')
    .select('id')
    .where('post_id', '=', postId)
    .where(sql<string>`lower(author_email)`, '=', email.toLowerCase())
    .where('body_src', '=', body)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The email has an approved comment somewhere in the project. */
export async function hasApprovedInProject(db: Db | Tx, projectId: number, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .select('comments.id')
    .where('posts.project_id', '=', projectId)
    .where(sql<string>`lower(comments.author_email)`, '=', email.toLowerCase())
    .where('comments.status', '=', 'approved')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Inserts a comment and its moderation-log entry (decided by the rules, no actor) in one statement. */
export async function insertCommentWithLog(
  tx: Tx,
  values: NewComment,
  log: { project_id: number; action: string; reason: string | null },
): Promise<{ id: number; status: CommentStatus }> {
  return tx
    .with('c', (db) => db.insertInto('comments').values(values).returning(['id', 'status', 'created_at']))
    .with('l', (db) =>
      db.insertInto('moderation_log').columns(['comment_id', 'project_id', 'actor_id', 'action', 'reason', 'previous_status', 'new_status', 'created_at'])
        .expression((eb) =>
          eb.selectFrom('c').select((c) => [
            'c.id',
            c.val(log.project_id).as('project_id'),
            c.val(null).as('actor_id'),
            c.val(log.action).as('action'),
            c.val(log.reason).as('reason'),
            c.val(null).as('previous_status'),
            'c.status',
            'c.created_at',
          ]),
        )
        .returning('id'),
    )
    .selectFrom('c')
    .select(['c.id', 'c.status'])
    .executeTakeFirstOrThrow() as Promise<{ id: number; status: CommentStatus }>;
}
