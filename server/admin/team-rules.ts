// The team's one rule beyond SQL: a project always keeps at least one owner. Each change runs in one
// transaction that first takes the project's lock (lockProjectTeam), then counts the owners, so two
// owners demoting or removing each other at the same moment cannot leave the project with none: the
// second waits for the first and then sees one owner left. Takes a db and a time, not the app, so the
// rule is tested without HTTP (test/admin/last-owner.test.ts).
import type { Db } from '../db/create-db.js';
import type { Role } from '../db/schema.js';
import { countOwners, deleteMembership, findMembership, lockProjectTeam, markTeamChange, updateMemberRole } from './queries.js';

export const LAST_OWNER = 'A project needs at least one owner. Make someone else an owner first.';

/** What became of a change to the team. */
export type TeamChange = 'changed' | 'last-owner' | 'not-member';

/** Gives a member of the project a new role, unless that would leave the project without an owner. */
export async function changeMemberRole(db: Db, projectId: number, personId: number, role: Role, now: Date): Promise<TeamChange> {
  return db.transaction().execute(async (tx) => {
    await lockProjectTeam(tx, projectId);
    const member = await findMembership(tx, projectId, personId);
    if (!member) return 'not-member';
    if (member.role === 'owner' && role !== 'owner' && (await countOwners(tx, projectId)) <= 1) return 'last-owner';
    await updateMemberRole(tx, projectId, personId, role);
    await markTeamChange(tx, personId, now);
    return 'changed';
  });
}

/** Takes a member off the project's team, unless they are its last owner. */
export async function removeMember(db: Db, projectId: number, personId: number, now: Date): Promise<TeamChange> {
  return db.transaction().execute(async (tx) => {
    await lockProjectTeam(tx, projectId);
    const member = await findMembership(tx, projectId, personId);
    if (!member) return 'not-member';
    if (member.role === 'owner' && (await countOwners(tx, projectId)) <= 1) return 'last-owner';
    await deleteMembership(tx, projectId, personId);
    await markTeamChange(tx, personId, now);
    return 'changed';
  });
}
