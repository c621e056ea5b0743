// Access to a project's admin pages, checked once per route group: the project from the URL, the
// signed-in person's role in it, and the action the whole group needs. Finer rules (an author's own
// post, for instance) stay with their domain.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { roleAllows, type Action } from './roles.js';
import { findRole } from './queries.js';
import type { Project, Role } from '../db/schema.js';
import { forbidden, gone, notFound } from '../errors.js';
import { PROJECT_REMOVED } from '../projects/project-page.js';
import { findProjectBySlug, isRemovedProjectSlug } from '../projects/queries.js';


export interface ProjectAccess {
  project: Project;
  role: Role | undefined;
}

/**
 * preHandler for a route group under /admin/projects/:project/…: 404 for an unknown project, 403 page
 * when the person may not do `action` there. Runs after requireUser.
 */
export function requireProjectAction(action: Action, message = 'Your role in this project does not allow this.') {
  return async function projectAccess(request: FastifyRequest, reply: FastifyReply) {
    if (reply.sent || !request.user) return;
    // A well-formed slug: every route under /admin/projects/:project/ checks it by its schema (route-params.ts).
    const slug = (request.params as { project?: string }).project ?? '';
    const project = slug ? await findProjectBySlug(request.server.db, slug) : undefined;
    if (!project && slug && (await isRemovedProjectSlug(request.server.db, slug))) throw gone(PROJECT_REMOVED);
    if (!project) throw notFound('There is no project at this address.');
    const role = await findRole(request.server.db, request.user.id, project.id);
    if (!roleAllows(role, request.user, action)) throw forbidden(message);
    request.projectAccess = { project, role };
  };
}

/**
 * preHandler (after requireProjectAction) for groups that change a project's content: an archived
 * project is read-only, so anything but reading is refused with a 403 page that says why.
 */
export async function refuseWritesIfArchived(request: FastifyRequest) {
  if (request.method === 'GET' || request.method === 'HEAD') return;
  if (request.projectAccess?.project.status === 'archived') {
    throw forbidden('This project is archived, so it is read-only. An owner can change its status in the project settings.');
  }
}

/** The access record set by requireProjectAction (the route group guarantees it). */
export function accessOf(request: FastifyRequest): ProjectAccess {
  if (!request.projectAccess) throw forbidden();
  return request.projectAccess;
}


declare module 'fastify' {
  interface FastifyRequest {
    projectAccess?: ProjectAccess;
  }
}
