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
