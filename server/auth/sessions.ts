// Server-side sessions behind an opaque cookie. The cookie holds a random token; the database holds
// only its SHA-256, so a leaked database cannot be replayed as cookies. Any app server can check any
// session. Sessions expire after inactivity; last_seen_at is refreshed at most once a minute.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/create-db.js';
import type { SignedInUser } from './signed-in-user.js';
import { deletePersonSessions, deleteSessionById, findSessionWithPerson, insertSession, touchSession } from './queries.js';

export const SESSION_COOKIE = 'pb_session';
/** On an https site the cookie carries the `__Host-` prefix: the browser then only accepts it Secure,
 * with Path=/ and no Domain, so a sibling subdomain cannot plant or overwrite it. */
export const HOST_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

export function sessionCookieName(publicUrl: string): string {
  return publicUrl.startsWith('https://') ? HOST_SESSION_COOKIE : SESSION_COOKIE;
}

/** The session token a request carries: the `__Host-` cookie first, then the plain one (sessions
 * started before a site moved to the prefixed name keep working until they end). */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  return request.cookies[HOST_SESSION_COOKIE] || request.cookies[SESSION_COOKIE] || undefined;
}
export const SESSION_IDLE_MS = 8 * 3_600_000; // signed out after 8 hours without a request
const TOUCH_EVERY_MS = 60_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Creates a session and returns the cookie token. */
export async function createSession(db: Db, personId: number, now: Date, meta: { ip?: string; userAgent?: string } = {}): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await insertSession(db, {
    id: hashToken(token),
    personId,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + SESSION_IDLE_MS),
    ip: meta.ip ?? null,
    userAgent: meta.userAgent?.slice(0, 300) ?? null,
  });
  return token;
}

/** The person behind a session token, or undefined (unknown, expired, or disabled account). */
export async function findSessionUser(db: Db, token: string, now: Date): Promise<SignedInUser | undefined> {
  const id = hashToken(token);
  const row = await findSessionWithPerson(db, id);
  if (!row || row.expires_at <= now) return undefined;
  if (now.getTime() - row.last_seen_at.getTime() > TOUCH_EVERY_MS) await touchSession(db, id, now, new Date(now.getTime() + SESSION_IDLE_MS));
  return { id: row.id, handle: row.handle, displayName: row.display_name, email: row.email, isSiteAdmin: row.is_site_admin };
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await deleteSessionById(db, hashToken(token));
}

/** Ends every session of a person (password changed, account disabled), optionally but one. */
export async function deleteSessionsOf(db: Db, personId: number, exceptToken?: string): Promise<void> {
  await deletePersonSessions(db, personId, exceptToken ? hashToken(exceptToken) : undefined);
}
