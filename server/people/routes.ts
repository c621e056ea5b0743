// GET /people/:handle — a person, their projects and their posts across projects.
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors.js';
import { pagination, pageUrl, parsePageNumber, POSTS_PER_PAGE } from '../pagination.js';
import { countPublicPosts, listPublicPosts } from '../posts/queries.js';
import { urls } from '../urls.js';
import { findPublicPerson, listPersonProjects, type PublicPerson } from './queries.js';
import { HANDLE_PATTERN } from '../forms.js';
import type { PostSummary } from '../posts/queries.js';
import type { Role } from '../db/schema.js';

/** What views/pages/people/show.eta reads. */
export interface PersonPageView {
  person: PublicPerson;
  /** The projects whose team they are on, with their role there. */
  projects: Array<{ slug: string; title: string; role: Role }>;
  posts: PostSummary[];
  total: number;
  pagination: ReturnType<typeof pagination>;
}


export default async function peopleRoutes(app: FastifyInstance) {
  app.get<{ Params: { handle: string }; Querystring: { page?: string } }>('/people/:handle', async (request, reply) => {
    const { handle } = request.params;
    const person = HANDLE_PATTERN.test(handle) ? await findPublicPerson(app.readDb, handle) : undefined;
    if (!person) throw notFound('There is nobody with that name on this site.');
    const page = parsePageNumber(request.query.page);
    const now = app.clock.now();
    const filter = { personId: person.id };
    const [projects, posts, total] = await Promise.all([
      listPersonProjects(app.readDb, person.id),
      listPublicPosts(app.readDb, now, filter, { limit: POSTS_PER_PAGE, offset: (page - 1) * POSTS_PER_PAGE }),
      countPublicPosts(app.readDb, now, filter),
    ]);
    const pageCount = Math.max(1, Math.ceil(total / POSTS_PER_PAGE));
    if (page > pageCount) throw notFound('There is no such page of posts.');
    const base = urls.person(person.handle);
    return reply.page('pages/people/show', {
      title: person.displayName,
      description: person.bio || `Posts by ${person.displayName}.`,
      canonicalPath: pageUrl(base, page),
      feeds: [
        { title: `Posts by ${person.displayName} (Atom)`, href: urls.personFeed(person.handle), type: 'atom' as const },
        { title: `Posts by ${person.displayName} (RSS)`, href: urls.personFeed(person.handle, 'rss'), type: 'rss' as const },
      ],
      ...({ person, projects, posts, total, pagination: pagination(base, page, pageCount) } satisfies PersonPageView),
    });
  });
}
