// SQL for people as the public sees them (never the email or anything private).
import type { Db } from '../db/create-db.js';

export interface PublicPerson {
  id: number;
  handle: string;
  displayName: string;
  bio: string;
  createdAt: Date;
  /** Last change of the person's row (name, handle, bio…): feeds that show them date their changes by it. */
  updatedAt: Date;
}

export async function findPublicPerson(db: Db, handle: string): Promise<PublicPerson | undefined> {
  const row = await db
    .selectFrom('people')
    .select(['id', 'handle', 'display_name', 'bio', 'created_at', 'updated_at'])
    .where('handle', '=', handle)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  return row && { id: row.id, handle: row.handle, displayName: row.display_name, bio: row.bio, createdAt: row.created_at, updatedAt: row.updated_at };
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
