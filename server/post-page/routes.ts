// GET /:project/posts/:slug — a post with its approved comments. Old slugs redirect (301); a post
// that was unpublished or deleted answers 410 Gone; drafts and future posts do not exist (404).
import type { FastifyInstance } from 'fastify';
import { loadProject } from '../projects/project-page.js';
import { urls } from '../urls.js';
import { findPublicPost } from '../posts/lookup.js';
import { renderPostPage } from './page.js';
import { param, withParams } from '../route-params.js';

export default async function postRoutes(app: FastifyInstance) {
  app.get<{ Params: { project: string; slug: string } }>('/:project/posts/:slug', withParams({ project: param.project, slug: param.postSlug }), async (request, reply) => {
    const project = await loadProject(app, request.params.project);
    const found = await findPublicPost(app, project, request.params.slug);
    if ('movedTo' in found) return reply.redirect(urls.post(project.slug, found.movedTo), 301);
    return renderPostPage(app, request, reply, project, found.post);
  });
}
