// Atom and RSS feeds. Feed URLs are stored by readers for years: every path here comes from urls.ts
// and never changes. Each request costs one cheap fingerprint query; a matching If-None-Match or
// If-Modified-Since gets 304 without building, and an unchanged feed is served from the in-process LRU.
// Feed ids are tag: URIs under the site's own authority (site/identity.ts), by database ids, so they
// survive PUBLIC_URL, slug and title changes. Last-Modified (= the feed's <updated>) is when what the
// feed shows last changed, read from the rows (queries.ts), never before the feed began.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { BadRequestError, notFound } from '../errors.js';
import { excerptFromHtml, makeUrlsAbsolute } from '../markdown/render.js';
import { findPublicPerson } from '../people/queries.js';
import { mintAtomId } from '../posts/atom-id.js';
import { findPublicPost } from '../posts/lookup.js';
import { siteTag } from '../site/identity.js';
import { loadProject } from '../projects/project-page.js';
import { findTag } from '../projects/queries.js';
import { canonicalSearchParams, PROBLEM_MESSAGES, readSearchParams, resolveSearch } from '../search/params.js';
import { absoluteUrl, urls } from '../urls.js';
import { websubHub } from '../responses/links.js';
import { buildAtom, buildRss, type FeedEntry, type FeedModel } from './builder.js';
import { FeedCache } from './cache.js';
import { compressBody, etagForEncoding, negotiateEncoding } from '../compression.js';
import { httpDate, isNotModified } from '../conditional-get.js';
import { etagFor, lastChange } from './http.js';
import {
  commentFeedFingerprint,
  listFeedComments,
  listFeedPosts,
  postFeedFingerprint,
  type FeedComment,
  type FeedPost,
  type Fingerprint,
} from './queries.js';
import { param, withParams } from '../route-params.js';


const CONTENT_TYPES = { atom: 'application/atom+xml; charset=utf-8', rss: 'application/rss+xml; charset=utf-8' } as const;
type Format = keyof typeof CONTENT_TYPES;

// Not encapsulated (fastify-plugin) so that app.feedCache is visible on the app, e.g. to tests.
export default fp(feedRoutes, { name: 'feeds' });

async function feedRoutes(app: FastifyInstance) {
  const cache = new FeedCache();
  app.decorate('feedCache', cache);
  const abs = (path: string) => absoluteUrl(app.config.publicUrl, path);
  const feedId = (specific: string) => siteTag(app.siteIdentity, specific);
  const postAtomId = (p: { atomId: string | null; id: number; firstPublishedAt: Date | null; publishedAt: Date }) =>
    p.atomId ?? mintAtomId(app.siteIdentity.authority, p.firstPublishedAt ?? p.publishedAt, p.id);

  /**
   * The conditional-GET and caching path shared by every feed. `describe` names everything besides the
   * entries that shows in the feed (titles, subtitle), so renaming a project changes the ETag too; `since`
   * are the other instants the feed's Last-Modified is at least (when it began, when what `describe`
   * shows last changed). The feed's <updated> is its Last-Modified, so both are in the ETag.
   */
  async function serve(
    request: FastifyRequest,
    reply: FastifyReply,
    feed: {
      now: Date;
      selfPath: string;
      format: Format;
      fingerprint: Fingerprint;
      describe: string;
      since: Array<Date | null | undefined>;
      build: (updated: Date) => Promise<FeedModel>;
    },
  ) {
    const lastModified = lastChange(feed.now, feed.fingerprint.changed, ...feed.since);
    const key = [
      `${feed.format} ${app.config.publicUrl}${feed.selfPath}`,
      feed.describe,
      app.siteSettings.version, // the site's name is in every feed
      feed.fingerprint.count,
      feed.fingerprint.signature,
      lastModified.getTime(),
    ].join('\n');
    const etag = etagFor(feed.selfPath, key);
    // WebSub: the hub and the feed's own address, in the headers as in the feed (server/websub).
    const hubUrl = websubHub(app.config);
    reply
      .header('link', `<${hubUrl}>; rel="hub", <${abs(feed.selfPath)}>; rel="self"`)
      .header('cache-control', `public, max-age=${app.config.feedMaxAge}`)
      .header('etag', etag)
      .header('last-modified', httpDate(lastModified))
      .header('vary', 'accept-encoding');
    if (isNotModified(request.headers, { etag, lastModified }, feed.now)) {
      // The ETag of the copy this reader would get (an encoded copy carries the weak form).
      return reply.code(304).header('etag', etagForEncoding(etag, negotiateEncoding(request.headers['accept-encoding']))).send();
    }
    let cached = cache.get(key);
    if (!cached) {
      const model = { ...(await feed.build(lastModified)), hubUrl };
      const body = feed.format === 'atom' ? buildAtom(model) : buildRss(model);
      cache.stats.builds++;
      // Compressed once, with the body: a reader polling an unchanged feed costs no compression.
      cached = { body, etag, lastModified, compressed: compressBody(Buffer.from(body)) };
      cache.set(key, cached);
    }
    return reply.code(200).type(CONTENT_TYPES[feed.format]).offerCompressed(cached.body, cached.compressed).send(cached.body);
  }

  function postEntry(post: FeedPost): FeedEntry {
    const url = abs(urls.post(post.projectSlug, post.slug));
    return {
      id: postAtomId(post),
      title: post.title,
      url,
      published: post.publishedAt,
      updated: post.updatedAt > post.publishedAt ? post.updatedAt : post.publishedAt,
      authors: post.authors.length
        ? post.authors.map((a) => ({ name: a.displayName, uri: abs(urls.person(a.handle)) }))
        : [{ name: post.projectTitle, uri: abs(urls.project(post.projectSlug)) }],
      summary: post.summary || excerptFromHtml(post.bodyHtml, 300),
      contentHtml: makeUrlsAbsolute(post.bodyHtml, url, url),
      categories: post.tags.map((t) => ({ term: t.slug, label: t.name, scheme: abs(`/${encodeURIComponent(post.projectSlug)}/tags/`) })),
    };
  }

  function commentEntry(c: FeedComment): FeedEntry {
    const url = abs(urls.comment(c.projectSlug, c.postSlug, c.id));
    const postId = postAtomId({ atomId: c.postAtomId, id: c.postId, firstPublishedAt: c.postFirstPublishedAt, publishedAt: c.postPublishedAt });
    return {
      // Derived from the post's stored tag: URI, so it survives slug, title and PUBLIC_URL changes.
      id: `${postId}:comment-${c.id}`,
      title: `Comment by ${c.authorName} on “${c.postTitle}”`,
      url,
      published: c.createdAt,
      updated: c.updatedAt > c.createdAt ? c.updatedAt : c.createdAt,
      authors: [{ name: c.authorName, ...(c.authorHandle ? { uri: abs(urls.person(c.authorHandle)) } : {}) }],
      summary: excerptFromHtml(c.bodyHtml, 300),
      contentHtml: makeUrlsAbsolute(c.bodyHtml, url, url),
      categories: [],
    };
  }

  const site = () => app.siteSettings.current;
  // The site feed's author: the organisation behind the site, else the site itself.
  const siteAuthor = () => ({ name: site().organisation || site().name, uri: abs(urls.home()) });

  // GET /feed.atom, /feed.rss — the newest posts of every project
  for (const format of ['atom', 'rss'] as const) {
    app.get(urls.siteFeed(format), async (request, reply) => {
      const now = app.clock.now();
      const filter = { kind: 'site' } as const;
      const selfPath = urls.siteFeed(format);
      return serve(request, reply, {
        now,
        selfPath,
        format,
        fingerprint: await postFeedFingerprint(app.readDb, now, filter),
        describe: '',
        since: [app.siteIdentity.createdAt],
        build: async (updated) => ({
          id: feedId('feed'),
          title: `${site().name}: latest posts from every project`,
          subtitle: site().description,
          selfUrl: abs(selfPath),
          alternateUrl: abs(urls.home()),
          author: siteAuthor(),
          updated,
          entries: (await listFeedPosts(app.readDb, now, filter)).map(postEntry),
        }),
      });
    });
  }

  // GET /:project/feed.atom, /:project/feed.rss — a project's newest posts
  for (const format of ['atom', 'rss'] as const) {
    app.get<{ Params: { project: string } }>(`/:project/feed.${format}`, withParams({ project: param.project }), async (request, reply) => {
      const project = await loadProject(app, request.params.project);
      const now = app.clock.now();
      const filter = { kind: 'project', projectId: project.id } as const;
      const selfPath = urls.projectFeed(project.slug, format);
      return serve(request, reply, {
        now,
        selfPath,
        format,
        fingerprint: await postFeedFingerprint(app.readDb, now, filter),
        describe: `${project.title}\n${project.summary}`,
        since: [project.created_at, project.updated_at],
        build: async (updated) => ({
          id: feedId(`project-${project.id}:posts`),
          title: project.title,
          subtitle: project.summary || `Posts from ${project.title}.`,
          selfUrl: abs(selfPath),
          alternateUrl: abs(urls.project(project.slug)),
          author: { name: project.title, uri: abs(urls.project(project.slug)) },
          updated,
          entries: (await listFeedPosts(app.readDb, now, filter)).map(postEntry),
        }),
      });
    });
  }

  // GET /:project/tags/:tag/feed.atom, /:project/tags/:tag/feed.rss — a project's posts with one tag
  for (const format of ['atom', 'rss'] as const) {
    app.get<{ Params: { project: string; tag: string } }>(`/:project/tags/:tag/feed.${format}`, withParams({ project: param.project, tag: param.tag }), async (request, reply) => {
      const project = await loadProject(app, request.params.project);
      const tag = await findTag(app.readDb, project.id, request.params.tag);
      if (!tag) throw notFound('There is no such tag in this project.');
      const now = app.clock.now();
      const filter = { kind: 'tag', projectId: project.id, tagId: tag.id } as const;
      const selfPath = urls.tagFeed(project.slug, tag.slug, format);
      return serve(request, reply, {
        now,
        selfPath,
        format,
        fingerprint: await postFeedFingerprint(app.readDb, now, filter),
        describe: `${project.title}\n${tag.name}`,
        since: [project.created_at, project.updated_at],
        build: async (updated) => ({
          id: feedId(`project-${project.id}:tag-${tag.id}`),
          title: `${project.title}: posts tagged “${tag.name}”`,
          selfUrl: abs(selfPath),
          alternateUrl: abs(urls.tag(project.slug, tag.slug)),
          author: { name: project.title, uri: abs(urls.project(project.slug)) },
          updated,
          entries: (await listFeedPosts(app.readDb, now, filter)).map(postEntry),
        }),
      });
    });
  }

  // GET /people/:handle/feed.atom, /people/:handle/feed.rss — a person's posts across projects
  for (const format of ['atom', 'rss'] as const) {
    app.get<{ Params: { handle: string } }>(`/people/:handle/feed.${format}`, withParams({ handle: param.handle }), async (request, reply) => {
      const { handle } = request.params;
      const person = await findPublicPerson(app.readDb, handle);
      if (!person) throw notFound('There is nobody with that name on this site.');
      const now = app.clock.now();
      const filter = { kind: 'person', personId: person.id } as const;
      const selfPath = urls.personFeed(person.handle, format);
      return serve(request, reply, {
        now,
        selfPath,
        format,
        fingerprint: await postFeedFingerprint(app.readDb, now, filter),
        describe: `${person.displayName}\n${person.bio}`,
        since: [person.createdAt, person.updatedAt],
        build: async (updated) => ({
          id: feedId(`person-${person.id}:posts`),
          title: `Posts by ${person.displayName}`,
          ...(person.bio ? { subtitle: person.bio } : {}),
          selfUrl: abs(selfPath),
          alternateUrl: abs(urls.person(person.handle)),
          author: { name: person.displayName, uri: abs(urls.person(person.handle)) },
          updated,
          entries: (await listFeedPosts(app.readDb, now, filter)).map(postEntry),
        }),
      });
    });
  }

  // GET /:project/posts/:slug/comments.atom — the approved comments of one post
  app.get<{ Params: { project: string; slug: string } }>('/:project/posts/:slug/comments.atom', withParams({ project: param.project, slug: param.postSlug }), async (request, reply) => {
    const project = await loadProject(app, request.params.project);
    const now = app.clock.now();
    const found = await findPublicPost(app, project, request.params.slug);
    if ('movedTo' in found) return reply.redirect(urls.postCommentsFeed(project.slug, found.movedTo), 301);
    const { post } = found;
    const filter = { kind: 'post', postId: post.id, projectId: project.id } as const;
    const selfPath = urls.postCommentsFeed(project.slug, post.slug);
    return serve(request, reply, {
      now,
      selfPath,
      format: 'atom',
      fingerprint: await commentFeedFingerprint(app.readDb, now, filter),
      describe: `${project.title}\n${post.title}`,
      // The post's row: its title and address show in every entry; published_at: the feed began.
      since: [post.published_at, post.updated_at, project.updated_at],
      build: async (updated) => ({
        id: `${postAtomId({ atomId: post.atom_id, id: post.id, firstPublishedAt: post.first_published_at, publishedAt: post.published_at ?? now })}:comments`,
        title: `Comments on “${post.title}”`,
        subtitle: `Approved comments on a post from ${project.title}.`,
        selfUrl: abs(selfPath),
        alternateUrl: abs(urls.post(project.slug, post.slug)),
        author: { name: project.title, uri: abs(urls.project(project.slug)) },
        updated,
        entries: (await listFeedComments(app.readDb, now, filter)).map(commentEntry),
      }),
    });
  });

  // GET /:project/comments.atom — every approved comment of a project
  app.get<{ Params: { project: string } }>('/:project/comments.atom', withParams({ project: param.project }), async (request, reply) => {
    const project = await loadProject(app, request.params.project);
    const now = app.clock.now();
    const filter = { kind: 'project', projectId: project.id } as const;
    const selfPath = urls.projectCommentsFeed(project.slug);
    return serve(request, reply, {
      now,
      selfPath,
      format: 'atom',
      fingerprint: await commentFeedFingerprint(app.readDb, now, filter),
      describe: project.title,
      since: [project.created_at, project.updated_at],
      build: async (updated) => ({
        id: feedId(`project-${project.id}:comments`),
        title: `${project.title}: comments`,
        subtitle: `Approved comments on posts from ${project.title}.`,
        selfUrl: abs(selfPath),
        alternateUrl: abs(urls.project(project.slug)),
        author: { name: project.title, uri: abs(urls.project(project.slug)) },
        updated,
        entries: (await listFeedComments(app.readDb, now, filter)).map(commentEntry),
      }),
    });
  });

  // GET /search/feed.atom?q=… — the newest posts matching a search, with the results page's filters
  app.get('/search/feed.atom', async (request, reply) => {
    const params = readSearchParams(request.query);
    const resolved = await resolveSearch(app.readDb, params);
    if (!resolved.ok) {
      if (resolved.problem === 'empty') throw notFound('A search feed needs words to search for, e.g. /search/feed.atom?q=consultation');
      if (resolved.problem === 'too-long') throw new BadRequestError(PROBLEM_MESSAGES['too-long']);
      throw notFound(PROBLEM_MESSAGES[resolved.problem]);
    }
    const now = app.clock.now();
    const filter = { kind: 'search', search: resolved.filter } as const;
    const canonical = canonicalSearchParams(params);
    const selfPath = urls.searchFeed(canonical);
    const scope = [
      resolved.projectTitle && `in ${resolved.projectTitle}`,
      params.tag && `tagged ${params.tag}`,
      resolved.authorName && `by ${resolved.authorName}`,
    ].filter(Boolean).join(', ');
    return serve(request, reply, {
      now,
      selfPath,
      format: 'atom',
      fingerprint: await postFeedFingerprint(app.readDb, now, filter),
      describe: scope,
      since: [app.siteIdentity.createdAt],
      build: async (updated) => ({
        id: feedId(`search?${selfPath.split('?')[1] ?? ''}`),
        title: `Search: “${params.q}”${scope ? ` (${scope})` : ''}`,
        subtitle: `The newest posts on ${site().name} matching this search.`,
        selfUrl: abs(selfPath),
        alternateUrl: abs(urls.search(canonical)),
        author: siteAuthor(),
        updated,
        entries: (await listFeedPosts(app.readDb, now, filter)).map(postEntry),
      }),
    });
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Built feed bodies by URL and data fingerprint (see feeds/cache.ts). */
    feedCache: FeedCache;
  }
}
