// The comment form's HTTP side: the commenter's signed cookies (their own comments; the commenter id) and
// the form's protection against forgery (a signed token per post, and what the browser says of the
// request's origin). Request and reply in, nothing of the rules (service.ts).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const OWN_COMMENTS_COOKIE = 'pb_own_comments';
const OWN_COMMENTS_MAX = 30;
const OWN_COMMENTS_MAX_AGE = 30 * 86_400; // seconds

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

/** `secure`: the site is served over https (the cookie then says so). */
export function rememberOwnComment(secure: boolean, request: FastifyRequest, reply: FastifyReply, id: number): void {
  const ids = [...readOwnCommentIds(request).filter((x) => x !== id), id].slice(-OWN_COMMENTS_MAX);
  reply.setCookie(OWN_COMMENTS_COOKIE, ids.join('.'), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure,
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

export function rememberCommenter(secure: boolean, reply: FastifyReply, id: string): void {
  reply.setCookie(COMMENTER_COOKIE, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure,
    signed: true,
    maxAge: COMMENTER_MAX_AGE,
  });
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
export function commentFormToken(sign: (value: string) => string, postId: number): string {
  return sign(`comment-form:${postId}`);
}

/** The comment came from this site's form: its token is this post's, and the browser says it is same-origin. */
export function commentFormTrusted(app: FastifyInstance, request: FastifyRequest, postId: number, token: unknown): boolean {
  if (typeof token !== 'string' || token.length > 200) return false;
  const expected = commentFormToken((v) => app.signCookie(v), postId);
  // Compared as bytes: a forged token may have the right length in characters but not in bytes
  // (multi-byte characters), which timingSafeEqual would refuse with a throw (a 500).
  const given = Buffer.from(token);
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return false;
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
