// Receiving a public comment: the rules (rules.ts) applied to what the database knows, then the comment
// and its log entry committed together. Also the small signed tokens the comment form relies on: the
// render timestamp, the commenter's own-comments cookie and the salted address hash.
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/create-db.js';
import type { CommentStatus, Post, Project } from '../db/schema.js';
import { RENDERER_VERSION, renderCommentHtml } from '../markdown/render.js';
import type { ProjectSettings } from '../projects/settings.js';
import { countRecentFromAddress, findReplyTarget, hasApprovedInProject, hasDuplicate, insertCommentWithLog } from './queries.js';
import { commentsClosed, decideComment, placeReply, type ClosedState, type CommentInput } from './rules.js';

export const OWN_COMMENTS_COOKIE = 'pb_own_comments';
const OWN_COMMENTS_MAX = 30;
const OWN_COMMENTS_MAX_AGE = 30 * 86_400; // seconds
const RATE_WINDOW_MS = 10 * 60_000;
export const PAUSE_KEY = 'comments_paused';

// ---------------------------------------------------------------- the site-wide pause

export interface CommentsPause {
  message: string;
  since: string;
}

export async function findCommentsPause(db: Db): Promise<CommentsPause | undefined> {
  const row = await db.selectFrom('site_settings').select('value').where('key', '=', PAUSE_KEY).executeTakeFirst();
  const v = row?.value as Partial<CommentsPause> | null | undefined;
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

/** Why comments on this post are closed right now, or undefined. */
export async function closedStateOf(app: FastifyInstance, project: Project, post: Post, settings: ProjectSettings): Promise<ClosedState | undefined> {
  const pause = await findCommentsPause(app.readDb);
  return commentsClosed({
    pauseMessage: pause?.message,
    projectStatus: project.status,
    postCommentsOpen: post.comments_open,
    publishedAt: post.first_published_at ?? post.published_at,
    autoCloseDays: settings.autoCloseDays,
    now: app.clock.now(),
  });
}

// ---------------------------------------------------------------- signed values

/** Seconds since a signed render timestamp; undefined when missing, forged or from the future. */
export function secondsSinceRender(app: FastifyInstance, signed: unknown, now: Date): number | undefined {
  if (typeof signed !== 'string' || signed.length > 200) return undefined;
  const result = app.unsignCookie(signed);
  if (!result.valid || result.value === null || !/^\d{1,15}$/.test(result.value)) return undefined;
  const seconds = (now.getTime() - Number(result.value)) / 1000;
  return seconds < -5 ? undefined : Math.max(0, seconds);
}

/** Ids from the commenter's signed cookie (their own comments, so they can see them awaiting moderation). */
export function readOwnCommentIds(request: FastifyRequest): number[] {
  const raw = request.cookies[OWN_COMMENTS_COOKIE];
  if (!raw) return [];
  const result = request.unsignCookie(raw);
  if (!result.valid || !result.value) return [];
  return result.value
    .split('.')
    .filter((s) => /^\d{1,12}$/.test(s))
    .map(Number)
    .slice(-OWN_COMMENTS_MAX);
}

export function rememberOwnComment(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, id: number): void {
  const ids = [...readOwnCommentIds(request).filter((x) => x !== id), id].slice(-OWN_COMMENTS_MAX);
  reply.setCookie(OWN_COMMENTS_COOKIE, ids.join('.'), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: app.config.publicUrl.startsWith('https://'),
    signed: true,
    maxAge: OWN_COMMENTS_MAX_AGE,
  });
}

/** A keyed hash of the address: the same address gives the same hash on every server, the address is not stored. */
export function hashAddress(secret: string, ip: string): string {
  return createHmac('sha256', secret).update(`comment-address:${ip}`).digest('hex').slice(0, 32);
}

// ---------------------------------------------------------------- receiving a comment

export interface Submission {
  input: CommentInput;
  parentId: number | undefined;
  honeypot: string;
  renderedAt: unknown;
  ipHash: string;
  userAgent: string | undefined;
}

export type SubmitResult =
  | { kind: 'rate-limited' }
  | { kind: 'bad-parent' }
  | { kind: 'saved'; id: number; status: CommentStatus; reasons: string[] };

/**
 * Applies the rules and stores the comment (validation and the closed check are the caller's). The rate
 * limit is counted and the comment inserted under a per-address lock, so parallel posts cannot slip past it.
 */
export async function submitComment(
  app: FastifyInstance,
  project: Project,
  post: Post,
  settings: ProjectSettings,
  s: Submission,
): Promise<SubmitResult> {
  const now = app.clock.now();
  let placement: { parentId: number | null; depth: number } = { parentId: null, depth: 1 };
  if (s.parentId !== undefined) {
    const parent = await findReplyTarget(app.db, post.id, s.parentId);
    if (!parent) return { kind: 'bad-parent' };
    placement = placeReply(parent);
  }
  // Rendered before the transaction opens, so the lock below is held for database work only.
  const bodyHtml = renderCommentHtml(s.input.body);
  return app.db.transaction().execute(async (tx) => {
    // Serialise what the checks below must see consistently: with a rate limit, everything from one
    // address (so a burst cannot slip past the count); without one, only the same text from the same
    // email on the same post (so a double submit is still caught as a duplicate).
    const lockKey = settings.commentsPerTenMinutes > 0
      ? `comment-rate:${s.ipHash}`
      : `comment-dup:${post.id}:${s.input.email.toLowerCase()}:${s.input.body}`;
    await sql`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`.execute(tx);
    if (settings.commentsPerTenMinutes > 0) {
      const recent = await countRecentFromAddress(tx, project.id, s.ipHash, new Date(now.getTime() - RATE_WINDOW_MS));
      if (recent >= settings.commentsPerTenMinutes) return { kind: 'rate-limited' } as const;
    }
    const [duplicate, knownCommenter] = await Promise.all([
      hasDuplicate(tx, post.id, s.input.email, s.input.body),
      settings.commentPolicy === 'hold-first-time' ? hasApprovedInProject(tx, project.id, s.input.email) : Promise.resolve(false),
    ]);
    const decision = decideComment(s.input, settings, {
      honeypotFilled: s.honeypot.trim() !== '',
      secondsSinceRender: secondsSinceRender(app, s.renderedAt, now),
      duplicate,
      knownCommenter,
    });
    // The comment and the rules' decision in one statement: the log tells the whole story (actor_id
    // null means the rules decided), at the cost of one round trip.
    const row = await insertCommentWithLog(
      tx,
      {
        post_id: post.id,
        parent_id: placement.parentId,
        depth: placement.depth,
        status: decision.status,
        author_name: s.input.name,
        author_email: s.input.email.toLowerCase(),
        body_src: s.input.body,
        body_html: bodyHtml,
        rendered_version: RENDERER_VERSION,
        ip_hash: s.ipHash,
        user_agent: s.userAgent?.slice(0, 300) ?? null,
        hold_reasons: decision.reasons,
        created_at: now,
        approved_at: decision.status === 'approved' ? now : null,
        decided_at: decision.status === 'pending' ? null : now,
      },
      {
        project_id: project.id,
        action: decision.status === 'approved' ? 'auto-approve' : decision.status === 'spam' ? 'auto-spam' : 'auto-hold',
        reason: decision.reasons.join(', ') || null,
      },
    );
    return { kind: 'saved', id: row.id, status: row.status, reasons: decision.reasons } as const;
  });
}
