// GET /:project/posts/:slug — a post with its approved comments. Old slugs redirect (301); a post
// that was unpublished or deleted answers 410 Gone; drafts and future posts do not exist (404).
import type { FastifyInstance } from 'fastify';
import { countWithheldComments, listApprovedComments, type PublicComment } from '../comments/queries.js';
import { gone, notFound } from '../errors.js';
import { loadProject, projectFeeds, projectIdentity } from '../projects/routes.js';
import { readSettings } from '../projects/settings.js';
import { SLUG_PATTERN, urls } from '../urls.js';
import { findPostBySlug, findSlugRedirect, isPostPublic, listAuthorsOf, listTagsOf, wasPostDeleted } from './queries.js';

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

    const [authors, tags, comments, withheld] = await Promise.all([
      listAuthorsOf(app.readDb, [post.id]),
      listTagsOf(app.readDb, [post.id]),
      listApprovedComments(app.readDb, post.id),
      countWithheldComments(app.readDb, post.id),
    ]);
    const settings = readSettings(project.settings);
    return reply.page('pages/posts/show', {
      title: `${post.title}: ${project.title}`,
      description: post.summary || `A post from ${project.title}.`,
      canonicalPath: urls.post(project.slug, post.slug),
      ogType: 'article',
      project: projectIdentity(project),
      feeds: [
        ...projectFeeds(project),
        { title: `Comments on “${post.title}” (Atom)`, href: urls.postCommentsFeed(project.slug, post.slug), type: 'atom' as const },
      ],
      p: project,
      post,
      authors: authors.get(post.id) ?? [],
      tags: tags.get(post.id) ?? [],
      comments,
      commentCount: countTree(comments),
      withheldCount: settings.showWithheldCount ? withheld : 0,
      commentsOpen: post.comments_open && project.status === 'active',
    });
  });
}

function countTree(comments: PublicComment[]): number {
  return comments.reduce((n, c) => n + 1 + countTree(c.replies), 0);
}
