// Who may do what in a project. One table of permissions, read by every admin route group (a person's
// role is read by queries.ts: findRole).
import type { Db } from '../db/create-db.js';
import type { Role } from '../db/schema.js';
import type { SignedInUser } from './signed-in-user.js';
import { findRole } from './queries.js';

export type Action =
  | 'manage-team'      // add/remove people, set roles
  | 'edit-settings'    // project settings, comment rules
  | 'edit-pages'       // about, comment policy
  | 'write-post'       // create drafts
  | 'publish-any'      // edit and publish any post of the project
  | 'publish-own'      // publish own posts
  | 'moderate'         // the comment queue of the whole project
  | 'read-moderation-log'
  | 'listen';          // the listening desk: watched feeds, key terms, the Conversations inbox

const PERMISSIONS: Record<Role, ReadonlySet<Action>> = {
  owner: new Set<Action>(['manage-team', 'edit-settings', 'edit-pages', 'write-post', 'publish-any', 'publish-own', 'moderate', 'read-moderation-log', 'listen']),
  editor: new Set<Action>(['edit-pages', 'write-post', 'publish-any', 'publish-own', 'moderate', 'read-moderation-log', 'listen']),
  author: new Set<Action>(['write-post', 'publish-own']),
  contributor: new Set<Action>(['write-post']),
  // Whoever moderates a project may read its log: what the rules and the rest of the team decided.
  moderator: new Set<Action>(['moderate', 'read-moderation-log']),
};

/** A site admin acts as owner anywhere. */
export function roleAllows(role: Role | undefined, user: SignedInUser, action: Action): boolean {
  if (user.isSiteAdmin) return true;
  return role !== undefined && PERMISSIONS[role].has(action);
}

export async function can(db: Db, user: SignedInUser, projectId: number, action: Action): Promise<boolean> {
  if (user.isSiteAdmin) return true;
  return roleAllows(await findRole(db, user.id, projectId), user, action);
}
