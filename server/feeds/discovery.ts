// Discovery for readers and crawlers: /feeds.opml (every project's feed, to import at once),
// /sitemap.xml (public posts, pages and projects with lastmod) and /robots.txt naming the sitemap.
import type { FastifyInstance } from 'fastify';
import { listProjects } from '../projects/queries.js';
import { absoluteUrl, urls } from '../urls.js';
import { rfc3339, rfc822 } from './builder.js';
import { listSitemapEntries } from './queries.js';
import { XML_DECLARATION, element, emptyElement, rssText, textElement } from './xml.js';

/** A sitemap file holds at most 50,000 URLs (sitemaps.org); the newest posts win. */
const SITEMAP_MAX_URLS = 50_000;

export default async function discoveryRoutes(app: FastifyInstance) {
  const abs = (path: string) => absoluteUrl(app.config.publicUrl, path);
  const cacheControl = () => `public, max-age=${app.config.feedMaxAge}`;

  // GET /feeds.opml — an OPML 2.0 list of every project's feed
  app.get(urls.feedsOpml(), async (_request, reply) => {
    const now = app.clock.now();
    const projects = await listProjects(app.readDb, now);
    const newest = projects.reduce<Date | null>((d, p) => (p.lastPublishedAt && (!d || p.lastPublishedAt > d) ? p.lastPublishedAt : d), null);
    const outlines = projects.map((p) =>
      emptyElement('outline', {
        type: 'rss',
        // OPML text may carry HTML in some readers: the same encoding as RSS titles (feeds/xml.ts: rssText).
        text: rssText(p.title),
        title: rssText(p.title),
        ...(p.summary ? { description: rssText(p.summary) } : {}),
        xmlUrl: abs(urls.projectFeed(p.slug)),
        htmlUrl: abs(urls.project(p.slug)),
        language: 'en',
      }),
    );
    const head = [
      textElement('title', rssText(`${app.siteSettings.current.name}: every project's feed`)),
      ...(app.siteSettings.current.organisation ? [textElement('ownerName', rssText(app.siteSettings.current.organisation))] : []),
      ...(newest ? [textElement('dateModified', rfc822(newest))] : []),
      textElement('docs', 'http://opml.org/spec2.opml'),
    ];
    const body = `${XML_DECLARATION}<opml version="2.0">\n${element('head', head)}\n${element('body', outlines.map((o) => `\n${o}`).concat('\n'))}\n</opml>\n`;
    return reply.type('text/x-opml; charset=utf-8').header('cache-control', cacheControl()).send(body);
  });

  // GET /sitemap.xml — public posts, project pages and projects, with lastmod
  app.get(urls.sitemap(), async (_request, reply) => {
    const now = app.clock.now();
    const { projects, posts, pages } = await listSitemapEntries(app.readDb, now, SITEMAP_MAX_URLS);
    const later = (a: Date, b: Date | null | undefined) => (b && b > a ? b : a);
    const entry = (loc: string, lastmod: Date) => element('url', [textElement('loc', abs(loc)), textElement('lastmod', rfc3339(lastmod))]);
    const urlEntries = [
      ...projects.map((p) => entry(urls.project(p.slug), later(p.updated_at, p.newest_post ? new Date(p.newest_post) : null))),
      ...pages.map((p) => entry(urls.page(p.project_slug, p.slug), p.updated_at)),
      ...posts.slice(0, SITEMAP_MAX_URLS - projects.length - pages.length).map((p) => entry(urls.post(p.project_slug, p.slug), later(p.updated_at, p.published_at))),
    ];
    const body = `${XML_DECLARATION}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urlEntries.join('\n')}\n</urlset>\n`;
    return reply.type('application/xml; charset=utf-8').header('cache-control', cacheControl()).send(body);
  });

  // GET /robots.txt — everything public may be crawled; the sitemap by absolute URL
  app.get('/robots.txt', async (_request, reply) => {
    const body = ['User-agent: *', 'Disallow: /admin', 'Disallow: /login', 'Allow: /', '', `Sitemap: ${abs(urls.sitemap())}`, ''].join('\n');
    return reply.type('text/plain; charset=utf-8').header('cache-control', cacheControl()).send(body);
  });
}
