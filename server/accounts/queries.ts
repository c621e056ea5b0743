// SQL for accounts: people as the signed-in side sees them (with email and password hash).
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
