// GET / — the site: a directory of projects (active first) and the latest posts across projects.
import type { FastifyInstance } from 'fastify';
import { listPublicPosts, type PostSummary } from '../posts/queries.js';
import { listProjects, type ProjectListing } from '../projects/queries.js';
import { urls } from '../urls.js';

/** What views/pages/site/home.eta reads: the project directory and the latest posts across projects. */
export interface SiteHomeView {
  projects: ProjectListing[];
  latest: PostSummary[];
}

export default async function siteRoutes(app: FastifyInstance) {
  app.get('/', async (_request, reply) => {
    const now = app.clock.now();
    const [projects, latest] = await Promise.all([
      listProjects(app.readDb, now),
      listPublicPosts(app.readDb, now, {}, { limit: 10 }),
    ]);
    return reply.page('pages/site/home', {
      title: 'Projects working in the open',
      // The site's own one-line description (site settings), as in the layout's default.
      description: app.siteSettings.current.description || 'Project teams publish their progress here; read, comment and follow each project by feed.',
      canonicalPath: '/',
      feeds: [
        { title: 'All projects: latest posts (Atom)', href: urls.siteFeed('atom'), type: 'atom' as const },
        { title: 'All projects: latest posts (RSS)', href: urls.siteFeed('rss'), type: 'rss' as const },
      ],
      ...({ projects, latest } satisfies SiteHomeView),
    });
  });

  // GET /favicon.ico — for clients that ask for it without reading the page's <link rel="icon">
  app.get('/favicon.ico', async (_request, reply) => reply.redirect('/static/favicon.svg', 301));

  // GET /accessibility — what we test for accessibility and what we know falls short
  app.get('/accessibility', async (_request, reply) =>
    reply.page('pages/site/accessibility', { title: 'Accessibility statement', description: 'How this site is built and tested for accessibility.' }),
  );
}
