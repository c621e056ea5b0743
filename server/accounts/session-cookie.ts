// The session cookie: an opaque random token, HttpOnly, SameSite=Lax, Secure when the site is https.
// No Max-Age: the browser forgets it when closed, and the server forgets the session after inactivity.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SESSION_COOKIE } from '../auth/sessions.js';

export function setSessionCookie(app: FastifyInstance, reply: FastifyReply, token: string) {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: app.config.publicUrl.startsWith('https://'),
  });
}

export function clearSessionCookie(app: FastifyInstance, reply: FastifyReply) {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: app.config.publicUrl.startsWith('https://') });
}

/** ?next= only ever leads to a path on this site: "/x", never "//host", "/\host" or "https://…". */
export function safeNextPath(next: unknown, fallback = '/admin'): string {
  if (typeof next !== 'string' || next.length > 1000) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
  return next;
}
