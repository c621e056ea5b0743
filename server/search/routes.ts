// GET /search?q=…&project=&tag=&author=&page= — full-text search across every project's public posts.
// Whatever people type gets a page: an empty search shows the form, a long one a message, odd syntax
// still searches (websearch_to_tsquery never raises). Excerpts are escaped before highlighting.
import type { FastifyInstance } from 'fastify';
import { escapeHtml } from '../markdown/render.js';
import { listPublicAuthors } from '../people/queries.js';
import { listProjects } from '../projects/queries.js';
import { urls, withQuery } from '../urls.js';
import { canonicalSearchParams, PROBLEM_MESSAGES, readSearchParams, resolveSearch } from './params.js';
import type { SearchHitView, SearchPageView } from './view.js';
import { CANDIDATE_CAP, MARK_START, MARK_STOP, queryHasTerms, searchPosts } from './queries.js';

export const RESULTS_PER_PAGE = 10;
const MAX_PAGE = Math.ceil(CANDIDATE_CAP / RESULTS_PER_PAGE);

/** Escapes everything, then turns the headline markers into <mark>: no text can become markup. */
export function highlightHtml(headline: string): string {
  const escaped = escapeHtml(headline);
  const marked = escaped.replace(new RegExp(`${MARK_START}([^${MARK_START}${MARK_STOP}]*)${MARK_STOP}`, 'g'), '<mark>$1</mark>');
  return marked.replace(new RegExp(`[${MARK_START}${MARK_STOP}]`, 'g'), '');
}

function pageNumber(value: unknown): number | undefined {
  if (value === undefined) return 1;
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,5}$/.test(value)) return undefined;
  return Number(value);
}

export default async function searchRoutes(app: FastifyInstance) {
  app.get<{ Querystring: Record<string, unknown> }>('/search', async (request, reply) => {
    const params = readSearchParams(request.query);
    const canonical = canonicalSearchParams(params);
    // The filters the URL takes, offered as plain form controls (works without JavaScript).
    const now = app.clock.now();
    const [projects, authors] = await Promise.all([listProjects(app.readDb, now), listPublicAuthors(app.readDb, now)]);
    const view: SearchPageView = {
      params,
      filterChoices: { projects: projects.map((p) => ({ slug: p.slug, title: p.title })), authors },
      message: null,
      hits: [],
      total: 0,
      capped: false,
      pagination: null,
      feedUrl: null,
    };
    const base = {
      ...view,
      title: params.q ? `Search: ${params.q}` : 'Search',
      description: 'Search the posts of every project.',
      canonicalPath: urls.search(canonical),
      searchQuery: params.q,
      noindex: true,
      feeds: [] as Array<{ title: string; href: string; type: 'atom' }>,
    };
    const page = pageNumber((request.query as Record<string, unknown>).page);
    if (page === undefined || page > MAX_PAGE) return reply.page('pages/search/index', { ...base, message: 'There is no such page of results.' });

    const resolved = await resolveSearch(app.readDb, params);
    if (!resolved.ok) {
      return reply.page('pages/search/index', { ...base, message: resolved.problem === 'empty' ? null : PROBLEM_MESSAGES[resolved.problem] });
    }
    const feedUrl = urls.searchFeed(canonical);
    const withFeed = { ...base, feedUrl, feeds: [{ title: `Search “${params.q}” (Atom)`, href: feedUrl, type: 'atom' as const }] };
    if (!(await queryHasTerms(app.readDb, resolved.filter.q))) {
      return reply.page('pages/search/index', {
        ...withFeed,
        message: 'Your search has only very common words or punctuation. Try more specific words.',
      });
    }
    const result = await searchPosts(app.readDb, now, resolved.filter, { limit: RESULTS_PER_PAGE, offset: (page - 1) * RESULTS_PER_PAGE });
    const pageCount = Math.max(1, Math.ceil(result.total / RESULTS_PER_PAGE));
    const at = (n: number) => withQuery('/search', { ...canonical, page: n > 1 ? n : undefined });
    return reply.page('pages/search/index', {
      ...withFeed,
      title: page > 1 ? `Search: ${params.q} (page ${page})` : `Search: ${params.q}`,
      message: result.hits.length === 0 && page > 1 ? 'There is no such page of results.' : null,
      hits: result.hits.map((h): SearchHitView => ({
        title: h.title,
        url: urls.post(h.projectSlug, h.slug),
        projectTitle: h.projectTitle,
        projectUrl: urls.project(h.projectSlug),
        publishedAt: h.publishedAt,
        excerptHtmlTrusted: highlightHtml(h.headline || h.summary),
        authors: h.authors,
        tags: h.tags.map((t) => ({ name: t.name, url: urls.tag(h.projectSlug, t.slug) })),
      })),
      total: result.total,
      capped: result.capped,
      pagination: { page, pageCount, newer: page > 1 ? at(page - 1) : null, older: page < pageCount ? at(page + 1) : null },
    });
  });
}
