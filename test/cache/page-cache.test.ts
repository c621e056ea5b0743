// The page cache on the real app and a real LISTEN connection: anonymous pages come from memory, signed-in
// ones never do, writes drop what they change, ETags answer 304, and CSRF tokens are never shared.
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ADMIN } from '../../server/demo/seed.js';
import { buildTestApp, cookiesFrom, get, signInAs, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
const HOME = '/info-sharing-taskforce/';

beforeAll(async () => {
  t = await buildTestApp({ seed: true, pageCache: true });
  // A form page, as the comment form will be: the CSRF token is per visitor.
  t.app.get('/x-test/form', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(`<form method="post" action="/x-test/form"><input type="hidden" name="_csrf" value="${reply.generateCsrf()}"></form>`),
  );
  t.app.post('/x-test/form', async (_request, reply) => reply.code(303).redirect('/x-test/form'));
});

/** Waits for a condition with a deadline (the fill and the notification are asynchronous). */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 2_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

async function warm(url: string) {
  await get(t.app, url);
  await until(`${url} to be stored`, async () => (await get(t.app, url)).headers['x-cache'] === 'hit');
}

describe('page cache', () => {
  it('serves an anonymous second GET from memory, byte for byte', async () => {
    const first = await get(t.app, HOME);
    expect(first.statusCode).toBe(200);
    await warm(HOME);
    const again = await get(t.app, HOME);
    expect(again.headers['x-cache']).toBe('hit');
    expect(again.body).toBe(first.body);
    expect(again.headers['etag']).toBe(first.headers['etag']);
    expect(again.headers['content-type']).toContain('text/html');
    expect(again.headers['content-security-policy']).toBeDefined();
    expect(again.headers['cache-control']).toBe('public, max-age=60');
  });

  it('never caches nor shares a signed-in page', async () => {
    await warm(HOME);
    const jar = await signInAs(t, DEMO_ADMIN.email);
    const res = await get(t.app, HOME, { cookies: jar });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-cache']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers['etag']).toBeUndefined();
    // Any other pb_* cookie (a commenter's notice) is personal too.
    const noticed = await get(t.app, HOME, { cookies: { pb_comment_notice: 'x' } });
    expect(noticed.headers['x-cache']).toBeUndefined();
    expect(noticed.headers['cache-control']).toBe('private, no-store');
  });

  it('answers 304 to If-None-Match, from memory and on a miss', async () => {
    await warm(HOME);
    const { headers } = await get(t.app, HOME);
    const hit = await get(t.app, HOME, { headers: { 'if-none-match': headers['etag'] as string } });
    expect(hit.statusCode).toBe(304);
    expect(hit.body).toBe('');
    const other = await get(t.app, '/community-health-review/');
    const miss = await get(t.app, '/community-health-review/', { headers: { 'if-none-match': `W/${other.headers['etag']}, "x"` } });
    expect(miss.statusCode).toBe(304);
    expect((await get(t.app, HOME, { headers: { 'if-none-match': '"stale"' } })).statusCode).toBe(200);
  });

  it('answers If-Modified-Since from memory for a stored response with a Last-Modified (a feed); If-None-Match first', async () => {
    const url = '/info-sharing-taskforce/feed.atom';
    await warm(url);
    const { headers } = await get(t.app, url);
    const since = headers['last-modified'] as string;
    const hit = await get(t.app, url, { headers: { 'if-modified-since': since } });
    expect([hit.statusCode, hit.headers['x-cache'], hit.body]).toEqual([304, 'hit', '']);
    expect(hit.headers['last-modified']).toBe(since);
    const older = new Date(Date.parse(since) - 1000).toUTCString();
    expect((await get(t.app, url, { headers: { 'if-modified-since': older } })).statusCode).toBe(200);
    expect((await get(t.app, url, { headers: { 'if-none-match': '"stale"', 'if-modified-since': since } })).statusCode).toBe(200);
    expect((await get(t.app, url, { headers: { 'if-none-match': headers['etag'] as string, 'if-modified-since': older } })).statusCode).toBe(304);
    // HTML pages have no Last-Modified: a date alone never makes them 304.
    await warm(HOME);
    expect((await get(t.app, HOME, { headers: { 'if-modified-since': since } })).statusCode).toBe(200);
  });

  it('a write anywhere drops the page at once (LISTEN/NOTIFY), site-wide pages too', async () => {
    await warm(HOME);
    await warm('/');
    const post = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.id']).where('projects.slug', '=', 'info-sharing-taskforce').where('posts.status', '=', 'published')
      .orderBy('posts.published_at', 'desc').limit(1).executeTakeFirstOrThrow();
    await t.db.updateTable('posts').set({ title: 'A title changed behind the cache' }).where('id', '=', post.id).execute();
    await until('the project home to show the new title', async () => (await get(t.app, HOME)).body.includes('A title changed behind the cache'));
    await until('the site home to show the new title', async () => (await get(t.app, '/')).body.includes('A title changed behind the cache'));
  });

  it('gives each visitor a CSRF token of their own from a cached form page', async () => {
    const a = await get(t.app, '/x-test/form');
    await until('the form to be stored', async () => (await get(t.app, '/x-test/form')).headers['x-cache'] === 'hit');
    const b = await get(t.app, '/x-test/form');
    expect(b.headers['x-cache']).toBe('hit');
    expect(b.headers['cache-control']).toBe('private, no-store');
    expect(b.headers['etag']).toBeUndefined();
    const tokenOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    expect(tokenOf(b.body)).toBeDefined();
    expect(tokenOf(b.body)).not.toBe(tokenOf(a.body));
    expect(b.body).not.toContain('\u0000');
    // The token works with the visitor's own cookie, and not with another's.
    const post = (cookies: Record<string, string>, token: string) =>
      t.app.inject({ method: 'POST', url: '/x-test/form', cookies, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${encodeURIComponent(token)}` });
    expect((await post(cookiesFrom(b), tokenOf(b.body)!)).statusCode).toBe(303);
    expect((await post(cookiesFrom(a), tokenOf(b.body)!)).statusCode).toBe(403);
    // The accepted POST was a write answered here: it dropped the page at once. A returning visitor keeps
    // their cookie and gets a token for it.
    expect((await get(t.app, '/x-test/form')).headers['x-cache']).toBe('miss');
    await warm('/x-test/form');
    const c = await get(t.app, '/x-test/form', { cookies: cookiesFrom(b) });
    expect(c.headers['x-cache']).toBe('hit');
    expect((await post(cookiesFrom(b), tokenOf(c.body)!)).statusCode).toBe(303);
  });

  it('a cached post page gives each visitor a fresh signed render time for the comment form', async () => {
    const post = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.slug']).where('projects.slug', '=', 'info-sharing-taskforce').where('posts.comments_open', '=', true)
      .orderBy('posts.published_at', 'desc').executeTakeFirstOrThrow();
    const url = `/info-sharing-taskforce/posts/${post.slug}`;
    const stampOf = (html: string) => /name="rendered_at" value="([^"]+)"/.exec(html)?.[1];
    const first = await get(t.app, url);
    await until('the post page to be stored', async () => (await get(t.app, url)).headers['x-cache'] === 'hit');
    t.clock.advance(20_000);
    const later = await get(t.app, url);
    expect(later.headers['x-cache']).toBe('hit');
    expect(stampOf(later.body)).toBeDefined();
    expect(stampOf(later.body)).not.toBe(stampOf(first.body));
    expect(t.app.unsignCookie(stampOf(later.body)!).value).toBe(String(Math.floor(t.clock.now().getTime() / 1000) * 1000)); // to the second
    expect(later.body).not.toContain('\u0000');
  });

  it('a held comment leaves the cached pages alone; approving it drops them', async () => {
    const post = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.id', 'posts.slug']).where('projects.slug', '=', 'info-sharing-taskforce').where('posts.comments_open', '=', true)
      .orderBy('posts.published_at', 'desc').executeTakeFirstOrThrow();
    const url = `/info-sharing-taskforce/posts/${post.slug}`;
    await warm(url);
    await warm(HOME);
    const page = await get(t.app, url);
    const jar = cookiesFrom(page);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const stamp = /name="rendered_at" value="([^"]+)"/.exec(page.body)![1]!;
    t.clock.advance(10_000); // past the too-fast check, well within the cache's 60 s
    const posted = await t.app.inject({
      method: 'POST', url: `${url}/comments`, cookies: jar, remoteAddress: '203.0.113.9',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: token, rendered_at: stamp, name: 'Held Reader', email: 'held@example.org', body: 'A held comment, cache test.' }).toString(),
    });
    expect(posted.statusCode).toBe(303);
    const held = await t.db.selectFrom('comments').select(['id', 'status']).where('author_email', '=', 'held@example.org').executeTakeFirstOrThrow();
    expect(held.status).toBe('pending');
    // Give a notification, had one been sent, time to arrive; then the pages are still stored.
    await sql`SELECT pg_sleep(0.2)`.execute(t.db);
    expect((await get(t.app, url)).headers['x-cache']).toBe('hit');
    expect((await get(t.app, HOME)).headers['x-cache']).toBe('hit');
    await t.db.updateTable('comments').set({ status: 'approved' }).where('id', '=', held.id).execute();
    await until('the approval to drop the post page', async () => (await get(t.app, url)).headers['x-cache'] === 'miss');
    expect((await get(t.app, url)).body).toContain('A held comment, cache test.');
  });

  it('a scheduled post appears when its time comes, without a write', async () => {
    const project = await t.db.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow();
    const generation = t.app.pageCache.store.generation;
    const at = new Date(t.clock.now().getTime() + 3_600_000);
    await t.db.insertInto('posts').values({
      project_id: project.id, slug: 'comes-out-later', title: 'A post that comes out later', status: 'scheduled', published_at: at,
    }).execute();
    await until('the insert to be heard', () => t.app.pageCache.store.generation !== generation);
    await warm(HOME);
    expect((await get(t.app, HOME)).body).not.toContain('A post that comes out later');
    t.clock.set(new Date(at.getTime() + 1_000));
    const later = await get(t.app, HOME);
    expect(later.headers['x-cache']).toBe('miss');
    expect(later.body).toContain('A post that comes out later');
  });

  it('bypasses and empties the cache while its LISTEN connection is down, and recovers by itself', async () => {
    await warm(HOME);
    const listener = t.app.pageCache.listener!;
    const store = t.app.pageCache.store;
    const before = store.generation;
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'project-blogs cache listener'`.execute(t.db);
    await until('the listener to notice', () => store.generation !== before && store.size === 0);
    await until('the listener to reconnect', () => listener.connected, 5_000);
    await warm(HOME);
  });
});
