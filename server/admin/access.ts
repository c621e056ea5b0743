// The project-role check for admin route groups: loads the project named in the URL and refuses (403
// page) anyone whose role does not allow the group's action. Site admins act as owners everywhere.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findRole, roleAllows, type Action } from '../auth/roles.js';
import type { Project, Role } from '../db/schema.js';
import { forbidden, notFound } from '../errors.js';
import { findProjectBySlug } from '../projects/queries.js';
import { SLUG_PATTERN } from '../urls.js';

export interface AdminProject {
  project: Project;
  /** The signed-in person's role; undefined for a site admin who is not a member. */
  role: Role | undefined;
}

/** preHandler (after requireUser) for routes under /admin/projects/:project/. */
export function requireProjectAction(action: Action) {
  return async function projectAction(request: FastifyRequest, reply: FastifyReply) {
    if (reply.sent || !request.user) return;
    const slug = (request.params as { project?: string }).project ?? '';
    const project = SLUG_PATTERN.test(slug) ? await findProjectBySlug(request.server.db, slug) : undefined;
    if (!project) throw notFound('There is no project at this address.');
    const role = await findRole(request.server.db, request.user.id, project.id);
    if (!roleAllows(role, request.user, action)) throw forbidden('Your role in this project does not allow this.');
    request.adminProject = { project, role };
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireProjectAction for project admin routes. */
    adminProject?: AdminProject;
  }
}
