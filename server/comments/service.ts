// Receiving a public comment: the rules (rules.ts) applied to what the database knows, then the comment
// and its log entry committed together. Also the small signed tokens the comment form relies on: the
// render timestamp, the commenter's own-comments cookie and the salted address hash.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/create-db.js';
import type { CommentStatus, Post, Project } from '../db/schema.js';
import { RENDERER_VERSION, renderCommentHtml } from '../markdown/render.js';
import type { ProjectSettings } from '../projects/settings.js';
import { OneAtATime } from './one-at-a-time.js';
import { FORM_MAX_AGE_MS, UsedForms } from './used-forms.js';
import { acceptComment, findCommentsPause, findReplyTarget, insertTeamComment, type CommentsPause } from './queries.js';
import { commentsClosed, decideComment, placeReply, type ClosedState, type CommentInput } from './rules.js';

export const OWN_COMMENTS_COOKIE = 'pb_own_comments';
const OWN_COMMENTS_MAX = 30;
const OWN_COMMENTS_MAX_AGE = 30 * 86_400; // seconds
const RATE_WINDOW_MS = 10 * 60_000;

/** Why comments on this post are closed right now, or undefined. */
export async function closedStateOf(app: FastifyInstance, project: Project, post: Post, settings: ProjectSettings): Promise<ClosedState | undefined> {
  return closedStateWith(app.clock.now(), project, post, settings, await findCommentsPause(app.readDb));
}

/** The same at `now`, with the pause already read (it came with the post, see findCommentTarget). */
export function closedStateWith(
  now: Date,
  project: Project,
  post: Pick<Post, 'comments_open' | 'first_published_at' | 'published_at'>,
  settings: ProjectSettings,
  pause: CommentsPause | undefined,
): ClosedState | undefined {
  return commentsClosed({
    pauseMessage: pause?.message,
    projectStatus: project.status,
    postCommentsOpen: post.comments_open,
    publishedAt: post.first_published_at ?? post.published_at,
    autoCloseDays: settings.autoCloseDays,
    now,
  });
}

// ---------------------------------------------------------------- signed values

/** The signed render timestamp is genuine but older than FORM_MAX_AGE_MS: the form is refused, not judged. */
export function formExpired(app: FastifyInstance, signed: unknown, now: Date): boolean {
  const seconds = secondsSinceRender(app, signed, now);
  return seconds !== undefined && seconds * 1000 > FORM_MAX_AGE_MS;
}

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

// A random id per browser, in a signed long-lived cookie, stored with each comment it sends. Under "hold
// first-time commenters" an email is known only together with the browser that wrote the approved comment,
// so typing someone's email earns nothing (migration 0012). Made on the first comment; no page sets it.
export const COMMENTER_COOKIE = 'pb_commenter';
const COMMENTER_MAX_AGE = 400 * 86_400; // seconds: the longest browsers keep a cookie

/** The browser's commenter id from its signed cookie, or a new one (then set by rememberCommenter). */
export function commenterIdOf(request: FastifyRequest): { id: string; isNew: boolean } {
  const raw = request.cookies[COMMENTER_COOKIE];
  if (raw) {
    const result = request.unsignCookie(raw);
    if (result.valid && result.value && /^[A-Za-z0-9_-]{16,40}$/.test(result.value)) return { id: result.value, isNew: false };
  }
  return { id: randomBytes(18).toString('base64url'), isNew: true };
}

export function rememberCommenter(app: FastifyInstance, reply: FastifyReply, id: string): void {
  reply.setCookie(COMMENTER_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: app.config.publicUrl.startsWith('https://'),
    signed: true,
    maxAge: COMMENTER_MAX_AGE,
  });
}

/** A keyed hash of the address: the same address gives the same hash on every server, the address is not stored. */
export function hashAddress(secret: string, ip: string): string {
  return createHmac('sha256', secret).update(`comment-address:${ip}`).digest('hex').slice(0, 32);
}

// ---------------------------------------------------------------- the form's protection against forgery
//
// The public comment form is the one form not bound to a visitor's cookie, so that a post page is the
// same for every reader and can be served from the page cache and held by a CDN (a per-visitor CSRF
// token made every post page private, assembled per response). A post from another site is refused
// instead by what the browser says of the request's origin: Sec-Fetch-Site (every current browser),
// else Origin (all browsers since about 2019 on a POST), else Referer. The form also carries a signed
// token naming its post, so a post without the form (or to another post) is refused even from a tool
// that sends none of those headers. Forms for signed-in people keep per-session synchronizer tokens.

/** The comment form's token for a post: the same for every reader, signed with the site's secret. */
export function commentFormToken(app: FastifyInstance, postId: number): string {
  return app.signCookie(`comment-form:${postId}`);
}

/** The comment came from this site's form: its token is this post's, and the browser says it is same-origin. */
export function commentFormTrusted(app: FastifyInstance, request: FastifyRequest, postId: number, token: unknown): boolean {
  if (typeof token !== 'string' || token.length > 200) return false;
  const expected = commentFormToken(app, postId);
  if (token.length !== expected.length || !timingSafeEqual(Buffer.from(token), Buffer.from(expected))) return false;
  return sameOrigin(app, request);
}

function sameOrigin(app: FastifyInstance, request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  const origin = request.headers.origin;
  if (typeof origin === 'string') return isOurs(app, request, origin);
  const referer = request.headers.referer;
  if (typeof referer === 'string') return isOurs(app, request, referer);
  return true; // not a browser, or one too old to say: the signed form token is the check left
}

/** The URL's host is the one this request was sent to, or the configured public one. */
function isOurs(app: FastifyInstance, request: FastifyRequest, url: string): boolean {
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    return false; // "null" (a sandboxed frame, a data: URL) or garbage
  }
  const ours = [request.headers.host, new URL(app.config.publicUrl).host].map(withoutDefaultPort);
  return host !== '' && ours.includes(withoutDefaultPort(host));
}

/** "example.gov:443" and "example.gov" are the same site (a proxy may add the port to Host). */
function withoutDefaultPort(host: string | undefined): string | undefined {
  return host?.toLowerCase().replace(/:(80|443)$/, '');
}

// ---------------------------------------------------------------- receiving a comment

export interface Submission {
  input: CommentInput;
  parentId: number | undefined;
  honeypot: string;
  renderedAt: unknown;
  ipHash: string;
  userAgent: string | undefined;
  /** The stamp of the kept copy of the project and post this submission was checked against; null if just read. */
  stamp: string | null;
  /** The id in the commenter's signed cookie (commenterIdOf): what binds "known commenter" to a browser. */
  commenterId: string;
}

const usedForms = new WeakMap<FastifyInstance, UsedForms>();
function usedFormsOf(app: FastifyInstance): UsedForms {
  let used = usedForms.get(app);
  if (!used) usedForms.set(app, (used = new UsedForms()));
  return used;
}

const queues = new WeakMap<FastifyInstance, OneAtATime>();
function queueOf(app: FastifyInstance): OneAtATime {
  let queue = queues.get(app);
  if (!queue) queues.set(app, (queue = new OneAtATime()));
  return queue;
}

export type SubmitResult =
  | { kind: 'stale' }
  | { kind: 'rate-limited' }
  | { kind: 'bad-parent' }
  | { kind: 'saved'; id: number; status: CommentStatus; reasons: string[] };

/**
 * Applies the rules and stores the comment (validation and the closed check are the caller's), in one
 * round trip: the database function pb_accept_comment_v2 (migrations 0007, 0012) counts the rate limit, finds a
 * duplicate or a known commenter and inserts the comment with its log entry, all under a lock so that
 * parallel posts cannot slip past the checks. The rules are still decided here, for each possible
 * answer to the two questions only the database can settle. With a kept copy of the project and post
 * (`s.stamp`), the same statement first checks that they have not changed since, and stores nothing if
 * they have ('stale').
 */
export async function submitComment(
  app: FastifyInstance,
  project: Project,
  post: Pick<Post, 'id'>,
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
  const bodyHtml = renderCommentHtml(s.input.body);
  const sinceRender = secondsSinceRender(app, s.renderedAt, now);
  // One comment per form (render time and post) per address on this server: see used-forms.ts.
  const used = usedFormsOf(app);
  const formKey = sinceRender !== undefined ? `${post.id}:${s.ipHash}:${String(s.renderedAt)}` : undefined;
  const formReused = formKey !== undefined && !used.claim(formKey, now.getTime() + FORM_MAX_AGE_MS, now.getTime());
  const claimed = formKey !== undefined && !formReused ? formKey : undefined;
  let result: SubmitResult | undefined;
  try {
    result = await storeComment(app, project, post, settings, s, now, placement, bodyHtml, {
      honeypotFilled: s.honeypot.trim() !== '',
      secondsSinceRender: sinceRender,
      formReused,
    });
    return result;
  } finally {
    // Not stored (rate limit, a stale copy decided again, a failure): the form may be used again.
    if (claimed !== undefined && result?.kind !== 'saved') used.release(claimed);
  }
}

async function storeComment(
  app: FastifyInstance,
  project: Project,
  post: Pick<Post, 'id'>,
  settings: ProjectSettings,
  s: Submission,
  now: Date,
  placement: { parentId: number | null; depth: number },
  bodyHtml: string,
  signals: { honeypotFilled: boolean; secondsSinceRender: number | undefined; formReused: boolean },
): Promise<SubmitResult> {
  // Index = usesTeamIdentity * 4 + duplicate * 2 + knownCommenter, as the function reads it (migration 0012).
  const decisions = [false, true].flatMap((usesTeamIdentity) =>
    [false, true].flatMap((duplicate) =>
      [false, true].map((knownCommenter) => {
        const d = decideComment(s.input, settings, { ...signals, duplicate, knownCommenter, usesTeamIdentity });
        return { status: d.status, reasons: d.reasons, action: d.status === 'approved' ? 'auto-approve' : d.status === 'spam' ? 'auto-spam' : 'auto-hold' };
      }),
    ),
  );
  // Serialise what the checks must see consistently: with a rate limit, everything from one address (so
  // a burst cannot slip past the count); without one, only the same text from the same email on the
  // same post (so a double submit is still caught as a duplicate).
  const lockKey = settings.commentsPerTenMinutes > 0
    ? `comment-rate:${s.ipHash}`
    : `comment-dup:${post.id}:${s.input.email.toLowerCase()}:${s.input.body}`;
  // Past the limit already in flight from this address on this server: each of those will be stored and
  // counted, so this one would be refused; say so now, without a database round trip.
  const queue = queueOf(app);
  if (settings.commentsPerTenMinutes > 0 && queue.size(lockKey) >= settings.commentsPerTenMinutes) return { kind: 'rate-limited' };
  const row = await queue.run(lockKey, () => acceptComment(app.db, {
    stamp: s.stamp,
    lockKey,
    projectId: project.id,
    rateLimit: settings.commentsPerTenMinutes,
    rateSince: new Date(now.getTime() - RATE_WINDOW_MS),
    checkKnown: settings.commentPolicy === 'hold-first-time',
    decisions,
    comment: {
      post_id: post.id,
      parent_id: placement.parentId,
      depth: placement.depth,
      author_name: s.input.name,
      author_email: s.input.email.toLowerCase(),
      body_src: s.input.body,
      body_html: bodyHtml,
      rendered_version: RENDERER_VERSION,
      ip_hash: s.ipHash,
      user_agent: s.userAgent?.slice(0, 300) ?? null,
      commenter_id: s.commenterId,
      created_at: now,
    },
  }));
  if (row.id === null) return { kind: row.status };
  return { kind: 'saved', id: row.id, status: row.status, reasons: row.reasons };
}

// ---------------------------------------------------------------- a comment from the project team

/**
 * Stores a signed-in team member's comment (validation and the closed check are the caller's). A reply
 * goes below an approved comment of the post, as for anyone.
 */
export async function submitTeamComment(
  app: FastifyInstance,
  project: Project,
  post: Pick<Post, 'id'>,
  person: { id: number; displayName: string; email: string },
  body: string,
  parentId: number | undefined,
): Promise<{ kind: 'bad-parent' } | { kind: 'saved'; id: number }> {
  let placement: { parentId: number | null; depth: number } = { parentId: null, depth: 1 };
  if (parentId !== undefined) {
    const parent = await findReplyTarget(app.db, post.id, parentId);
    if (!parent) return { kind: 'bad-parent' };
    placement = placeReply(parent);
  }
  const id = await insertTeamComment(app.db, {
    projectId: project.id,
    postId: post.id,
    ...placement,
    person,
    body,
    bodyHtml: renderCommentHtml(body),
    renderedVersion: RENDERER_VERSION,
    now: app.clock.now(),
  });
  return { kind: 'saved', id };
}
