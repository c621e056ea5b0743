// What every public page under /:project/ needs, whichever domain serves it (the project's own pages,
// a post, its feeds, moderation, removal): the project named in the URL (404, or 410 once deleted),
// and the project's identity and feeds for the layout.
import type { FastifyInstance } from 'fastify';
import type { Project } from '../db/schema.js';
import { gone, notFound } from '../errors.js';
import { urls } from '../urls.js';
import { findProjectBySlug, isRemovedProjectSlug } from './queries.js';
import { PROJECT_SLUG_PATTERN } from '../forms.js';

export const PROJECT_REMOVED = 'This project has been removed from the site.';

/** A project by the slug in the URL, a 410 when it was deleted, or a 404. */
export async function loadProject(app: FastifyInstance, slug: string): Promise<Project> {
  const project = PROJECT_SLUG_PATTERN.test(slug) ? await findProjectBySlug(app.readDb, slug) : undefined;
  if (project) return project;
  if (PROJECT_SLUG_PATTERN.test(slug) && (await isRemovedProjectSlug(app.readDb, slug))) throw gone(PROJECT_REMOVED);
  throw notFound('There is no project at this address.');
}

/** A project as every page under it names it: the layout's header, links, the status note. */
export interface ProjectIdentity {
  slug: string;
  title: string;
  status: Project['status'];
}

export function projectIdentity(project: Project): ProjectIdentity {
  return { slug: project.slug, title: project.title, status: project.status };
}

export function projectFeeds(project: Project) {
  return [
    { title: `${project.title}: posts (Atom)`, href: urls.projectFeed(project.slug), type: 'atom' as const },
    { title: `${project.title}: posts (RSS)`, href: urls.projectFeed(project.slug, 'rss'), type: 'rss' as const },
  ];
}
