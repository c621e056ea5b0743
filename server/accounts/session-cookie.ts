// The session cookie: an opaque random token, HttpOnly, SameSite=Lax, Secure when the site is https.
// No Max-Age: the browser forgets it when closed, and the server forgets the session after inactivity.
// Named `__Host-pb_session` on an https site (no Domain, Path=/, Secure); the plain name is still read
// and cleared, for sessions started before.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SESSION_COOKIE, sessionCookieName } from '../auth/sessions.js';
import { renewCsrfSecret } from '../plugins/forms.js';

const isHttps = (app: FastifyInstance) => app.config.publicUrl.startsWith('https://');

/** Sets the session cookie and renews the CSRF secret (tokens from before sign-in stop working). */
export function setSessionCookie(app: FastifyInstance, reply: FastifyReply, token: string) {
  const name = sessionCookieName(app.config.publicUrl);
  reply.setCookie(name, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: isHttps(app) });
  if (name !== SESSION_COOKIE) reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: true });
  renewCsrfSecret(reply, isHttps(app));
}

/** Clears the session cookie (both names) and renews the CSRF secret. */
export function clearSessionCookie(app: FastifyInstance, reply: FastifyReply) {
  const name = sessionCookieName(app.config.publicUrl);
  reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'lax', secure: isHttps(app) });
  if (name !== SESSION_COOKIE) reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: true });
  renewCsrfSecret(reply, isHttps(app));
}

/** ?next= only ever leads to a path on this site: "/x", never "//host", "/\host" or "https://…". */
export function safeNextPath(next: unknown, fallback = '/admin'): string {
  if (typeof next !== 'string' || next.length > 1000) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
  return next;
}
