// SQL for access: a person's role in a project (the permission table itself is roles.ts, pure).
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
