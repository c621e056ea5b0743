// SQL for access: a person's role in a project (the permission table itself is roles.ts, pure), and the
// sessions table (its rules, the token and its hash, the idle time, are sessions.ts).
import type { Db } from '../db/create-db.js';
import type { Role } from '../db/schema.js';

export async function findRole(db: Db, personId: number, projectId: number): Promise<Role | undefined> {
  const row = await db
    .selectFrom('memberships')
    .select('role')
    .where('person_id', '=', personId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return row?.role;
}

export interface NewSessionRow {
  id: string;
  personId: number;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export async function insertSession(db: Db, row: NewSessionRow): Promise<void> {
  await db
    .insertInto('sessions')
    .values({ id: row.id, person_id: row.personId, last_seen_at: row.lastSeenAt, expires_at: row.expiresAt, ip: row.ip, user_agent: row.userAgent })
    .execute();
}

/** A session (by its id: the token's hash) with its person, unless that person is disabled. */
export async function findSessionWithPerson(db: Db, sessionId: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('people', 'people.id', 'sessions.person_id')
    .select(['people.id', 'people.handle', 'people.display_name', 'people.email', 'people.is_site_admin', 'sessions.last_seen_at', 'sessions.expires_at'])
    .where('sessions.id', '=', sessionId)
    .where('people.disabled_at', 'is', null)
    .executeTakeFirst();
}

export async function touchSession(db: Db, sessionId: string, lastSeenAt: Date, expiresAt: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: lastSeenAt, expires_at: expiresAt }).where('id', '=', sessionId).execute();
}

export async function deleteSessionById(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Every session of a person, but the one with id `exceptSessionId` when given. */
export async function deletePersonSessions(db: Db, personId: number, exceptSessionId?: string): Promise<void> {
  let q = db.deleteFrom('sessions').where('person_id', '=', personId);
  if (exceptSessionId) q = q.where('id', '!=', exceptSessionId);
  await q.execute();
}
