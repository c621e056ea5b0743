// SQL for the demo: whether the database holds any project yet, and the rows the seeder inserts (each
// in the seeder's transaction). What goes into them is seed.ts's business.
import type { Insertable } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import type { Database, NewComment, NewPerson, NewPost, NewProject } from '../db/schema.js';

export async function hasAnyProject(db: Db): Promise<boolean> {
  return (await db.selectFrom('projects').select('id').limit(1).executeTakeFirst()) !== undefined;
}

export async function insertPerson(tx: Tx, person: NewPerson): Promise<number> {
  return (await tx.insertInto('people').values(person).returning('id').executeTakeFirstOrThrow()).id;
}

export async function insertProject(tx: Tx, project: NewProject): Promise<number> {
  return (await tx.insertInto('projects').values(project).returning('id').executeTakeFirstOrThrow()).id;
}

export async function insertMembership(tx: Tx, row: Insertable<Database['memberships']>): Promise<void> {
  await tx.insertInto('memberships').values(row).execute();
}

export async function insertPage(tx: Tx, row: Insertable<Database['pages']>): Promise<void> {
  await tx.insertInto('pages').values(row).execute();
}

/** Inserts a published post, then sets its atom id (made from the id the insert returns). */
export async function insertPost(tx: Tx, post: NewPost, atomIdOf: (postId: number) => string): Promise<number> {
  const { id } = await tx.insertInto('posts').values(post).returning('id').executeTakeFirstOrThrow();
  await tx.updateTable('posts').set({ atom_id: atomIdOf(id) }).where('id', '=', id).execute();
  return id;
}

export async function insertRevision(tx: Tx, row: Insertable<Database['post_revisions']>): Promise<void> {
  await tx.insertInto('post_revisions').values(row).execute();
}

export async function insertPostAuthor(tx: Tx, row: Insertable<Database['post_authors']>): Promise<void> {
  await tx.insertInto('post_authors').values(row).execute();
}

export async function insertTag(tx: Tx, row: Insertable<Database['tags']>): Promise<number> {
  return (await tx.insertInto('tags').values(row).returning('id').executeTakeFirstOrThrow()).id;
}

export async function insertPostTag(tx: Tx, row: Insertable<Database['post_tags']>): Promise<void> {
  await tx.insertInto('post_tags').values(row).execute();
}

export async function insertComment(tx: Tx, comment: NewComment): Promise<number> {
  return (await tx.insertInto('comments').values(comment).returning('id').executeTakeFirstOrThrow()).id;
}

