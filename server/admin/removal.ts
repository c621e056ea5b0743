// Site admins: deleting a project and removing the demo. Each is a GET confirmation page with a POST
// form (works without JavaScript); the POST does it. Registered behind requireSiteAdmin.
import type { FastifyInstance } from 'fastify';
import { findProjectBySlug } from '../projects/queries.js';
import { loadProject } from '../projects/project-page.js';

import { deleteProject, findDemo, removeDemo } from './projects.js';
import { countProjectPosts } from './queries.js';
import { PROJECT_SLUG_PATTERN } from '../forms.js';

/** What views/pages/admin/remove-demo.eta lists: the demo projects and the demo accounts. */
export interface DemoView {
  projects: Array<{ slug: string; title: string }>;
  people: Array<{ displayName: string; email: string }>;
}

function demoView(demo: Awaited<ReturnType<typeof findDemo>>): DemoView {
  return {
    projects: demo.projects.map((p) => ({ slug: p.slug, title: p.title })),
    people: demo.people.map((p) => ({ displayName: p.display_name, email: p.email })),
  };
}

export default async function removalRoutes(app: FastifyInstance) {
  const load = async (slug: string) => {
    // Through loadProject: an unknown project is a 404, a deleted one a 410.
    if (!PROJECT_SLUG_PATTERN.test(slug) || !(await findProjectBySlug(app.db, slug))) await loadProject(app, slug);
    return (await findProjectBySlug(app.db, slug))!;
  };

  // GET /admin/projects/:project/delete — what deleting would remove, and the button that does it
  app.get<{ Params: { project: string } }>('/admin/projects/:project/delete', async (request, reply) => {
    const project = await load(request.params.project);
    const posts = await countProjectPosts(app.db, project.id);
    return reply
      .header('cache-control', 'no-store')
      .page('pages/admin/delete-project', { title: `Delete ${project.title}?`, noindex: true, target: { slug: project.slug, title: project.title }, posts });
  });

  // POST /admin/projects/:project/delete — delete it for good; its addresses answer 410 from now on
  app.post<{ Params: { project: string } }>('/admin/projects/:project/delete', async (request, reply) => {
    const project = await load(request.params.project);
    await deleteProject(app.db, project, app.clock.now());
    return reply.redirect(`/admin?deleted=${encodeURIComponent(project.slug)}`, 303);
  });

  // GET /admin/demo — what removing the demo would remove
  app.get('/admin/demo', async (request, reply) => {
    const demo = await findDemo(app.db);
    const self = demo.people.some((p) => p.id === request.user!.id);
    return reply.header('cache-control', 'no-store').page('pages/admin/remove-demo', { title: 'Remove the demo content', noindex: true, demo: demoView(demo), self });
  });

  // POST /admin/demo/remove — delete the demo projects and the demo accounts in one step
  app.post('/admin/demo/remove', async (request, reply) => {
    const done = await removeDemo(app.db, request.user!.id, app.clock.now());
    if (done === false) {
      const demo = await findDemo(app.db);
      return reply.code(409).header('cache-control', 'no-store').page('pages/admin/remove-demo', { title: 'Remove the demo content', noindex: true, demo: demoView(demo), self: true });
    }
    return reply.redirect(`/admin?demo-removed=1`, 303);
  });
}
