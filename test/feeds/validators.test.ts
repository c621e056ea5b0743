// Feed validators and ids, on the real app and database: If-None-Match and If-Modified-Since on every
// path (page cache hit, miss, no page cache), a Last-Modified that only ever moves forward (also when an
// entry leaves a feed), empty feeds dated by something real, feed ids that do not follow PUBLIC_URL,
// the moderators' private feed, and entry ids that differ between two default installs.
// Time is the test clock's; every row is written with its times.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { savePost } from '../../server/editor/service.js';
import { decideComments, findCommentForModeration, replaceFeedToken } from '../../server/moderation/queries.js';
import { buildTestApp, createPerson, get, signInAs, submitForm, TestClock, type TestApp } from '../helpers/test-app.js';
import { createAuthor, createComment, createPost, createProject } from './fixtures.js';
import { checkAtomSemantics, kid, kids, parseXml, textOf } from './xml-check.js';

const START = new Date('2031-05-14T09:30:00.250Z');
const PUBLIC = 'http://blogs.test';
let t: TestApp;
/** The same database served under another PUBLIC_URL. */
let other: FastifyInstance;
const OTHER = 'https://news.example.org';

beforeAll(async () => {
  t = await buildTestApp({ clock: new TestClock(new Date(START)) });
  other = await buildApp({
    config: loadConfig({ PUBLIC_URL: OTHER, SEED_DEMO: 'never', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0' }),
    db: t.db,
    clock: t.clock,
  });
});
afterAll(async () => {
  await other?.close();
});

const lastModified = (res: { headers: Record<string, unknown> }) => Date.parse(String(res.headers['last-modified']));
const httpDate = (ms: number) => new Date(ms).toUTCString();
const minute = 60_000;

/** Waits for a condition with a deadline (page-cache fills and notifications are asynchronous). */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 3_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

describe('If-Modified-Since and If-None-Match on feeds', () => {
  it('answer 304 from the page cache, on a page-cache miss and without a page cache; If-None-Match wins', async () => {
    const c = await buildTestApp({ clock: new TestClock(new Date(START)), pageCache: true });
    const projectId = await createProject(c, 'cached');
    await createPost(c, { body: 'Some words.', projectId, title: 'Cached post', publishedAt: new Date(START.getTime() - 10 * minute) });
    for (const url of ['/cached/feed.atom', '/cached/feed.rss', '/feed.atom', '/cached/comments.atom']) {
      // A miss (never fetched): a date no older than the feed's last change is enough.
      const miss = await get(c.app, url, { headers: { 'if-modified-since': httpDate(c.clock.now().getTime()) } });
      expect(miss.statusCode, url).toBe(304);
      expect(miss.headers['x-cache'], url).not.toBe('hit');
      const first = await get(c.app, url);
      expect(first.statusCode, url).toBe(200);
      const etag = String(first.headers.etag);
      const since = String(first.headers['last-modified']);
      await until(`${url} to be stored`, async () => (await get(c.app, url)).headers['x-cache'] === 'hit');

      const hit = await get(c.app, url, { headers: { 'if-modified-since': since } });
      expect(hit.headers['x-cache'], url).toBe('hit');
      expect(hit.statusCode, url).toBe(304);
      expect(hit.body, url).toBe('');
      expect(hit.headers.etag, url).toBe(etag);
      expect(hit.headers['last-modified'], url).toBe(since);
      // Older than the last change: the feed.
      const older = await get(c.app, url, { headers: { 'if-modified-since': httpDate(Date.parse(since) - 1000) } });
      expect([older.statusCode, older.headers['x-cache']], url).toEqual([200, 'hit']);
      // If-None-Match is evaluated first; If-Modified-Since is then ignored (RFC 9110 §13.2.2).
      expect((await get(c.app, url, { headers: { 'if-none-match': '"stale"', 'if-modified-since': since } })).statusCode, url).toBe(200);
      expect((await get(c.app, url, { headers: { 'if-none-match': etag, 'if-modified-since': httpDate(0) } })).statusCode, url).toBe(304);
      // A date later than the server's clock is not a valid validator.
      expect((await get(c.app, url, { headers: { 'if-modified-since': httpDate(c.clock.now().getTime() + 3_600_000) } })).statusCode, url).toBe(200);
      // Garbage is ignored.
      expect((await get(c.app, url, { headers: { 'if-modified-since': 'yesterday' } })).statusCode, url).toBe(200);
    }
  });

  it('answer 304 without a page cache, with If-None-Match evaluated first', async () => {
    const projectId = await createProject(t, 'uncached');
    await createPost(t, { body: 'Some words.', projectId, title: 'Uncached post', publishedAt: new Date(t.clock.now().getTime() - minute) });
    const url = '/uncached/feed.atom';
    const first = await get(t.app, url);
    const since = String(first.headers['last-modified']);
    expect((await get(t.app, url, { headers: { 'if-modified-since': since } })).statusCode).toBe(304);
    expect((await get(t.app, url, { headers: { 'if-none-match': '"stale"', 'if-modified-since': since } })).statusCode).toBe(200);
    expect((await get(t.app, url, { headers: { 'if-none-match': String(first.headers.etag), 'if-modified-since': httpDate(0) } })).statusCode).toBe(304);
  });
});

describe('Last-Modified is when the feed last changed', () => {
  it('moves forward when a post is unpublished, and a client with the old date gets the feed without it', async () => {
    const projectId = await createProject(t, 'unpublishing');
    const now = t.clock.now().getTime();
    await createPost(t, { body: 'Some words.', projectId, title: 'Stays', publishedAt: new Date(now - 20 * minute) });
    const leaving = await createPost(t, { body: 'Some words.', projectId, title: 'Leaves the feed', publishedAt: new Date(now - 10 * minute) });
    const urls = ['/unpublishing/feed.atom', '/unpublishing/feed.rss', '/feed.atom'];
    const before = await Promise.all(urls.map((u) => get(t.app, u)));
    for (const res of before) expect(res.body).toContain('Leaves the feed');
    t.clock.advance(5 * minute);
    // As the editor's unpublish does (savePost): a new status, updated_at = now.
    await t.db.updateTable('posts').set({ status: 'unpublished', updated_at: t.clock.now() }).where('id', '=', leaving).execute();
    for (const [i, url] of urls.entries()) {
      const since = String(before[i]!.headers['last-modified']);
      const res = await get(t.app, url, { headers: { 'if-modified-since': since } });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toContain('Leaves the feed');
      expect(lastModified(res), url).toBeGreaterThan(Date.parse(since));
      expect(lastModified(res), url).toBe(Math.floor(t.clock.now().getTime() / 1000) * 1000);
    }
  });

  it('moves forward when an approved comment is rejected, on both comment feeds, through the page cache too', async () => {
    const c = await buildTestApp({ clock: new TestClock(new Date(START)), pageCache: true });
    const projectId = await createProject(c, 'rejecting');
    const moderator = await createAuthor(c, 'moderator-one');
    const postId = await createPost(c, { body: 'Some words.', projectId, title: 'Commented post', slug: 'commented', publishedAt: new Date(START.getTime() - 60 * minute) });
    await createComment(c, postId, 'An older approved comment', 'approved');
    c.clock.advance(minute);
    const rejected = await createComment(c, postId, 'REJECTED-LATER comment', 'approved');
    c.clock.advance(minute);
    const urls = ['/rejecting/posts/commented/comments.atom', '/rejecting/comments.atom'];
    const before: string[] = [];
    for (const url of urls) {
      const res = await get(c.app, url);
      expect(res.body).toContain('REJECTED-LATER');
      before.push(String(res.headers['last-modified']));
      await until(`${url} to be stored`, async () => (await get(c.app, url)).headers['x-cache'] === 'hit');
    }
    c.clock.advance(5 * minute);
    const comment = (await findCommentForModeration(c.db, rejected))!;
    await decideComments(c.db, [comment], moderator, 'reject', 'Off topic', c.clock.now());
    for (const [i, url] of urls.entries()) {
      await until(`${url} to be dropped`, async () => (await get(c.app, url, { headers: { 'if-modified-since': before[i]! } })).statusCode === 200);
      const res = await get(c.app, url, { headers: { 'if-modified-since': before[i]! } });
      expect(res.body, url).not.toContain('REJECTED-LATER');
      expect(res.body, url).toContain('An older approved comment');
      expect(lastModified(res), url).toBe(Math.floor(c.clock.now().getTime() / 1000) * 1000);
    }
  });

  it('never goes backwards, whatever enters or leaves a feed', async () => {
    const projectId = await createProject(t, 'monotonic');
    const author = await createAuthor(t, 'mono-author', 'Mono Author');
    const at = (ago: number) => new Date(t.clock.now().getTime() - ago * minute);
    const older = await createPost(t, { body: 'Some words.', projectId, title: 'Older', publishedAt: at(30), authorIds: [author], tags: ['Water'] });
    const newest = await createPost(t, { body: 'Some words.', projectId, title: 'Newest', publishedAt: at(20), authorIds: [author], tags: ['Water'] });
    const feeds = ['/monotonic/feed.atom', '/monotonic/feed.rss', '/monotonic/tags/water/feed.atom', '/people/mono-author/feed.atom', '/feed.atom', '/search/feed.atom?q=newest'];
    let previous = new Map<string, { lm: number; body: string }>();
    const check = async (what: string) => {
      const next = new Map<string, { lm: number; body: string }>();
      for (const url of feeds) {
        const res = await get(t.app, url);
        expect(res.statusCode, `${url} ${what}`).toBe(200);
        const lm = lastModified(res);
        expect(lm, `${url} ${what}`).toBeLessThanOrEqual(t.clock.now().getTime());
        const was = previous.get(url);
        if (was) {
          expect(lm, `${url} ${what}: Last-Modified went backwards`).toBeGreaterThanOrEqual(was.lm);
          if (was.body !== res.body) expect(lm, `${url} ${what}: changed but kept its Last-Modified`).toBeGreaterThan(was.lm);
        }
        next.set(url, { lm, body: res.body });
      }
      previous = next;
    };
    const step = async (what: string, change: () => Promise<unknown>) => {
      t.clock.advance(minute);
      await change();
      await check(what);
    };
    await check('at first');
    await step('the newest post is unpublished', () => t.db.updateTable('posts').set({ status: 'unpublished', updated_at: t.clock.now() }).where('id', '=', newest).execute());
    await step('it is published again', () => t.db.updateTable('posts').set({ status: 'published', updated_at: t.clock.now() }).where('id', '=', newest).execute());
    await step('the newest post is deleted', () => t.db.updateTable('posts').set({ deleted_at: t.clock.now(), updated_at: t.clock.now() }).where('id', '=', newest).execute());
    await step('a tag and an author are taken off a post', async () => {
      await t.db.deleteFrom('post_tags').where('post_id', '=', older).execute();
      await t.db.deleteFrom('post_authors').where('post_id', '=', older).execute();
      await t.db.updateTable('posts').set({ updated_at: t.clock.now() }).where('id', '=', older).execute();
    });
    const due = new Date(t.clock.now().getTime() + 90_000);
    await step('a post is scheduled', () => createPost(t, { body: 'Some words.', projectId, title: 'Newest scheduled', status: 'scheduled', publishedAt: due, authorIds: [author], tags: ['Water'] }));
    await step('its time comes (no write)', async () => {
      t.clock.set(new Date(due.getTime() + 1000));
    });
    expect(previous.get('/monotonic/feed.atom')!.body).toContain('Newest scheduled');
    expect(previous.get('/monotonic/feed.atom')!.lm).toBe(Math.floor(due.getTime() / 1000) * 1000);
  });

  it('an empty feed is dated by when its project, person or site began, never 1970', async () => {
    const empty = await buildTestApp({ clock: new TestClock(new Date(START)) });
    for (const url of ['/feed.atom', '/feed.rss', '/search/feed.atom?q=nothing']) {
      const res = await get(empty.app, url);
      expect(res.statusCode, url).toBe(200);
      expect(lastModified(res), url).toBe(Math.floor(START.getTime() / 1000) * 1000);
      expect(res.body, url).not.toContain('1970');
    }
    empty.clock.advance(3 * minute);
    const createdAt = empty.clock.now();
    await createProject(empty, 'nothing-yet');
    await createAuthor(empty, 'quiet-person');
    empty.clock.advance(3 * minute);
    for (const url of ['/nothing-yet/feed.atom', '/nothing-yet/comments.atom', '/people/quiet-person/feed.atom']) {
      const res = await get(empty.app, url);
      expect(res.statusCode, url).toBe(200);
      expect(lastModified(res), url).toBe(Math.floor(createdAt.getTime() / 1000) * 1000);
      const feed = await checkAtomSemantics(res.body, `${PUBLIC}${url}`);
      expect(Date.parse(textOf(feed, 'updated')!), url).toBe(lastModified(res));
    }
  });
});

describe('feed ids', () => {
  it('do not change when PUBLIC_URL changes; self links do', async () => {
    const projectId = await createProject(t, 'ids');
    const author = await createAuthor(t, 'id-author');
    const postId = await createPost(t, { body: 'Some words.', projectId, title: 'An identified post', slug: 'identified', publishedAt: new Date(t.clock.now().getTime() - minute), authorIds: [author], tags: ['Roads'] });
    await createComment(t, postId, 'An identified comment', 'approved');
    const urls = ['/feed.atom', '/ids/feed.atom', '/ids/tags/roads/feed.atom', '/people/id-author/feed.atom', '/ids/posts/identified/comments.atom', '/ids/comments.atom', '/search/feed.atom?q=identified'];
    const seen = new Set<string>();
    for (const url of urls) {
      const here = await checkAtomSemantics((await get(t.app, url)).body, `${PUBLIC}${url}`);
      const there = await checkAtomSemantics((await get(other, url)).body, `${OTHER}${url}`);
      expect(textOf(there, 'id'), url).toBe(textOf(here, 'id'));
      expect(textOf(here, 'id'), url).not.toContain('blogs.test/');
      expect(kids(there, 'entry').map((e) => textOf(e, 'id')), url).toEqual(kids(here, 'entry').map((e) => textOf(e, 'id')));
      expect(seen.has(textOf(here, 'id')!), `${url} shares its id with another feed`).toBe(false);
      seen.add(textOf(here, 'id')!);
    }
  });

  it('two default installs (PUBLIC_URL unset) mint different entry and feed ids', async () => {
    const ids: Array<{ entry: string; feed: string }> = [];
    for (const n of [1, 2]) {
      const install = await buildTestApp({ clock: new TestClock(new Date(START)), env: { PUBLIC_URL: '' } });
      expect(install.config.publicUrl).toBe('http://127.0.0.1:3000');
      const projectId = await createProject(install, 'same-everywhere');
      const project = await install.db.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirstOrThrow();
      const personId = await createAuthor(install, 'same-author');
      const user = { id: personId, handle: 'same-author', displayName: 'same-author', email: 'same-author@example.gov', isSiteAdmin: true };
      const result = await savePost(install.db, {
        project,
        user,
        existingAuthorIds: [],
        value: { title: 'Hello', slug: 'hello', summary: '', bodyMd: 'Hello.', tags: [], additionalAuthorIds: [], commentsOpen: true, publishAt: undefined },
        action: 'publish',
        version: 1,
        now: install.clock.now(),
        tagAuthority: install.app.siteIdentity.authority,
      });
      expect(result.kind, `install ${n}`).toBe('saved');
      const feed = parseXml((await get(install.app, '/same-everywhere/feed.atom')).body);
      const entry = textOf(kids(feed, 'entry')[0]!, 'id')!;
      expect(entry, `install ${n}`).toMatch(/^tag:[^,]+,\d{4}-\d\d-\d\d:post-\d+$/);
      expect(entry, `install ${n}`).not.toContain('127.0.0.1');
      ids.push({ entry, feed: textOf(feed, 'id')! });
    }
    expect(ids[0]!.entry).not.toBe(ids[1]!.entry);
    expect(ids[0]!.feed).not.toBe(ids[1]!.feed);
  });
});

describe("the moderators' private feed", () => {
  it('has its own self link, an id that does not follow PUBLIC_URL, and working validators', async () => {
    const projectId = await createProject(t, 'moderated');
    const moderator = await createAuthor(t, 'queue-keeper');
    await t.db.insertInto('memberships').values({ project_id: projectId, person_id: moderator, role: 'moderator' }).execute();
    const postId = await createPost(t, { body: 'Some words.', projectId, title: 'A post with a queue', publishedAt: new Date(t.clock.now().getTime() - 60 * minute) });
    await createComment(t, postId, 'WAITING-ONE', 'pending');
    const second = await createComment(t, postId, 'WAITING-TWO', 'pending');
    const token = randomBytes(32).toString('base64url');
    await replaceFeedToken(t.db, moderator, token, t.clock.now());
    const url = `/moderation/feed/${token}`;

    const first = await get(t.app, url);
    expect(first.statusCode).toBe(200);
    expect(String(first.headers['cache-control'])).toMatch(/^private\b/);
    const feed = await checkAtomSemantics(first.body, `${PUBLIC}${url}`);
    expect(kids(feed, 'entry').map((e) => kid(e, 'content')!.text).join()).toContain('WAITING-TWO');
    const id = textOf(feed, 'id')!;
    expect(id).toMatch(/^tag:[^/]+$/); // not a URL under PUBLIC_URL
    expect(id).not.toContain(token); // a new address is the same feed
    const elsewhere = await checkAtomSemantics((await get(other, url)).body, `${OTHER}${url}`);
    expect(textOf(elsewhere, 'id')).toBe(id);
    expect(kids(elsewhere, 'entry').map((e) => textOf(e, 'id'))).toEqual(kids(feed, 'entry').map((e) => textOf(e, 'id')));

    const etag = String(first.headers.etag);
    const since = String(first.headers['last-modified']);
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(Date.parse(since)).toBeLessThanOrEqual(t.clock.now().getTime());
    expect((await get(t.app, url, { headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    expect((await get(t.app, url, { headers: { 'if-modified-since': since } })).statusCode).toBe(304);
    expect((await get(t.app, url, { headers: { 'if-none-match': '"stale"', 'if-modified-since': since } })).statusCode).toBe(200);

    // A decision takes a comment out of the queue: the feed changes and its date moves forward.
    t.clock.advance(5 * minute);
    await decideComments(t.db, [(await findCommentForModeration(t.db, second))!], moderator, 'approve', null, t.clock.now());
    const after = await get(t.app, url, { headers: { 'if-modified-since': since, } });
    expect(after.statusCode).toBe(200);
    expect(after.body).not.toContain('WAITING-TWO');
    expect(after.body).toContain('WAITING-ONE');
    expect(lastModified(after)).toBe(Math.floor(t.clock.now().getTime() / 1000) * 1000);
    expect(after.headers.etag).not.toBe(etag);
    expect((await get(t.app, url, { headers: { 'if-none-match': etag } })).statusCode).toBe(200);

    // Taken off the team (no row remains): the queue empties and the date moves forward again.
    t.clock.advance(5 * minute);
    await createPerson(t, { email: 'team-admin@example.gov', handle: 'team-admin', siteAdmin: true });
    const admin = await signInAs(t, 'team-admin@example.gov');
    const team = `/admin/projects/moderated/team`;
    const removed = await submitForm(t.app, team, `${team}/${moderator}/remove`, { confirm: 'yes' }, admin);
    expect(removed.response.statusCode).toBe(303);
    const gone = await get(t.app, url, { headers: { 'if-modified-since': String(after.headers['last-modified']) } });
    expect(gone.statusCode).toBe(200);
    expect(gone.body).not.toContain('WAITING-ONE');
    expect(lastModified(gone)).toBe(Math.floor(t.clock.now().getTime() / 1000) * 1000);
  });
});
