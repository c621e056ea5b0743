// Every kind of feed on the demo content: valid per RFC 4287 / RSS 2.0, served with the right headers,
// conditional GET without rebuilding, stable ids, absolute links, and nothing the public cannot see.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, type TestApp } from '../helpers/test-app.js';
import { createComment, createPost, createProject } from './fixtures.js';
import { checkAtomSemantics, checkRss, kid, kids, parseXml, textOf, xmlWellFormedErrors } from './xml-check.js';

let t: TestApp;
let project: { id: number; slug: string };
let postSlug: string;
let tagSlug: string;
let personHandle: string;
const PUBLIC = 'http://blogs.test';

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  project = await t.db.selectFrom('projects').select(['id', 'slug']).where('slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow();
  const commented = await t.db.selectFrom('comments').innerJoin('posts', 'posts.id', 'comments.post_id')
    .select('posts.slug').where('posts.project_id', '=', project.id).where('comments.status', '=', 'approved').executeTakeFirstOrThrow();
  postSlug = commented.slug;
  tagSlug = (await t.db.selectFrom('tags').select('slug').where('project_id', '=', project.id).executeTakeFirstOrThrow()).slug;
  personHandle = (await t.db.selectFrom('post_authors').innerJoin('people', 'people.id', 'post_authors.person_id').select('people.handle').executeTakeFirstOrThrow()).handle;
});

const atomFeeds = () => [
  '/feed.atom',
  `/${project.slug}/feed.atom`,
  `/${project.slug}/tags/${tagSlug}/feed.atom`,
  `/people/${personHandle}/feed.atom`,
  `/${project.slug}/posts/${postSlug}/comments.atom`,
  `/${project.slug}/comments.atom`,
  '/search/feed.atom?q=data',
  `/search/feed.atom?q=pilot&project=${project.slug}`,
];
const rssFeeds = () => ['/feed.rss', `/${project.slug}/feed.rss`, `/${project.slug}/tags/${tagSlug}/feed.rss`, `/people/${personHandle}/feed.rss`];

describe('feeds', () => {
  it('every Atom feed validates against RFC 4287 and keeps its promises (ids, dates, authors, self, alternate)', async () => {
    for (const url of atomFeeds()) {
      const res = await get(t.app, url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toBe('application/atom+xml; charset=utf-8');
      expect(res.headers['cache-control'], url).toBe(`public, max-age=${t.config.feedMaxAge}`);
      expect(res.headers.etag, url).toMatch(/^"[^"]+"$/);
      expect(res.headers['last-modified'], url).toMatch(/GMT$/);
      const feed = await checkAtomSemantics(res.body, `${PUBLIC}${url}`);
      expect(kids(feed, 'entry').length, url).toBeGreaterThan(0);
      expect(kids(feed, 'entry').length, url).toBeLessThanOrEqual(20);
      // rel=alternate leads to the HTML page
      const alternate = kids(feed, 'link').find((l) => l.attrs.rel === 'alternate')!.attrs.href!;
      const page = await get(t.app, alternate.slice(PUBLIC.length));
      expect(page.statusCode, alternate).toBe(200);
      expect(page.headers['content-type'], alternate).toContain('text/html');
    }
  });

  it('the RSS twins are valid RSS 2.0', async () => {
    for (const url of rssFeeds()) {
      const res = await get(t.app, url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toBe('application/rss+xml; charset=utf-8');
      const rss = await checkRss(res.body, `${PUBLIC}${url}`);
      expect(kids(kid(rss, 'channel')!, 'item').length).toBeGreaterThan(0);
    }
  });

  it('tag and person feeds have RSS twins with the same entries, their own validators and 304s', async () => {
    const pairs: Array<[string, string]> = [
      [`/${project.slug}/tags/${tagSlug}/feed.atom`, `/${project.slug}/tags/${tagSlug}/feed.rss`],
      [`/people/${personHandle}/feed.atom`, `/people/${personHandle}/feed.rss`],
    ];
    for (const [atom, rssUrl] of pairs) {
      const a = await get(t.app, atom);
      const r = await get(t.app, rssUrl);
      expect(r.statusCode, rssUrl).toBe(200);
      const ids = kids(parseXml(a.body), 'entry').map((e) => textOf(e, 'id'));
      const guids = kids(kid(parseXml(r.body), 'channel')!, 'item').map((i) => textOf(i, 'guid'));
      expect(guids, rssUrl).toEqual(ids);
      expect(r.headers.etag, rssUrl).not.toBe(a.headers.etag);
      expect(r.headers['last-modified'], rssUrl).toBe(a.headers['last-modified']);
      const again = await get(t.app, rssUrl, { headers: { 'if-none-match': r.headers.etag as string } });
      expect(again.statusCode, rssUrl).toBe(304);
    }
  });

  it('entries carry the full HTML, a summary, authors, tags and the last real change as updated', async () => {
    const res = await get(t.app, `/${project.slug}/feed.atom`);
    const feed = parseXml(res.body);
    const entries = kids(feed, 'entry');
    const rows = await t.db.selectFrom('posts').select(['atom_id', 'updated_at', 'published_at', 'body_html']).where('project_id', '=', project.id).execute();
    const visible = rows.filter((r) => r.published_at && r.published_at <= t.clock.now());
    expect(entries).toHaveLength(Math.min(20, visible.length));
    for (const e of entries) {
      const row = rows.find((r) => r.atom_id === textOf(e, 'id'));
      expect(row, textOf(e, 'id')).toBeDefined();
      const newest = Math.max(row!.updated_at.getTime(), row!.published_at!.getTime());
      expect(Date.parse(textOf(e, 'updated')!)).toBe(Math.floor(newest / 1000) * 1000);
      expect(textOf(e, 'content')!.length).toBeGreaterThan(row!.body_html.length * 0.9);
    }
    expect(entries.some((e) => kids(e, 'category').length > 0)).toBe(true);
  });

  it('an entry id stays the same when the post’s title and slug change', async () => {
    const post = await t.db.selectFrom('posts').select(['id', 'atom_id', 'slug']).where('project_id', '=', project.id)
      .where('status', '=', 'published').orderBy('published_at', 'desc').executeTakeFirstOrThrow();
    const before = parseXml((await get(t.app, `/${project.slug}/feed.atom`)).body);
    const entryBefore = kids(before, 'entry').find((e) => textOf(e, 'id') === post.atom_id)!;
    expect(entryBefore).toBeDefined();
    await t.db.updateTable('posts').set({ title: 'A wholly new title', slug: 'a-wholly-new-slug', version: 99, updated_at: t.clock.now() }).where('id', '=', post.id).execute();
    const after = parseXml((await get(t.app, `/${project.slug}/feed.atom`)).body);
    const entryAfter = kids(after, 'entry').find((e) => textOf(e, 'title') === 'A wholly new title')!;
    expect(textOf(entryAfter, 'id')).toBe(post.atom_id);
    expect(kid(entryAfter, 'link')!.attrs.href).toBe(`${PUBLIC}/${project.slug}/posts/a-wholly-new-slug`);
  });

  it('relative links and images in a post become absolute in the feed', async () => {
    const id = await createPost(t, {
      projectId: project.id,
      title: 'Relative links',
      body: 'See [the plan](/info-sharing-taskforce/posts/plan), [a sibling](other-post), [a part](#section-x) and ![chart](/static/demo/timeline.svg).',
      publishedAt: new Date(t.clock.now().getTime() - 1000),
    });
    const feed = parseXml((await get(t.app, `/${project.slug}/feed.atom`)).body);
    const atomId = (await t.db.selectFrom('posts').select('atom_id').where('id', '=', id).executeTakeFirstOrThrow()).atom_id;
    const html = textOf(kids(feed, 'entry').find((e) => textOf(e, 'id') === atomId)!, 'content')!;
    expect(html).toContain('href="http://blogs.test/info-sharing-taskforce/posts/plan"');
    expect(html).toContain('href="http://blogs.test/info-sharing-taskforce/posts/other-post"');
    expect(html).toMatch(/href="http:\/\/blogs\.test\/info-sharing-taskforce\/posts\/[a-z0-9-]+#section-x"/);
    expect(html).toContain('src="http://blogs.test/static/demo/timeline.svg"');
    expect(html).not.toMatch(/(href|src)="(?!https?:|mailto:)/);
  });

  it('answers 304 to a matching If-None-Match or If-Modified-Since, without building the feed', async () => {
    const url = `/${project.slug}/comments.atom`;
    const first = await get(t.app, url);
    expect(first.statusCode).toBe(200);
    const builds = t.app.feedCache.stats.builds;
    const etag = first.headers.etag as string;
    const lastModified = first.headers['last-modified'] as string;

    const byEtag = await get(t.app, url, { headers: { 'if-none-match': etag } });
    expect(byEtag.statusCode).toBe(304);
    expect(byEtag.body).toBe('');
    expect(byEtag.headers.etag).toBe(etag);
    const weak = await get(t.app, url, { headers: { 'if-none-match': `"other", W/${etag}` } });
    expect(weak.statusCode).toBe(304);
    const byDate = await get(t.app, url, { headers: { 'if-modified-since': lastModified } });
    expect(byDate.statusCode).toBe(304);
    expect(t.app.feedCache.stats.builds).toBe(builds);

    // An unconditional request for unchanged data is served from memory, not rebuilt.
    const again = await get(t.app, url);
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(first.body);
    expect(t.app.feedCache.stats.builds).toBe(builds);

    // A stale validator gets the full feed; If-None-Match wins over If-Modified-Since.
    expect((await get(t.app, url, { headers: { 'if-none-match': '"stale"' } })).statusCode).toBe(200);
    expect((await get(t.app, url, { headers: { 'if-none-match': '"stale"', 'if-modified-since': lastModified } })).statusCode).toBe(200);
    expect((await get(t.app, url, { headers: { 'if-modified-since': new Date(Date.parse(lastModified) - 60_000).toUTCString() } })).statusCode).toBe(200);

    // A newly approved comment changes the ETag and the feed is rebuilt once.
    const post = await t.db.selectFrom('posts').select('id').where('project_id', '=', project.id).where('slug', '=', postSlug).executeTakeFirstOrThrow();
    await createComment(t, post.id, 'A new approved comment', 'approved');
    const changed = await get(t.app, url, { headers: { 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.body).toContain('A new approved comment');
    expect(t.app.feedCache.stats.builds).toBe(builds + 1);
  });

  it('nothing the public cannot see leaks into any feed', async () => {
    const now = t.clock.now().getTime();
    const hidden = [
      { title: 'LEAK-DRAFT post', status: 'draft' as const },
      { title: 'LEAK-FUTURE post', status: 'scheduled' as const, publishedAt: new Date(now + 86_400_000) },
      { title: 'LEAK-UNPUBLISHED post', status: 'unpublished' as const },
      { title: 'LEAK-DELETED post', status: 'published' as const, deleted: true },
      { title: 'LEAK-REVIEW post', status: 'review' as const },
    ];
    for (const h of hidden) {
      await createPost(t, { projectId: project.id, title: h.title, body: `${h.title} body about data and pilot`, status: h.status, publishedAt: h.publishedAt ?? new Date(now - 10), deleted: h.deleted, tags: [tagSlug] });
    }
    const post = await t.db.selectFrom('posts').select('id').where('project_id', '=', project.id).where('slug', '=', postSlug).executeTakeFirstOrThrow();
    for (const status of ['pending', 'rejected', 'spam', 'deleted'] as const) await createComment(t, post.id, `LEAK-COMMENT-${status}`, status);
    // An approved comment on a draft post is not public either.
    const draftId = (await t.db.selectFrom('posts').select('id').where('title', '=', 'LEAK-DRAFT post').executeTakeFirstOrThrow()).id;
    await createComment(t, draftId, 'LEAK-COMMENT-on-draft', 'approved');

    for (const url of [...atomFeeds(), ...rssFeeds(), '/search/feed.atom?q=leak', '/search/feed.atom?q=pilot', '/sitemap.xml']) {
      const res = await get(t.app, url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toContain('LEAK-');
      expect(res.body, url).not.toContain('PENDING-DEMO-COMMENT');
      expect(res.body, url).not.toContain('commenter@example.org');
    }
  });

  it('feeds of things that do not exist answer 404, and old post slugs redirect', async () => {
    for (const url of ['/no-such-project/feed.atom', `/${project.slug}/tags/nope/feed.atom`, '/people/nobody/feed.atom', `/${project.slug}/tags/nope/feed.rss`, '/people/nobody/feed.rss', `/${project.slug}/posts/nope/comments.atom`, '/search/feed.atom', '/search/feed.atom?q=', `/search/feed.atom?q=x&project=nope`]) {
      expect((await get(t.app, url)).statusCode, url).toBe(404);
    }
    expect((await get(t.app, `/search/feed.atom?q=${'a'.repeat(201)}`)).statusCode).toBe(400);
    const post = await t.db.selectFrom('posts').select(['id', 'slug']).where('project_id', '=', project.id).where('slug', '=', postSlug).executeTakeFirstOrThrow();
    await t.db.insertInto('slug_redirects').values({ project_id: project.id, old_slug: 'an-old-slug', post_id: post.id }).execute();
    const moved = await get(t.app, `/${project.slug}/posts/an-old-slug/comments.atom`);
    expect(moved.statusCode).toBe(301);
    expect(moved.headers.location).toBe(`/${project.slug}/posts/${post.slug}/comments.atom`);
  });

  it('the search feed shows a post published after the first fetch, and its ETag changes', async () => {
    const url = '/search/feed.atom?q=heronsgate';
    const first = await get(t.app, url);
    expect(first.statusCode).toBe(200);
    await checkAtomSemantics(first.body, `${PUBLIC}${url}`);
    expect(kids(parseXml(first.body), 'entry')).toHaveLength(0);
    const id = await createPost(t, { projectId: project.id, title: 'Heronsgate joins the pilot', body: 'The Heronsgate council starts next week.', status: 'scheduled', publishedAt: new Date(t.clock.now().getTime() + 3_600_000) });
    // Scheduled but not yet due: still nothing.
    expect((await get(t.app, url, { headers: { 'if-none-match': first.headers.etag as string } })).statusCode).toBe(304);
    t.clock.advance(2 * 3_600_000);
    const second = await get(t.app, url, { headers: { 'if-none-match': first.headers.etag as string } });
    expect(second.statusCode).toBe(200);
    expect(second.headers.etag).not.toBe(first.headers.etag);
    const feed = await checkAtomSemantics(second.body, `${PUBLIC}${url}`);
    const atomId = (await t.db.selectFrom('posts').select('atom_id').where('id', '=', id).executeTakeFirstOrThrow()).atom_id;
    expect(kids(feed, 'entry').map((e) => textOf(e, 'id'))).toEqual([atomId]);
    t.clock.advance(-2 * 3_600_000);
  });
});

describe('discovery', () => {
  it('every listing page offers its feeds (link rel=alternate and visible Subscribe links)', async () => {
    const pages: Array<[string, string]> = [
      ['/', '/feed.atom'],
      [`/${project.slug}/`, `/${project.slug}/feed.atom`],
      [`/${project.slug}/`, `/${project.slug}/feed.rss`],
      [`/${project.slug}/tags/${tagSlug}`, `/${project.slug}/tags/${tagSlug}/feed.atom`],
      [`/people/${personHandle}`, `/people/${personHandle}/feed.atom`],
      [`/${project.slug}/tags/${tagSlug}`, `/${project.slug}/tags/${tagSlug}/feed.rss`],
      [`/people/${personHandle}`, `/people/${personHandle}/feed.rss`],
      [`/${project.slug}/posts/${postSlug}`, `/${project.slug}/posts/${postSlug}/comments.atom`],
      ['/search?q=data', '/search/feed.atom?q=data'],
    ];
    for (const [page, feed] of pages) {
      const res = await get(t.app, page);
      expect(res.statusCode, page).toBe(200);
      expect(res.body, page).toMatch(new RegExp(`<link rel="alternate" type="application/(atom|rss)\\+xml" title="[^"]*" href="${PUBLIC}${feed.replace(/[?.+]/g, '\\$&')}">`));
      expect(res.body, page).toContain(`<code class="feed-url">${PUBLIC}${feed}</code>`);
      expect((await get(t.app, feed)).statusCode, feed).toBe(200);
    }
  });

  it('/feeds.opml lists every project feed in OPML 2.0', async () => {
    const res = await get(t.app, '/feeds.opml');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/x-opml; charset=utf-8');
    expect(await xmlWellFormedErrors(res.body)).toEqual([]);
    const opml = parseXml(res.body);
    expect(opml.name).toBe('opml');
    expect(opml.attrs.version).toBe('2.0');
    expect(textOf(kid(opml, 'head')!, 'title')).toBeTruthy();
    const outlines = kids(kid(opml, 'body')!, 'outline');
    const projects = await t.db.selectFrom('projects').select('slug').execute();
    expect(outlines).toHaveLength(projects.length);
    for (const p of projects) {
      const o = outlines.find((x) => x.attrs.xmlUrl === `${PUBLIC}/${p.slug}/feed.atom`);
      expect(o, p.slug).toBeDefined();
      expect(o!.attrs).toMatchObject({ type: 'rss', htmlUrl: `${PUBLIC}/${p.slug}/` });
      expect(o!.attrs.text).toBeTruthy();
    }
  });

  it('/sitemap.xml lists public posts, pages and projects with lastmod; /robots.txt names it', async () => {
    const res = await get(t.app, '/sitemap.xml');
    expect(res.statusCode).toBe(200);
    expect(await xmlWellFormedErrors(res.body)).toEqual([]);
    const set = parseXml(res.body);
    expect(set.attrs.xmlns).toBe('http://www.sitemaps.org/schemas/sitemap/0.9');
    const locs = kids(set, 'url').map((u) => textOf(u, 'loc'));
    expect(kids(set, 'url').every((u) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(textOf(u, 'lastmod') ?? ''))).toBe(true);
    expect(locs).toContain(`${PUBLIC}/${project.slug}/`);
    expect(locs).toContain(`${PUBLIC}/${project.slug}/pages/about`);
    const publicPosts = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id').select(['posts.slug', 'projects.slug as p'])
      .where('posts.status', '=', 'published').where('posts.deleted_at', 'is', null).where('posts.published_at', '<=', t.clock.now()).execute();
    for (const p of publicPosts) expect(locs).toContain(`${PUBLIC}/${p.p}/posts/${p.slug}`);
    const robots = await get(t.app, '/robots.txt');
    expect(robots.statusCode).toBe(200);
    expect(robots.headers['content-type']).toContain('text/plain');
    expect(robots.body).toContain(`Sitemap: ${PUBLIC}/sitemap.xml`);
  });
});

describe('markup characters in RSS and OPML text', () => {
  it('a title, tag or project name with markup reaches RSS and OPML readers as text, never as markup (Atom stays type="text")', async () => {
    const hostile = '<b>Bold</b> & <img src=x onerror=alert(1)> x < y';
    const inert = '&lt;b>Bold&lt;/b> & &lt;img src=x onerror=alert(1)> x < y';
    const projectId = await createProject(t, 'markup-test', hostile);
    await createPost(t, { projectId, title: hostile, body: 'Body.', tags: ['Tags <b>bold</b> & more'] });
    const rss = parseXml((await get(t.app, '/markup-test/feed.rss')).body);
    const channel = kid(rss, 'channel')!;
    const item = kid(channel, 'item')!;
    expect(textOf(channel, 'title')).toBe(inert);
    expect(textOf(item, 'title')).toBe(inert);
    expect(textOf(item, 'category')).toBe('Tags &lt;b>bold&lt;/b> & more');
    const atom = parseXml((await get(t.app, '/markup-test/feed.atom')).body);
    expect(textOf(kid(atom, 'entry')!, 'title')).toBe(hostile);
    const opml = await get(t.app, '/feeds.opml');
    expect(await xmlWellFormedErrors(opml.body)).toEqual([]);
    const outline = kids(kid(parseXml(opml.body), 'body')!, 'outline').find((o) => o.attrs.xmlUrl === `${PUBLIC}/markup-test/feed.atom`)!;
    expect(outline.attrs.text).toBe(inert);
    expect(outline.attrs.title).toBe(inert);
  });
});

