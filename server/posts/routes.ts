// GET /:project/posts/:slug — a post with its approved comments. Old slugs redirect (301); a post
// that was unpublished or deleted answers 410 Gone; drafts and future posts do not exist (404).
import type { FastifyInstance } from 'fastify';
import { gone, notFound } from '../errors.js';
import { loadProject } from '../projects/routes.js';
import { SLUG_PATTERN, urls } from '../urls.js';
import { renderPostPage } from './page.js';
import { findPostBySlug, findSlugRedirect, isPostPublic, wasPostDeleted } from './queries.js';

export default async function postRoutes(app: FastifyInstance) {
  app.get<{ Params: { project: string; slug: string } }>('/:project/posts/:slug', async (request, reply) => {
    const project = await loadProject(app, request.params.project);
    const { slug } = request.params;
    if (!SLUG_PATTERN.test(slug) && !/^[a-z0-9-]{1,100}$/.test(slug)) throw notFound('There is no such post.');
    const now = app.clock.now();
    const post = await findPostBySlug(app.readDb, project.id, slug);
    if (!post) {
      const current = await findSlugRedirect(app.readDb, project.id, slug);
      if (current) return reply.redirect(urls.post(project.slug, current), 301);
      if (await wasPostDeleted(app.readDb, project.id, slug)) throw gone('This post has been removed by the project team.');
      throw notFound('There is no such post in this project. It may have moved: try the project’s latest posts.');
    }
    if (post.status === 'unpublished') throw gone('This post has been unpublished by the project team.');
    if (!isPostPublic(post, now)) throw notFound('There is no such post in this project.');

    return renderPostPage(app, request, reply, project, post);
  });
}

