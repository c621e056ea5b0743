// SQL for people as the public sees them (never the email or anything private).
import type { Db } from '../db/create-db.js';
import { isPublic } from '../db/sql-helpers.js';

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

/** People with at least one public post, by name: the search form's author choices. */
export async function listPublicAuthors(db: Db, now: Date): Promise<Array<{ handle: string; displayName: string }>> {
  const rows = await db
    .selectFrom('people')
    .select(['people.handle', 'people.display_name'])
    .where('people.disabled_at', 'is', null)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('post_authors')
          .innerJoin('posts', 'posts.id', 'post_authors.post_id')
          .select('post_authors.post_id')
          .whereRef('post_authors.person_id', '=', 'people.id')
          .where((eb) => isPublic(eb, now)),
      ),
    )
    .orderBy('people.display_name')
    .orderBy('people.handle')
    .execute();
  return rows.map((r) => ({ handle: r.handle, displayName: r.display_name }));
}
