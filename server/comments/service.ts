// Receiving a public comment: the rules (rules.ts) applied to what the database knows, then the comment
// and its log entry committed together; when comments are closed; the signed render time and the salted
// address hash. It takes what it uses (CommentDeps: the database, the clock, the cookie signature check,
// this server's used forms and queue), not the Fastify instance, so its rules can be run without HTTP.
// The cookies and the same-origin check of the form are HTTP's: form-cookies.ts.
import { createHmac } from 'node:crypto';
import type { Db } from '../db/create-db.js';
import type { CommentStatus, Post, Project } from '../db/schema.js';
import { RENDERER_VERSION, renderCommentHtml } from '../markdown/render.js';
import type { ProjectSettings } from '../projects/settings.js';
import { OneAtATime } from './one-at-a-time.js';
import { FORM_MAX_AGE_MS, UsedForms } from './used-forms.js';
import { acceptComment, findCommentsPause, findReplyTarget, insertTeamComment, type CommentsPause } from './queries.js';
import { commentsClosed, decideComment, placeReply, type ClosedState, type CommentInput } from './rules.js';

const RATE_WINDOW_MS = 10 * 60_000;

/** What the service uses. One per server (routes.ts makes it at registration): the used forms and the queue are per server. */
export interface CommentDeps {
  /** The primary: comments are stored and reply targets read there. */
  db: Db;
  clock: { now(): Date };
  /** Checks a value signed with the site's cookie secret (@fastify/cookie's unsignCookie). */
  unsign: Unsign;
  usedForms: UsedForms;
  queue: OneAtATime;
}

export type Unsign = (signed: string) => { valid: boolean; value: string | null };

export function commentDeps(db: Db, clock: { now(): Date }, unsign: Unsign): CommentDeps {
  return { db, clock, unsign, usedForms: new UsedForms(), queue: new OneAtATime() };
}

/** Why comments on this post are closed at `now`, or undefined (the pause read from `db`). */
export async function closedStateOf(db: Db, now: Date, project: Project, post: Post, settings: ProjectSettings): Promise<ClosedState | undefined> {
  return closedStateWith(now, project, post, settings, await findCommentsPause(db));
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
export function formExpired(unsign: Unsign, signed: unknown, now: Date): boolean {
  const seconds = secondsSinceRender(unsign, signed, now);
  return seconds !== undefined && seconds * 1000 > FORM_MAX_AGE_MS;
}

/** Seconds since a signed render timestamp; undefined when missing, forged or from the future. */
export function secondsSinceRender(unsign: Unsign, signed: unknown, now: Date): number | undefined {
  if (typeof signed !== 'string' || signed.length > 200) return undefined;
  const result = unsign(signed);
  if (!result.valid || result.value === null || !/^\d{1,15}$/.test(result.value)) return undefined;
  const seconds = (now.getTime() - Number(result.value)) / 1000;
  return seconds < -5 ? undefined : Math.max(0, seconds);
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
  /** The stamp of the kept copy of the project and post this submission was checked against; null if just read. */
  stamp: string | null;
  /** The id in the commenter's signed cookie (commenterIdOf): what binds "known commenter" to a browser. */
  commenterId: string;
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
  deps: CommentDeps,
  project: Project,
  post: Pick<Post, 'id'>,
  settings: ProjectSettings,
  s: Submission,
): Promise<SubmitResult> {
  const now = deps.clock.now();
  let placement: { parentId: number | null; depth: number } = { parentId: null, depth: 1 };
  if (s.parentId !== undefined) {
    const parent = await findReplyTarget(deps.db, post.id, s.parentId);
    if (!parent) return { kind: 'bad-parent' };
    placement = placeReply(parent);
  }
  const bodyHtml = renderCommentHtml(s.input.body);
  const sinceRender = secondsSinceRender(deps.unsign, s.renderedAt, now);
  // One comment per form (render time and post) per address on this server: see used-forms.ts.
  const used = deps.usedForms;
  const formKey = sinceRender !== undefined ? `${post.id}:${s.ipHash}:${String(s.renderedAt)}` : undefined;
  const formReused = formKey !== undefined && !used.claim(formKey, now.getTime() + FORM_MAX_AGE_MS, now.getTime());
  const claimed = formKey !== undefined && !formReused ? formKey : undefined;
  let result: SubmitResult | undefined;
  try {
    result = await storeComment(deps, project, post, settings, s, now, placement, bodyHtml, {
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
  deps: CommentDeps,
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
  const queue = deps.queue;
  if (settings.commentsPerTenMinutes > 0 && queue.size(lockKey) >= settings.commentsPerTenMinutes) return { kind: 'rate-limited' };
  const row = await queue.run(lockKey, () => acceptComment(deps.db, {
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
  deps: CommentDeps,
  project: Project,
  post: Pick<Post, 'id'>,
  person: { id: number; displayName: string; email: string },
  body: string,
  parentId: number | undefined,
): Promise<{ kind: 'bad-parent' } | { kind: 'saved'; id: number }> {
  let placement: { parentId: number | null; depth: number } = { parentId: null, depth: 1 };
  if (parentId !== undefined) {
    const parent = await findReplyTarget(deps.db, post.id, parentId);
    if (!parent) return { kind: 'bad-parent' };
    placement = placeReply(parent);
  }
  const id = await insertTeamComment(deps.db, {
    projectId: project.id,
    postId: post.id,
    ...placement,
    person,
    body,
    bodyHtml: renderCommentHtml(body),
    renderedVersion: RENDERER_VERSION,
    now: deps.clock.now(),
  });
  return { kind: 'saved', id };
}
