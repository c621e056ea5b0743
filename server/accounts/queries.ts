// SQL for accounts: people as the signed-in side sees them (with email and password hash), one-time
// set-password links (tokens.ts has their rules) and login throttling (throttle.ts has its rules).
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';

export async function findPersonByEmail(db: Db, email: string) {
  return db.selectFrom('people').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
}

export async function findPersonById(db: Db, id: number) {
  return db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setPasswordHash(db: Db | Tx, personId: number, passwordHash: string, now: Date): Promise<void> {
  await db.updateTable('people').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', personId).execute();
}

export async function isHandleTaken(db: Db | Tx, handle: string, exceptPersonId?: number): Promise<boolean> {
  let q = db.selectFrom('people').select('id').where('handle', '=', handle);
  if (exceptPersonId !== undefined) q = q.where('id', '!=', exceptPersonId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function updateProfile(db: Db, personId: number, fields: { displayName: string; handle: string; bio: string }, now: Date): Promise<void> {
  await db
    .updateTable('people')
    .set({ display_name: fields.displayName, handle: fields.handle, bio: fields.bio, updated_at: now })
    .where('id', '=', personId)
    .execute();
}

export async function isEmailTaken(db: Db | Tx, email: string): Promise<boolean> {
  return (await db.selectFrom('people').select('id').where('email', '=', email).executeTakeFirst()) !== undefined;
}

/** Inserts a person (the values already checked and normalised: people.ts). */
export async function insertPersonRow(
  db: Db | Tx,
  p: { email: string; displayName: string; handle: string; isSiteAdmin: boolean; passwordHash: string | null },
  now: Date,
): Promise<{ id: number; handle: string }> {
  return db
    .insertInto('people')
    .values({ email: p.email, display_name: p.displayName, handle: p.handle, is_site_admin: p.isSiteAdmin, password_hash: p.passwordHash, created_at: now, updated_at: now })
    .returning(['id', 'handle'])
    .executeTakeFirstOrThrow();
}

// ---------------------------------------------------------------- set-password links (by the token's hash)

/** Voids a person's unused links (a new one is about to be issued). */
export async function deleteUnusedPasswordTokens(db: Db | Tx, personId: number): Promise<void> {
  await db.deleteFrom('password_tokens').where('person_id', '=', personId).where('used_at', 'is', null).execute();
}

export async function insertPasswordToken(db: Db | Tx, row: { tokenHash: string; personId: number; createdBy: number | null; createdAt: Date; expiresAt: Date }): Promise<void> {
  await db
    .insertInto('password_tokens')
    .values({ token_hash: row.tokenHash, person_id: row.personId, created_by: row.createdBy, created_at: row.createdAt, expires_at: row.expiresAt })
    .execute();
}

/** The person of an unused, unexpired link, unless disabled. */
export async function findValidPasswordTokenPerson(db: Db, tokenHash: string, now: Date) {
  return db
    .selectFrom('password_tokens')
    .innerJoin('people', 'people.id', 'password_tokens.person_id')
    .select(['people.id', 'people.email', 'people.display_name'])
    .where('password_tokens.token_hash', '=', tokenHash)
    .where('password_tokens.used_at', 'is', null)
    .where('password_tokens.expires_at', '>', now)
    .where('people.disabled_at', 'is', null)
    .executeTakeFirst();
}

/** A link of a person not disabled, whatever its state: when it was used and when it expires. */
export async function findPasswordTokenState(db: Db, tokenHash: string) {
  return db
    .selectFrom('password_tokens')
    .innerJoin('people', 'people.id', 'password_tokens.person_id')
    .select(['password_tokens.used_at', 'password_tokens.expires_at'])
    .where('password_tokens.token_hash', '=', tokenHash)
    .where('people.disabled_at', 'is', null)
    .executeTakeFirst();
}

/** Marks an unused, unexpired link used; its person's id, or undefined when it was no longer valid. */
export async function markPasswordTokenUsed(tx: Tx, tokenHash: string, now: Date): Promise<number | undefined> {
  const row = await tx
    .updateTable('password_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('person_id')
    .executeTakeFirst();
  return row?.person_id;
}

// ---------------------------------------------------------------- login throttling

/** The keys among `keys` blocked after `now`, with the time each is blocked until. */
export async function listBlockedThrottleKeys(db: Db, keys: string[], now: Date) {
  return db.selectFrom('login_throttle').select('blocked_until').where('key', 'in', keys).where('blocked_until', '>', now).execute();
}

/**
 * Counts one more failure for a key (starting again at 1 when the last was before `resetBefore`) and
 * returns the count, in one statement, so concurrent failures are all counted.
 */
export async function countThrottleFailure(db: Db, key: string, now: Date, resetBefore: Date): Promise<number> {
  const row = await db
    .insertInto('login_throttle')
    .values({ key, failures: 1, last_failure_at: now })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql<number>`CASE WHEN login_throttle.last_failure_at < ${resetBefore} THEN 1 ELSE login_throttle.failures + 1 END`,
        last_failure_at: now,
      }),
    )
    .returning('failures')
    .executeTakeFirstOrThrow();
  return row.failures;
}

export async function blockThrottleKey(db: Db, key: string, until: Date): Promise<void> {
  await db.updateTable('login_throttle').set({ blocked_until: until }).where('key', '=', key).execute();
}

export async function deleteThrottleKeys(db: Db, keys: string[]): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', 'in', keys).execute();
}
