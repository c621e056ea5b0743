// Public pages of a project: its blog (paged), team, tag listings and static pages.
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors.js';
import { pagination, pageUrl, parsePageNumber, POSTS_PER_PAGE } from '../pagination.js';
import { countPublicPosts, listPublicPosts } from '../posts/queries.js';
import { urls } from '../urls.js';
import { loadProject, projectFeeds, projectIdentity } from './project-page.js';
import { findPage, findTag, listPages, listProjectTags, listTeam } from './queries.js';
import { projectHomeView, staticPageView, type ProjectTeamView, type TagPageView } from './views.js';
import { PROJECT_SLUG_PATTERN } from '../forms.js';

export default async function projectRoutes(app: FastifyInstance) {
  // GET /:project/ — a project's blog: summary, status, team, latest posts (10 a page), tags
  app.get<{ Params: { project: string }; Querystring: { page?: string } }>('/:project/', async (request, reply) => {
    const project = await loadProject(app, request.params.project);
    const page = parsePageNumber(request.query.page);
    const now = app.clock.now();
    const filter = { projectId: project.id };
    const [posts, total, team, tags, pages] = await Promise.all([
      listPublicPosts(app.readDb, now, filter, { limit: POSTS_PER_PAGE, offset: (page - 1) * POSTS_PER_PAGE, pinnedFirst: true }),
      countPublicPosts(app.readDb, now, filter),
      listTeam(app.readDb, project.id),
      listProjectTags(app.readDb, project.id, now),
      listPages(app.readDb, project.id),
    ]);
    const pageCount = Math.max(1, Math.ceil(total / POSTS_PER_PAGE));
    if (page > pageCount) throw notFound('There is no such page of posts.');
    return reply.page('pages/projects/home', {
      title: page > 1 ? `${project.title} (page ${page})` : project.title,
      description: project.summary || `Posts from ${project.title}.`,
      canonicalPath: urls.projectPage(project.slug, page),
      feeds: projectFeeds(project),
      ...projectHomeView(project, { posts, team, tags, pages, pagination: pagination(urls.project(project.slug), page, pageCount) }),
    });
  });

  // GET /:project/team — the team with roles and bios
  app.get<{ Params: { project: string } }>('/:project/team', async (request, reply) => {
    const project = await loadProject(app, request.params.project);
    const team = await listTeam(app.readDb, project.id);
    return reply.page('pages/projects/team', {
      title: `Team: ${project.title}`,
      description: `The people behind ${project.title}.`,
      feeds: projectFeeds(project),
      ...({ project: projectIdentity(project), team } satisfies ProjectTeamView),
    });
  });

  // GET /:project/tags/:tag — posts with a tag
  app.get<{ Params: { project: string; tag: string }; Querystring: { page?: string } }>('/:project/tags/:tag', async (request, reply) => {
    const project = await loadProject(app, request.params.project);
    const tag = PROJECT_SLUG_PATTERN.test(request.params.tag) ? await findTag(app.readDb, project.id, request.params.tag) : undefined;
    if (!tag) throw notFound('There is no such tag in this project.');
    const page = parsePageNumber(request.query.page);
    const now = app.clock.now();
    const filter = { projectId: project.id, tagId: tag.id };
    const [posts, total] = await Promise.all([
      listPublicPosts(app.readDb, now, filter, { limit: POSTS_PER_PAGE, offset: (page - 1) * POSTS_PER_PAGE }),
      countPublicPosts(app.readDb, now, filter),
    ]);
    const pageCount = Math.max(1, Math.ceil(total / POSTS_PER_PAGE));
    if (page > pageCount) throw notFound('There is no such page of posts.');
    const base = urls.tag(project.slug, tag.slug);
    return reply.page('pages/projects/tag', {
      title: `Posts tagged “${tag.name}”: ${project.title}`,
      description: `Posts from ${project.title} tagged ${tag.name}.`,
      canonicalPath: pageUrl(base, page),
      feeds: [
        { title: `${project.title}: posts tagged ${tag.name} (Atom)`, href: urls.tagFeed(project.slug, tag.slug), type: 'atom' as const },
        { title: `${project.title}: posts tagged ${tag.name} (RSS)`, href: urls.tagFeed(project.slug, tag.slug, 'rss'), type: 'rss' as const },
      ],
      ...({ project: projectIdentity(project), tag: { slug: tag.slug, name: tag.name }, posts, total, pagination: pagination(base, page, pageCount) } satisfies TagPageView),
    });
  });

  // GET /:project/pages/:slug — a static page (about, comment policy)
  app.get<{ Params: { project: string; slug: string } }>('/:project/pages/:slug', async (request, reply) => {
    const project = await loadProject(app, request.params.project);
    const page = PROJECT_SLUG_PATTERN.test(request.params.slug) ? await findPage(app.readDb, project.id, request.params.slug) : undefined;
    if (!page) throw notFound('There is no such page in this project.');
    return reply.page('pages/projects/page', {
      title: `${page.title}: ${project.title}`,
      description: `${page.title}, from ${project.title}.`,
      feeds: projectFeeds(project),
      ...staticPageView(project, page),
    });
  });
}
