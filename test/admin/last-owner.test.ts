// A project always keeps at least one owner, even when its two owners demote or remove each other at the
// same moment: each team change runs in a transaction that takes the project's lock before it counts
// the owners (admin/team-rules.ts). Many rounds of truly concurrent changes on a real database, through
// the rule's own functions (no app needed: they take a db and a time).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOwners } from '../../server/admin/queries.js';
import { changeMemberRole, removeMember } from '../../server/admin/team-rules.js';
import { createTestDatabase, TEST_NOW, type TestDatabase } from '../helpers/test-app.js';

let database: TestDatabase;
let projectId: number;
let ana: number;
let ben: number;

beforeAll(async () => {
  database = await createTestDatabase({ max: 4 });
  const { db } = database;
  projectId = Number((await db.insertInto('projects').values({ slug: 'owned', title: 'Owned' }).returning('id').executeTakeFirstOrThrow()).id);
  const person = async (handle: string) =>
    Number((await db.insertInto('people').values({ handle, display_name: handle, email: `${handle}@example.test` }).returning('id').executeTakeFirstOrThrow()).id);
  ana = await person('ana');
  ben = await person('ben');
});

afterAll(async () => {
  await database?.drop();
});

async function twoOwners() {
  const { db } = database;
  await db.deleteFrom('memberships').where('project_id', '=', projectId).execute();
  await db.insertInto('memberships').values([ana, ben].map((id) => ({ project_id: projectId, person_id: id, role: 'owner' as const }))).execute();
}

describe('the last owner of a project', () => {
  it('stays when two owners demote each other at the same moment (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      await twoOwners();
      const outcomes = await Promise.all([
        changeMemberRole(database.db, projectId, ben, 'author', TEST_NOW),
        changeMemberRole(database.db, projectId, ana, 'editor', TEST_NOW),
      ]);
      expect(outcomes.sort(), `round ${round}`).toEqual(['changed', 'last-owner']);
      expect(await countOwners(database.db, projectId), `round ${round}`).toBe(1);
    }
  });

  it('stays when one owner removes the other while being demoted (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      await twoOwners();
      const outcomes = await Promise.all([removeMember(database.db, projectId, ben, TEST_NOW), changeMemberRole(database.db, projectId, ana, 'author', TEST_NOW)]);
      expect(outcomes.sort(), `round ${round}`).toEqual(['changed', 'last-owner']);
      expect(await countOwners(database.db, projectId), `round ${round}`).toBe(1);
    }
  });

  it('may hand over: a second owner first, then the first steps down; a non-member is reported as such', async () => {
    await twoOwners();
    await database.db.updateTable('memberships').set({ role: 'author' }).where('person_id', '=', ben).execute();
    expect(await changeMemberRole(database.db, projectId, ana, 'author', TEST_NOW)).toBe('last-owner');
    expect(await changeMemberRole(database.db, projectId, ben, 'owner', TEST_NOW)).toBe('changed');
    expect(await changeMemberRole(database.db, projectId, ana, 'author', TEST_NOW)).toBe('changed');
    expect(await removeMember(database.db, projectId, ana, TEST_NOW)).toBe('changed');
    expect(await removeMember(database.db, projectId, ana, TEST_NOW)).toBe('not-member');
    expect(await countOwners(database.db, projectId)).toBe(1);
  });
});
