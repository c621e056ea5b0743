// SQL for comments as the public sees them: approved only, threaded (plus, for the commenter alone, their
// own comments awaiting moderation). Private fields (email, address hash) are never selected for pages.
// Below: the look-ups the comment rules need, the pending counts for the dashboard, and the site-wide pause.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import type { CommentStatus, NewComment, Post, Project } from '../db/schema.js';

export interface PublicComment {
  id: number;
  parentId: number | null;
  depth: number;
  authorName: string;
  isTeamReply: boolean;
  authorHandle: string | null;
  /** The commenter's own web address (imported comments have one), only when it is an http(s) URL. */
  authorUrl: string | null;
  /** Trusted HTML: made by the one sanitizing renderer (markdown/render.ts: renderCommentHtml) and stored. */
  bodyHtmlTrusted: string;
  createdAt: Date;
  /** A moderator edited the text (shown as "edited by the team"). */
  editedByTeam: boolean;
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
      'comments.author_url',
      'comments.is_team_reply',
      'people.handle',
      'comments.body_html',
      'comments.created_at',
      'comments.status',
      'comments.edited_at',
    ])
    .where('comments.post_id', '=', postId)
    // Webmentions (responses from other sites) are shown in their own section, not the thread.
    .where('comments.webmention_id', 'is', null)
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
      authorUrl: commenterUrl(r.author_url),
      bodyHtmlTrusted: r.body_html,
      createdAt: r.created_at,
      editedByTeam: r.edited_at !== null,
      ...(r.status !== 'approved' ? { awaitingModeration: true } : {}),
      replies: [],
    })),
  );
}

/**
 * A commenter's web address as a link target: an absolute http or https URL (re-serialized by the URL
 * parser, so it carries no raw spaces or quotes), else null. The column's CHECK says the same, but a page
 * must not rely on that: javascript:, data: and anything that does not parse are never linked.
 */
export function commenterUrl(raw: string | null | undefined): string | null {
  if (!raw || raw.length > 2000) return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password) return null;
  return url.href;
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
    .where('webmention_id', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * For openness: how many comments on a post a person decided not to publish (rejected, or marked as spam
 * by a moderator). Spam caught by the rules alone (too fast, duplicate, honeypot…) is not counted: nobody
 * read it, and a bot's hundred tries would otherwise read as a hundred silenced people. (Index: migration 0011.)
 */
export async function countWithheldComments(db: Db, postId: number): Promise<number> {
  const row = await db
    .selectFrom('comments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('post_id', '=', postId)
    .where('webmention_id', 'is', null)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'rejected'),
        eb.and([
          eb('status', '=', 'spam'),
          eb.exists(
            eb.selectFrom('moderation_log as l')
              .select('l.id')
              .whereRef('l.comment_id', '=', 'comments.id')
              .where('l.actor_id', 'is not', null)
              .where('l.new_status', '=', 'spam'),
          ),
        ]),
      ]),
    )
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

export type CommentTargetPost = Pick<Post, 'id' | 'slug' | 'status' | 'published_at' | 'first_published_at' | 'comments_open' | 'deleted_at'>;

export interface CommentTarget {
  project: Project;
  /** Undefined when the project has no post with this slug. */
  post: CommentTargetPost | undefined;
  /** The site-wide pause setting, its raw stored value. */
  pause: unknown;
  /** Digest of all of the above that the rules read (migration 0009): lets a copy be kept and checked later. */
  stamp: string;
}

/** Everything a comment POST needs to know before the rules run, in one query. */
export async function findCommentTarget(db: Db, projectSlug: string, postSlug: string, pauseKey: string): Promise<CommentTarget | undefined> {
  const row = await db
    .selectFrom('projects')
    .leftJoin('posts', (join) => join.onRef('posts.project_id', '=', 'projects.id').on('posts.slug', '=', postSlug).on('posts.deleted_at', 'is', null))
    .selectAll('projects')
    .select([
      'posts.id as post_id',
      'posts.slug as post_slug',
      'posts.status as post_status',
      'posts.published_at as post_published_at',
      'posts.first_published_at as post_first_published_at',
      'posts.comments_open as post_comments_open',
      'posts.deleted_at as post_deleted_at',
    ])
    .select((eb) => eb.selectFrom('site_settings').select('value').where('key', '=', pauseKey).as('pause'))
    .select(sql<string>`pb_comment_target_stamp(projects.id, posts.id)`.as('stamp'))
    .where('projects.slug', '=', projectSlug)
    .executeTakeFirst();
  if (!row) return undefined;
  const { post_id, post_slug, post_status, post_published_at, post_first_published_at, post_comments_open, post_deleted_at, pause, stamp, ...project } = row;
  const post =
    post_id === null || post_slug === null || post_status === null || post_comments_open === null
      ? undefined
      : { id: post_id, slug: post_slug, status: post_status, published_at: post_published_at, first_published_at: post_first_published_at, comments_open: post_comments_open, deleted_at: post_deleted_at };
  return { project, post, pause, stamp };
}

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
    .where('webmention_id', 'is', null)
    .executeTakeFirst();
  return row && { id: row.id, depth: row.depth, parentId: row.parent_id, authorName: row.author_name };
}

/** What the database function pb_accept_comment_v2 (migrations 0007, 0012) needs; see submitComment. */
export interface AcceptCommentArgs {
  /** The stamp of a kept copy of the comment's target, checked before anything is stored; null: just read. */
  stamp: string | null;
  lockKey: string;
  projectId: number;
  rateLimit: number;
  rateSince: Date;
  checkKnown: boolean;
  /** The rules' decision for each answer, at index teamIdentity * 4 + duplicate * 2 + knownCommenter (migration 0012). */
  decisions: Array<{ status: CommentStatus; reasons: string[]; action: string }>;
  comment: Omit<NewComment, 'status' | 'hold_reasons' | 'approved_at' | 'decided_at' | 'created_at'> & { created_at: Date };
}

export type AcceptedComment =
  | { id: number; status: Extract<CommentStatus, 'approved' | 'pending' | 'spam'>; reasons: string[] }
  | { id: null; status: 'rate-limited' | 'stale'; reasons: string[] };

/**
 * Checks and stores a public comment with its log entry, in one statement (one round trip). Nothing is
 * stored when the target's rows no longer match `stamp` ('stale').
 */
export async function acceptComment(db: Db, a: AcceptCommentArgs): Promise<AcceptedComment> {
  const { rows } = await sql<{ id: string | null; status: string; reasons: string[] }>`/* prepare pb_accept_current_comment_v2 */
    SELECT id, status, reasons FROM pb_accept_current_comment_v2(
      ${a.stamp}, ${a.lockKey}, ${a.projectId}, ${a.rateLimit}, ${a.rateSince}, ${a.checkKnown},
      ${JSON.stringify(a.decisions)}::jsonb, ${JSON.stringify(a.comment)}::jsonb)
  `.execute(db);
  const row = rows[0]!;
  if (row.status === 'rate-limited' || row.status === 'stale') return { id: null, status: row.status, reasons: [] };
  return { id: Number(row.id), status: row.status as 'approved' | 'pending' | 'spam', reasons: row.reasons };
}

/**
 * A comment from a signed-in member of the project's team: under their profile's name and email, badged,
 * linked to the person, published at once (the team does not hold its own words), logged. Not the public
 * one-round-trip path: members are few, and their comments rare.
 */
export async function insertTeamComment(
  db: Db,
  c: { projectId: number; postId: number; parentId: number | null; depth: number; person: { id: number; displayName: string; email: string }; body: string; bodyHtml: string; renderedVersion: number; now: Date },
): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('comments')
      .values({
        post_id: c.postId,
        parent_id: c.parentId,
        depth: c.depth,
        status: 'approved',
        author_name: c.person.displayName,
        author_email: c.person.email,
        person_id: c.person.id,
        is_team_reply: true,
        body_src: c.body,
        body_html: c.bodyHtml,
        rendered_version: c.renderedVersion,
        created_at: c.now,
        approved_at: c.now,
        decided_at: c.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('moderation_log')
      .values({ comment_id: row.id, project_id: c.projectId, actor_id: c.person.id, action: 'team-comment', reason: null, previous_status: null, new_status: 'approved', created_at: c.now })
      .execute();
    return row.id;
  });
}

// ---------------------------------------------------------------- the site-wide pause

/** The site_settings key of the site-wide pause (its NOTIFY drops every kept comment target). */
export const PAUSE_KEY = 'comments_paused';

export interface CommentsPause {
  message: string;
  since: string;
}

export async function findCommentsPause(db: Db): Promise<CommentsPause | undefined> {
  const row = await db.selectFrom('site_settings').select('value').where('key', '=', PAUSE_KEY).executeTakeFirst();
  return readCommentsPause(row?.value);
}

/** The stored value of the pause setting, as read from site_settings. */
export function readCommentsPause(value: unknown): CommentsPause | undefined {
  const v = value as Partial<CommentsPause> | null | undefined;
  return v && typeof v === 'object' ? { message: String(v.message ?? ''), since: String(v.since ?? '') } : undefined;
}

export async function setCommentsPause(db: Db, message: string, now: Date): Promise<void> {
  const value = JSON.stringify({ message, since: now.toISOString() });
  await db
    .insertInto('site_settings')
    .values({ key: PAUSE_KEY, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}

export async function clearCommentsPause(db: Db): Promise<void> {
  await db.deleteFrom('site_settings').where('key', '=', PAUSE_KEY).execute();
}
