// SQL for moderation: who may moderate what, the queue, decisions with their log entries, the log, and
// the private feed tokens. Decisions change a comment and append to moderation_log in one transaction.
import { createHash } from 'node:crypto';
import { sql, type ExpressionBuilder } from 'kysely';
import { roleAllows } from '../auth/roles.js';
import type { Db } from '../db/create-db.js';
import { hasAuthor } from '../db/sql-helpers.js';
import type { CommentStatus, Database, Role } from '../db/schema.js';
import { RENDERER_VERSION, renderCommentHtml } from '../markdown/render.js';
import type { SignedInUser } from '../auth/signed-in-user.js';
import { placeReply } from '../comments/rules.js';

/** What a person may moderate: whole projects, and projects where only their own posts count (authors). */
export interface ModerationScope {
  userId: number;
  all: boolean;
  projectIds: number[];
  ownPostProjectIds: number[];
}

export async function moderationScope(db: Db, user: SignedInUser): Promise<ModerationScope> {
  if (user.isSiteAdmin) return { userId: user.id, all: true, projectIds: [], ownPostProjectIds: [] };
  const rows = await db.selectFrom('memberships').select(['project_id', 'role']).where('person_id', '=', user.id).execute();
  return {
    userId: user.id,
    all: false,
    projectIds: rows.filter((r) => roleAllows(r.role, user, 'moderate')).map((r) => r.project_id),
    ownPostProjectIds: rows.filter((r) => authorOnly(r.role, user)).map((r) => r.project_id),
  };
}

/** Authors moderate comments on their own posts only; contributors (who cannot publish) do not. */
function authorOnly(role: Role, user: SignedInUser): boolean {
  return !roleAllows(role, user, 'moderate') && roleAllows(role, user, 'publish-own');
}

export function isScopeEmpty(scope: ModerationScope): boolean {
  return !scope.all && scope.projectIds.length === 0 && scope.ownPostProjectIds.length === 0;
}

/** WHERE for a query that joins posts: the comments this scope may moderate. */
function inScope(scope: ModerationScope) {
  return (eb: ExpressionBuilder<Database, 'posts'>) => {
    if (scope.all) return eb.lit(true);
    const parts = [];
    if (scope.projectIds.length > 0) parts.push(eb('posts.project_id', 'in', scope.projectIds));
    if (scope.ownPostProjectIds.length > 0) {
      parts.push(
        eb.and([
          eb('posts.project_id', 'in', scope.ownPostProjectIds),
          hasAuthor(eb, scope.userId),
        ]),
      );
    }
    return parts.length > 0 ? eb.or(parts) : eb.lit(false);
  };
}

export interface ModerableProject {
  id: number;
  slug: string;
  title: string;
  settings: Record<string, unknown>;
}

export async function listModerableProjects(db: Db, scope: ModerationScope): Promise<ModerableProject[]> {
  if (isScopeEmpty(scope)) return [];
  let q = db.selectFrom('projects').select(['id', 'slug', 'title', 'settings']).orderBy('title');
  if (!scope.all) q = q.where('id', 'in', [...scope.projectIds, ...scope.ownPostProjectIds]);
  return q.execute();
}

export interface QueueItem {
  id: number;
  status: CommentStatus;
  authorName: string;
  authorEmail: string;
  ipHash: string | null;
  bodySrc: string;
  bodyHtml: string;
  holdReasons: string[];
  createdAt: Date;
  /** Last change (an edit while it waits). */
  updatedAt: Date;
  depth: number;
  isTeamReply: boolean;
  postId: number;
  postTitle: string;
  postSlug: string;
  projectId: number;
  projectSlug: string;
  projectTitle: string;
  /** A webmention (a response from another site, server/responses): its source page and kind. */
  webmention: { source: string; kind: string | null; authorUrl: string | null } | null;
}

/** The queue, oldest first, across everything the scope may moderate. */
export async function listQueue(
  db: Db,
  scope: ModerationScope,
  filter: { projectId?: number; status: CommentStatus },
  limit = 200,
): Promise<QueueItem[]> {
  if (isScopeEmpty(scope)) return [];
  let q = db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .leftJoin('webmentions', 'webmentions.id', 'comments.webmention_id')
    .select([
      'webmentions.source as wm_source',
      'webmentions.kind as wm_kind',
      'webmentions.author_url as wm_author_url',
      'comments.id',
      'comments.status',
      'comments.author_name',
      'comments.author_email',
      'comments.ip_hash',
      'comments.body_src',
      'comments.body_html',
      'comments.hold_reasons',
      'comments.created_at',
      'comments.updated_at',
      'comments.depth',
      'comments.is_team_reply',
      'posts.id as post_id',
      'posts.title as post_title',
      'posts.slug as post_slug',
      'projects.id as project_id',
      'projects.slug as project_slug',
      'projects.title as project_title',
    ])
    .where(inScope(scope))
    .where('comments.status', '=', filter.status)
    .where('posts.deleted_at', 'is', null);
  if (filter.projectId !== undefined) q = q.where('posts.project_id', '=', filter.projectId);
  const rows = await q.orderBy('comments.created_at').orderBy('comments.id').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    authorName: r.author_name,
    authorEmail: r.author_email,
    ipHash: r.ip_hash,
    bodySrc: r.body_src,
    bodyHtml: r.body_html,
    holdReasons: r.hold_reasons,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    depth: r.depth,
    isTeamReply: r.is_team_reply,
    postId: r.post_id,
    postTitle: r.post_title,
    postSlug: r.post_slug,
    projectId: r.project_id,
    projectSlug: r.project_slug,
    projectTitle: r.project_title,
    webmention: r.wm_source ? { source: r.wm_source, kind: r.wm_kind, authorUrl: r.wm_author_url } : null,
  }));
}

/**
 * When a moderator's queue last lost or renamed something, from the traces that leaves (the comments
 * still waiting say themselves when they came and changed): a decision on a waiting comment
 * (moderation_log, previous_status 'pending'), a post deleted or renamed, a project renamed, the person's
 * team changes (memberships, and people.updated_at for a role changed or taken away). Wider than the
 * queue (e.g. decisions on comments an author-only moderator does not see): it may move when the queue
 * did not, never the other way. Nothing after `now` counts yet.
 */
export async function moderationQueueChanged(db: Db, scope: ModerationScope, now: Date): Promise<Date | null> {
  const projectIds = [...scope.projectIds, ...scope.ownPostProjectIds];
  const none = !scope.all && projectIds.length === 0;
  const inProjects = (column: string) => (scope.all ? sql`true` : none ? sql`false` : sql`${sql.ref(column)} IN (${sql.join(projectIds)})`);
  const { rows } = await sql<{ changed: Date | null }>`
    SELECT greatest(
      (SELECT max(ml.created_at) FROM moderation_log ml
        WHERE ml.previous_status = 'pending' AND ml.created_at <= ${now} AND ${inProjects('ml.project_id')}),
      (SELECT max(p.updated_at) FROM posts p
        WHERE p.first_published_at IS NOT NULL AND p.updated_at <= ${now} AND ${inProjects('p.project_id')}),
      (SELECT max(pr.updated_at) FROM projects pr WHERE pr.updated_at <= ${now} AND ${inProjects('pr.id')}),
      (SELECT max(m.created_at) FROM memberships m WHERE m.person_id = ${scope.userId} AND m.created_at <= ${now}),
      (SELECT pe.updated_at FROM people pe WHERE pe.id = ${scope.userId} AND pe.updated_at <= ${now})
    ) AS changed
  `.execute(db);
  const changed = rows[0]?.changed;
  return changed ? new Date(changed) : null;
}

export interface CommentForModeration {
  id: number;
  status: CommentStatus;
  postId: number;
  projectId: number;
  projectSettings: Record<string, unknown>;
  depth: number;
  parentId: number | null;
  bodySrc: string;
  authorName: string;
}

export async function findCommentForModeration(db: Db, id: number): Promise<CommentForModeration | undefined> {
  const r = await db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select(['comments.id', 'comments.status', 'comments.post_id', 'posts.project_id', 'projects.settings', 'comments.depth', 'comments.parent_id', 'comments.body_src', 'comments.author_name'])
    .where('comments.id', '=', id)
    .executeTakeFirst();
  return (
    r && {
      id: r.id,
      status: r.status,
      postId: r.post_id,
      projectId: r.project_id,
      projectSettings: r.settings,
      depth: r.depth,
      parentId: r.parent_id,
      bodySrc: r.body_src,
      authorName: r.author_name,
    }
  );
}

/** The one permission check for every moderation action on a comment. */
export async function mayModerate(db: Db, scope: ModerationScope, comment: Pick<CommentForModeration, 'projectId' | 'postId'>): Promise<boolean> {
  if (scope.all || scope.projectIds.includes(comment.projectId)) return true;
  if (!scope.ownPostProjectIds.includes(comment.projectId)) return false;
  const own = await db
    .selectFrom('post_authors')
    .select('post_id')
    .where('post_id', '=', comment.postId)
    .where('person_id', '=', scope.userId)
    .executeTakeFirst();
  return own !== undefined;
}

export type Decision = 'approve' | 'reject' | 'spam' | 'delete';
const NEW_STATUS: Record<Decision, CommentStatus> = { approve: 'approved', reject: 'rejected', spam: 'spam', delete: 'deleted' };

export const DECIDED_STATUS = NEW_STATUS;

/** A comment someone else decided first: its status now, and who decided it (from the log). */
export interface DecisionConflict {
  comment: CommentForModeration;
  status: CommentStatus;
  by: { id: number; name: string } | null;
}

export interface DecisionOutcome {
  /** Changed and logged. */
  applied: number[];
  /** Already as asked (a double submit, or two moderators who agreed): neither changed nor logged. */
  unchanged: number[];
  /** Decided otherwise by someone else since the moderator looked: left alone, not logged. */
  conflicts: DecisionConflict[];
}

/**
 * Sets the status of comments (one or a selection) and logs each change, in one transaction. Each
 * update applies only if the comment still has the status the moderator saw (`seen`; without it, the
 * status read when the comment was loaded), so of two moderators deciding at once the second finds the
 * first's decision instead of overwriting it, and the log's previous status is always the true one.
 */
export async function decideComments(
  db: Db,
  comments: CommentForModeration[],
  actorId: number,
  decision: Decision,
  reason: string | null,
  now: Date,
  seen?: CommentStatus,
): Promise<DecisionOutcome> {
  const status = NEW_STATUS[decision];
  const outcome: DecisionOutcome = { applied: [], unchanged: [], conflicts: [] };
  await db.transaction().execute(async (tx) => {
    // In id order, so two selections decided at once lock their rows in the same order (no deadlock).
    for (const c of [...comments].sort((a, b) => a.id - b.id)) {
      const expected = seen ?? c.status;
      const updated =
        expected === status
          ? undefined
          : await tx
              .updateTable('comments')
              .set({
                status,
                decided_at: now,
                updated_at: now,
                ...(decision === 'approve' ? { approved_at: now } : {}),
              })
              .where('id', '=', c.id)
              .where('status', '=', expected)
              .returning('id')
              .executeTakeFirst();
      if (updated) {
        await tx
          .insertInto('moderation_log')
          .values({ comment_id: c.id, project_id: c.projectId, actor_id: actorId, action: decision, reason, previous_status: expected, new_status: status, created_at: now })
          .execute();
        outcome.applied.push(c.id);
        continue;
      }
      // Not as the moderator saw it: read what it is now (committed by whoever came first).
      const current = await tx.selectFrom('comments').select('status').where('id', '=', c.id).executeTakeFirst();
      if (!current || current.status === status) {
        outcome.unchanged.push(c.id);
        continue;
      }
      const last = await tx
        .selectFrom('moderation_log')
        .innerJoin('people', 'people.id', 'moderation_log.actor_id')
        .select(['people.id', 'people.display_name'])
        .where('moderation_log.comment_id', '=', c.id)
        .where('moderation_log.new_status', '=', current.status)
        .orderBy('moderation_log.id', 'desc')
        .executeTakeFirst();
      outcome.conflicts.push({ comment: c, status: current.status, by: last ? { id: last.id, name: last.display_name } : null });
    }
  });
  return outcome;
}

/** Edits a comment's text; the previous text is kept in the log. */
export async function editComment(db: Db, comment: CommentForModeration, actorId: number, body: string, reason: string | null, now: Date): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable('comments')
      .set({ body_src: body, body_html: renderCommentHtml(body), rendered_version: RENDERER_VERSION, updated_at: now, edited_at: now })
      .where('id', '=', comment.id)
      .execute();
    await tx
      .insertInto('moderation_log')
      .values({
        comment_id: comment.id,
        project_id: comment.projectId,
        actor_id: actorId,
        action: 'edit',
        reason,
        previous_status: comment.status,
        new_status: comment.status,
        previous_body: comment.bodySrc,
        created_at: now,
      })
      .execute();
  });
}

/** A reply from the project team: published at once, badged, linked to the person. */
export async function replyAsTeam(db: Db, parent: CommentForModeration, user: SignedInUser, body: string, now: Date): Promise<number> {
  const place = placeReply({ id: parent.id, depth: parent.depth, parentId: parent.parentId });
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('comments')
      .values({
        post_id: parent.postId,
        parent_id: place.parentId,
        depth: place.depth,
        status: 'approved',
        author_name: user.displayName,
        author_email: user.email,
        person_id: user.id,
        is_team_reply: true,
        body_src: body,
        body_html: renderCommentHtml(body),
        rendered_version: RENDERER_VERSION,
        created_at: now,
        approved_at: now,
        decided_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('moderation_log')
      .values({ comment_id: row.id, project_id: parent.projectId, actor_id: user.id, action: 'reply', reason: `reply to comment ${parent.id}`, previous_status: null, new_status: 'approved', created_at: now })
      .execute();
    return row.id;
  });
}

export interface LogEntry {
  id: number;
  commentId: number | null;
  actorName: string | null;
  action: string;
  reason: string | null;
  previousStatus: string | null;
  newStatus: string | null;
  previousBody: string | null;
  createdAt: Date;
  /** Where the comment is now: its post and status (null when the comment row is gone). */
  comment: { postSlug: string; status: CommentStatus } | null;
}

/** A project's moderation log, newest first; `before` pages back by id. */
export async function listModerationLog(db: Db, projectId: number, options: { before?: number; limit?: number } = {}): Promise<LogEntry[]> {
  let q = db
    .selectFrom('moderation_log')
    .leftJoin('people', 'people.id', 'moderation_log.actor_id')
    .leftJoin('comments', 'comments.id', 'moderation_log.comment_id')
    .leftJoin('posts', 'posts.id', 'comments.post_id')
    .select([
      'posts.slug as post_slug',
      'comments.status as comment_status',
      'moderation_log.id',
      'moderation_log.comment_id',
      'people.display_name',
      'moderation_log.action',
      'moderation_log.reason',
      'moderation_log.previous_status',
      'moderation_log.new_status',
      'moderation_log.previous_body',
      'moderation_log.created_at',
    ])
    .where('moderation_log.project_id', '=', projectId);
  if (options.before !== undefined) q = q.where('moderation_log.id', '<', options.before);
  const rows = await q.orderBy('moderation_log.id', 'desc').limit(options.limit ?? 100).execute();
  return rows.map((r) => ({
    id: r.id,
    commentId: r.comment_id,
    actorName: r.display_name,
    action: r.action,
    reason: r.reason,
    previousStatus: r.previous_status,
    newStatus: r.new_status,
    previousBody: r.previous_body,
    createdAt: r.created_at,
    comment: r.post_slug !== null && r.comment_status !== null ? { postSlug: r.post_slug, status: r.comment_status } : null,
  }));
}

// ---------------------------------------------------------------- private feed tokens

export function hashFeedToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Revokes the person's current token (one per moderator) and stores a new one's hash. */
export async function replaceFeedToken(db: Db, personId: number, token: string, now: Date): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('moderator_feed_tokens').set({ revoked_at: now }).where('person_id', '=', personId).where('revoked_at', 'is', null).execute();
    await tx.insertInto('moderator_feed_tokens').values({ token_hash: hashFeedToken(token), person_id: personId, created_at: now }).execute();
  });
}

export async function revokeFeedTokens(db: Db, personId: number, now: Date): Promise<void> {
  await db.updateTable('moderator_feed_tokens').set({ revoked_at: now }).where('person_id', '=', personId).where('revoked_at', 'is', null).execute();
}

export async function findActiveFeedToken(db: Db, personId: number): Promise<{ createdAt: Date } | undefined> {
  const row = await db
    .selectFrom('moderator_feed_tokens')
    .select('created_at')
    .where('person_id', '=', personId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return row && { createdAt: row.created_at };
}

/** The person behind an active feed token, as a signed-in user would be; undefined if unknown, revoked or disabled. */
export async function findFeedTokenUser(db: Db, token: string): Promise<SignedInUser | undefined> {
  const row = await db
    .selectFrom('moderator_feed_tokens')
    .innerJoin('people', 'people.id', 'moderator_feed_tokens.person_id')
    .select(['people.id', 'people.handle', 'people.display_name', 'people.email', 'people.is_site_admin'])
    .where('moderator_feed_tokens.token_hash', '=', hashFeedToken(token))
    .where('moderator_feed_tokens.revoked_at', 'is', null)
    .where('people.disabled_at', 'is', null)
    .executeTakeFirst();
  return row && { id: row.id, handle: row.handle, displayName: row.display_name, email: row.email, isSiteAdmin: row.is_site_admin };
}
