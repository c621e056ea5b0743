// SQL for people as the public sees them (never the email or anything private).
import type { Db } from '../db/create-db.js';

export interface PublicPerson {
  id: number;
  handle: string;
  displayName: string;
  bio: string;
}

export async function findPublicPerson(db: Db, handle: string): Promise<PublicPerson | undefined> {
  const row = await db
    .selectFrom('people')
    .select(['id', 'handle', 'display_name', 'bio'])
    .where('handle', '=', handle)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  return row && { id: row.id, handle: row.handle, displayName: row.display_name, bio: row.bio };
}

export async function listPersonProjects(db: Db, personId: number) {
  return db
    .selectFrom('memberships')
    .innerJoin('projects', 'projects.id', 'memberships.project_id')
    .select(['projects.slug', 'projects.title', 'memberships.role'])
    .where('memberships.person_id', '=', personId)
    .orderBy('projects.title')
    .execute();
}
