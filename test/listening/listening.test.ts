// The listening desk end to end against a local "web" on loopback: adding feeds (and the feed a site
// advertises), polling that behaves (ETag/304, 301 remembered, 410 stops, 429 Retry-After, gzip, broken
// and hostile feeds reported), key terms with highlighted matches, the inbox's actions, the private feed,
// OPML, pruning and the self-healing sweep; the XSS corpus in every feed field stays inert.
import { DomUtils, parseDocument } from 'htmlparser2';
import { sql } from 'kysely';
import zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { XSS_VECTORS } from '../markdown/fixtures/xss-vectors.js';
import { buildTestApp, createPerson, get, queuedJobs, runJobs, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';
import { unsafe } from '../helpers/unsafe-html.js';
import { atom, rss, startWeb, withEtag, type TestWeb } from './web.js';

let t: TestApp;
let web: TestWeb;
let projectId: number;
let editor: Record<string, string>;
const SOURCES = '/admin/projects/listeners/listening/sources';
const INBOX = '/admin/projects/listeners/listening';

beforeAll(async () => {
  t = await buildTestApp({ env: { ALLOW_PRIVATE_FETCH: '1' } });
  web = await startWeb();
  const row = await t.db.insertInto('projects').values({ slug: 'listeners', title: 'Listeners', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  projectId = Number(row.id);
  await createPerson(t, { email: 'ed@example.org', handle: 'ed' }, { projectId, role: 'editor' });
  await createPerson(t, { email: 'au@example.org', handle: 'au' }, { projectId, role: 'author' });
  editor = await signInAs(t, 'ed@example.org');
});

afterAll(async () => {
  await web.close();
});

beforeEach(async () => {
  await sql`TRUNCATE listen_sources, listen_terms, listen_items, listen_feed_tokens, post_links CASCADE`.execute(t.db);
  await sql`DELETE FROM graphile_worker._private_jobs`.execute(t.db);
});

async function addSource(address: string, mode = 'all') {
  return submitForm(t.app, SOURCES, SOURCES, { address, mode }, editor);
}

async function source() {
  return t.db.selectFrom('listen_sources').selectAll().where('project_id', '=', projectId).executeTakeFirstOrThrow();
}

async function inbox(query = '') {
  const res = await get(t.app, `${INBOX}${query}`, { cookies: editor });
  expect(res.statusCode).toBe(200);
  return res.body;
}

/** The poll job of a source: seconds until it may run, by database time. */
async function pollDelay(sourceId: number): Promise<number | null> {
  const { rows } = await sql<{ s: number }>`SELECT extract(epoch FROM run_at - now())::float AS s FROM graphile_worker._private_jobs WHERE key = ${`listen:source:${sourceId}`}`.execute(t.db);
  return rows[0] ? Number(rows[0].s) : null;
}

describe('watched sources', () => {
  it('an editor adds a site address and the feed it advertises is watched, with its items in the inbox', async () => {
    web.route('/site', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><head><link rel="alternate" type="application/atom+xml" href="/site/feed.atom"></head><body>hi</body></html>`));
    web.route('/site/feed.atom', (_req, res) => res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(atom('Other team', [{ id: 'a1', title: 'Our open data plans', content: '<p>We publish <b>open data</b>.</p>' }])));
    const { response } = await addSource(`${web.base}/site`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Now watching “Other team”: 1 item fetched.');
    const s = await source();
    expect(s.url).toBe(`${web.base}/site/feed.atom`);
    expect(s.title).toBe('Other team');
    expect(await pollDelay(Number(s.id))).toBeGreaterThan(25 * 60);
    const page = await inbox();
    expect(page).toContain('Our open data plans');
    expect(page).toContain('<span data-count="unread">1</span>');
    // The dashboard shows the unread count.
    const dash = await get(t.app, '/admin', { cookies: editor });
    expect(dash.body).toMatch(/data-count="unread-conversations">1</);
  });

  it('a bad address keeps what was typed and says what is wrong; authors may not use the desk', async () => {
    const { response } = await addSource(`${web.base}/nothing-here`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('The feed was not found at this address (404 Not Found).');
    expect(response.body).toContain(`value="${web.base}/nothing-here"`);
    const page = await get(t.app, '/admin/projects/listeners/listening/sources', { cookies: await signInAs(t, 'au@example.org') });
    expect(page.statusCode).toBe(403);
    const blank = await addSource('   ');
    expect(blank.response.statusCode).toBe(400);
    expect(blank.response.body).toContain('Enter the address of a feed');
  });

  it('a form without its CSRF token changes nothing', async () => {
    const res = await t.app.inject({ method: 'POST', url: SOURCES, cookies: editor, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `address=${encodeURIComponent(`${web.base}/x`)}` });
    expect(res.statusCode).toBe(403);
    expect(await t.db.selectFrom('listen_sources').select('id').execute()).toHaveLength(0);
  });

  it('pause, resume and remove', async () => {
    web.route('/pr.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('PR', [{ id: '1', title: 'One' }])));
    await addSource(`${web.base}/pr.xml`);
    const s = await source();
    const paused = await submitForm(t.app, SOURCES, `${SOURCES}/${s.id}/pause`, {}, editor);
    expect(paused.response.body).toContain('is paused');
    expect((await source()).status).toBe('paused');
    const before = web.requests.length;
    await runJobs(t, { all: true });
    expect(web.requests.length).toBe(before); // a paused source is not fetched
    await submitForm(t.app, SOURCES, `${SOURCES}/${s.id}/resume`, {}, editor);
    await runJobs(t);
    expect(web.requests.length).toBe(before + 1);
    const removed = await submitForm(t.app, SOURCES, `${SOURCES}/${s.id}/remove`, {}, editor);
    expect(removed.response.statusCode).toBe(303);
    expect(await t.db.selectFrom('listen_items').select('id').execute()).toHaveLength(0);
  });
});

describe('polling', () => {
  it('new items arrive over time; an unchanged feed is asked with If-None-Match and answers 304', async () => {
    let items = [{ id: 'n1', title: 'First' }];
    web.route('/changing.xml', withEtag('application/rss+xml', () => rss('Changing', items)));
    await addSource(`${web.base}/changing.xml`);
    const s = await source();
    await runJobs(t, { all: true });
    const last = web.requests.filter((r) => r.path === '/changing.xml').at(-1)!;
    expect(last.headers['if-none-match']).toBeTruthy();
    expect((await source()).last_error).toBeNull();
    items = [...items, { id: 'n2', title: 'Second thoughts' }];
    await runJobs(t, { all: true });
    const page = await inbox();
    expect(page).toContain('Second thoughts');
    expect(page).toContain('<span data-count="unread">2</span>');
    expect((await source()).last_new_item_at).not.toBeNull();
    expect(await pollDelay(Number(s.id))).toBeGreaterThan(25 * 60);
  });

  it('a permanent redirect is remembered; 410 stops the source', async () => {
    web.route('/old.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('Moving', [{ id: 'm', title: 'M' }])));
    await addSource(`${web.base}/old.xml`);
    web.route('/old.xml', (_req, res) => res.writeHead(301, { location: '/new.xml' }).end());
    web.route('/new.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('Moving', [{ id: 'm', title: 'M' }])));
    await runJobs(t, { all: true });
    expect((await source()).url).toBe(`${web.base}/new.xml`);
    web.route('/new.xml', (_req, res) => res.writeHead(410).end());
    await runJobs(t, { all: true });
    const s = await source();
    expect(s.status).toBe('gone');
    expect(s.last_error).toContain('410 Gone');
    expect(await pollDelay(Number(s.id))).toBeNull();
    const page = await get(t.app, SOURCES, { cookies: editor });
    expect(page.body).toContain('Stopped: the feed is gone');
  });

  it('429 with Retry-After is honoured; errors back off; the error is shown in plain words', async () => {
    web.route('/busy.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('Busy', [])));
    await addSource(`${web.base}/busy.xml`);
    const id = Number((await source()).id);
    web.route('/busy.xml', (_req, res) => res.writeHead(429, { 'retry-after': '7200' }).end());
    await runJobs(t, { all: true });
    expect(await pollDelay(id)).toBeGreaterThan(7000);
    expect((await source()).last_error).toContain('429 Too Many Requests');
    web.route('/busy.xml', (_req, res) => res.writeHead(500).end());
    await runJobs(t, { all: true });
    const s = await source();
    expect(s.error_count).toBe(2);
    expect(await pollDelay(id)).toBeGreaterThan(3 * 30 * 60); // 30 min × 2² after the second error
    const page = await get(t.app, SOURCES, { cookies: editor });
    expect(page.body).toContain('The site had a problem answering (500)');
  });

  it('a gzip-compressed feed is read', async () => {
    web.route('/gz.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(zlib.gzipSync(rss('Zipped', [{ id: 'z', title: 'Compressed news' }]))));
    const { response } = await addSource(`${web.base}/gz.xml`);
    expect(response.body).toContain('Now watching “Zipped”');
    expect(await inbox()).toContain('Compressed news');
  });

  it('a JSON Feed and an RSS 1.0 (RDF) feed are read', async () => {
    web.route('/feed.json', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/feed+json' }).end(JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'Jason', items: [{ id: 'j1', url: 'https://elsewhere.example/j1', title: 'From JSON', content_text: 'plain <text>' }] })),
    );
    web.route('/rdf.xml', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/rdf+xml' }).end(`<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://r.example/"><title>Rdf</title><link>https://r.example/</link><description>d</description></channel><item rdf:about="https://r.example/1"><title>From RDF</title><link>https://r.example/1</link></item></rdf:RDF>`),
    );
    expect((await addSource(`${web.base}/feed.json`)).response.body).toContain('Now watching “Jason”: 1 item');
    expect((await addSource(`${web.base}/rdf.xml`)).response.body).toContain('Now watching “Rdf”: 1 item');
    const page = await inbox();
    expect(page).toContain('From JSON');
    expect(page).toContain('From RDF');
  });

  it('broken, hostile, huge and endless feeds are reported, never a crash', async () => {
    const cases: Array<[string, (res: import('node:http').ServerResponse) => void, string]> = [
      ['/broken.xml', (res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end('<rss><channel><title>x</title><item><title>unclosed'), 'not valid RSS or Atom'],
      [
        '/xxe.xml',
        (res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(`<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>&xxe;</title></channel></rss>`),
        'refuses to read',
      ],
      [
        '/laughs.xml',
        (res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><rss version="2.0"><channel><title>&c;</title></channel></rss>`),
        'refuses to read',
      ],
      ['/huge.xml', (res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(Buffer.alloc(6 * 1024 * 1024, 32)), 'larger than 5 MB'],
      [
        '/endless.xml',
        (res) => {
          res.writeHead(200, { 'content-type': 'application/rss+xml' });
          const chunk = Buffer.alloc(256 * 1024, 32);
          const pump = () => {
            while (res.write(chunk)) {
              /* fill the socket */
            }
          };
          res.on('drain', pump);
          pump();
        },
        'larger than 5 MB',
      ],
      ['/loop.xml', (res) => res.writeHead(302, { location: '/loop.xml' }).end(), 'redirected more than 5 times'],
      ['/page.html', (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>no feed</body></html>'), 'does not advertise a feed'],
    ];
    for (const [path, handler, message] of cases) {
      web.route(path, (_req, res) => handler(res));
      const { response } = await addSource(`${web.base}${path}`);
      expect(response.statusCode, path).toBe(400);
      expect(response.body, path).toContain(message);
    }
    // The same during polling: a feed that turns bad is recorded on the source and polled again later.
    web.route('/turns.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('Turns', [])));
    await addSource(`${web.base}/turns.xml`);
    web.route('/turns.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(`<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss><channel><title>&xxe;</title></channel></rss>`));
    await runJobs(t, { all: true });
    const s = await source();
    expect(s.last_error).toContain('refuses to read');
    expect(s.status).toBe('active');
    expect(await pollDelay(Number(s.id))).toBeGreaterThan(0);
    expect(JSON.stringify(await t.db.selectFrom('listen_items').select('title').execute())).not.toContain('root:');
  });

  it('the self-healing sweep queues a poll for an active source that lost its job', async () => {
    web.route('/heal.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('Heal', [])));
    await addSource(`${web.base}/heal.xml`);
    const id = Number((await source()).id);
    await sql`DELETE FROM graphile_worker._private_jobs`.execute(t.db);
    const { healTask } = await import('../../server/listening/jobs.js');
    await healTask({}, { db: t.db, config: t.config, clock: t.clock, log: t.app.log }, { id: '0', attempts: 1, maxAttempts: 1, lastAttempt: true });
    expect(await pollDelay(id)).not.toBeNull();
    expect((await queuedJobs(t)).filter((j) => j.task === 'listen:poll')).toHaveLength(1);
  });
});

describe('SSRF', () => {
  it('without ALLOW_PRIVATE_FETCH a loopback address is refused', async () => {
    const guarded = await buildTestApp();
    const row = await guarded.db.insertInto('projects').values({ slug: 'guarded', title: 'Guarded', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
    await createPerson(guarded, { email: 'g@example.org', handle: 'g' }, { projectId: Number(row.id), role: 'owner' });
    const cookies = await signInAs(guarded, 'g@example.org');
    web.route('/ok.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('Inside', [])));
    const path = '/admin/projects/guarded/listening/sources';
    for (const address of [`${web.base}/ok.xml`, 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/feed']) {
      const { response } = await submitForm(guarded.app, path, path, { address }, cookies);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('private or local network');
    }
    expect(await guarded.db.selectFrom('listen_sources').select('id').execute()).toHaveLength(0);
  });
});

describe('key terms and the inbox', () => {
  beforeEach(async () => {
    web.route('/news.xml', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(
        rss('News', [
          { id: 'k1', title: 'Council opens its budget data', content: '<p>The council published spending on open budgets.</p>' },
          { id: 'k2', title: 'Weather today', content: '<p>Sunny.</p>' },
        ]),
      ),
    );
  });

  it('a term matches fetched items, highlighted; filters by term and source; "matches only" sources show only matches', async () => {
    await addSource(`${web.base}/news.xml`, 'matches');
    expect(await inbox()).not.toContain('Weather today');
    expect(await inbox()).not.toContain('Council opens');
    const bad = await submitForm(t.app, SOURCES, '/admin/projects/listeners/listening/terms', { term: 'the' }, editor);
    expect(bad.response.statusCode).toBe(400);
    expect(bad.response.body).toContain('no words we can search for');
    expect(bad.response.body).toContain('value="the"');
    const ok = await submitForm(t.app, SOURCES, '/admin/projects/listeners/listening/terms', { term: '"budget data" -weather' }, editor);
    expect(ok.response.body).toContain('Listening for “&quot;budget data&quot; -weather”');
    const term = await t.db.selectFrom('listen_terms').select('id').executeTakeFirstOrThrow();
    const page = await inbox();
    expect(page).toContain('<mark>budget</mark> <mark>data</mark>');
    expect(page).not.toContain('Weather today');
    const byTerm = await inbox(`?term=${term.id}&show=all`);
    expect(byTerm).toContain('Council opens its');
    const s = await source();
    await submitForm(t.app, SOURCES, `${SOURCES}/${s.id}/all`, {}, editor);
    expect(await inbox(`?source=${s.id}`)).toContain('Weather today');
    expect((await get(t.app, `${INBOX}?term=99999`, { cookies: editor })).statusCode).toBe(404);
  });

  it('read, unread, dismiss, restore and open', async () => {
    await addSource(`${web.base}/news.xml`);
    const item = await t.db.selectFrom('listen_items').select(['id', 'url']).where('guid', '=', 'k1').executeTakeFirstOrThrow();
    const act = (action: string) => submitForm(t.app, INBOX, `${INBOX}/items/${item.id}/${action}`, { back: `${INBOX}?show=all` }, editor);
    expect((await act('read')).response.headers.location).toBe(`${INBOX}?show=all&done=read`);
    expect(await inbox()).not.toContain('Council opens');
    await act('unread');
    expect(await inbox()).toContain('Council opens');
    await act('dismiss');
    expect(await inbox('?show=all')).not.toContain('Council opens');
    expect(await inbox('?show=dismissed')).toContain('Council opens');
    await act('restore');
    const open = await act('open');
    expect(open.response.statusCode).toBe(303);
    expect(open.response.headers.location).toBe(item.url);
    const evil = await submitForm(t.app, INBOX, `${INBOX}/items/${item.id}/read`, { back: 'https://evil.example/' }, editor);
    expect(evil.response.headers.location).toBe(`${INBOX}?done=read`);
  });

  it('link from a post adds a team link (post_links); respond in a new post makes a draft quoting and linking the item', async () => {
    await addSource(`${web.base}/news.xml`);
    const now = t.clock.now();
    const post = await t.db
      .insertInto('posts')
      .values({ project_id: projectId, slug: 'our-budget', title: 'Our budget', summary: '', body_md: 'x', body_html: '<p>x</p>', status: 'published', published_at: now, first_published_at: now, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const item = await t.db.selectFrom('listen_items').select(['id', 'url', 'title']).where('guid', '=', 'k1').executeTakeFirstOrThrow();
    const linkUrl = `${INBOX}/items/${item.id}/link`;
    const missing = await submitForm(t.app, linkUrl, linkUrl, { postId: '', title: 'Theirs', note: '' }, editor);
    expect(missing.response.statusCode).toBe(400);
    expect(missing.response.body).toContain('Choose the post');
    expect(missing.response.body).toContain('value="Theirs"');
    const linked = await submitForm(t.app, linkUrl, linkUrl, { postId: String(post.id), title: item.title, note: 'They used our data' }, editor);
    expect(linked.response.statusCode).toBe(303);
    const links = await t.db.selectFrom('post_links').selectAll().execute();
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ post_id: post.id, url: item.url, title: item.title, note: 'They used our data' });

    const respond = await submitForm(t.app, INBOX, `${INBOX}/items/${item.id}/respond`, {}, editor);
    expect(respond.response.statusCode).toBe(303);
    const draft = await t.db.selectFrom('posts').selectAll().where('title', '=', `Re: ${item.title}`).executeTakeFirstOrThrow();
    expect(draft.status).toBe('draft');
    expect(draft.body_md).toContain(`(<${item.url}>)`);
    expect(draft.body_html).toContain(`href="${item.url}"`);
    expect(respond.response.headers.location).toBe(`/admin/projects/listeners/posts/${draft.id}/edit`);
  });
});

describe('taking it with you', () => {
  it('a private Atom feed of the inbox, revocable', async () => {
    web.route('/p.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('P', [{ id: 'p1', title: 'Private item' }])));
    await addSource(`${web.base}/p.xml`);
    const made = await submitForm(t.app, INBOX, `${INBOX}/feed-token`, {}, editor);
    const feedUrl = /value="(http:\/\/blogs\.test\/listening\/feed\/[^"]+)"/.exec(made.response.body)![1]!;
    const path = new URL(feedUrl).pathname;
    const feed = await get(t.app, path);
    expect(feed.statusCode).toBe(200);
    expect(feed.headers['content-type']).toContain('application/atom+xml');
    expect(feed.headers['cache-control']).toContain('private');
    expect(feed.body).toContain('Private item');
    expect((await get(t.app, path, { headers: { 'if-none-match': String(feed.headers.etag) } })).statusCode).toBe(304);
    await submitForm(t.app, INBOX, `${INBOX}/feed-token/revoke`, {}, editor);
    expect((await get(t.app, path)).statusCode).toBe(404);
  });

  it('OPML export lists the watched feeds; import watches a pasted list and refuses entities', async () => {
    web.route('/o.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('O & co', [])));
    await addSource(`${web.base}/o.xml`);
    const opml = await get(t.app, `${INBOX}/feeds.opml`, { cookies: editor });
    expect(opml.statusCode).toBe(200);
    expect(opml.body).toContain(`xmlUrl="${web.base}/o.xml"`);
    expect(opml.body).toContain('text="O &amp; co"');
    const list = `<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body><outline text="A" xmlUrl="${web.base}/a.xml"/><outline text="dup" xmlUrl="${web.base}/o.xml"/><outline text="bad" xmlUrl="javascript:alert(1)"/></body></opml>`;
    const imported = await submitForm(t.app, SOURCES, '/admin/projects/listeners/listening/opml', { opml: list }, editor);
    expect(imported.response.body).toContain('1 feed added, 1 already watched');
    expect((await t.db.selectFrom('listen_sources').select('url').execute()).map((r) => r.url).sort()).toEqual([`${web.base}/a.xml`, `${web.base}/o.xml`]);
    const hostile = await submitForm(t.app, SOURCES, '/admin/projects/listeners/listening/opml', { opml: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><opml><body><outline xmlUrl="&e;"/></body></opml>' }, editor);
    expect(hostile.response.statusCode).toBe(400);
    expect(hostile.response.body).toContain('refuse to read');
  });

  it('old items are pruned after the project setting (default 180 days)', async () => {
    web.route('/old-items.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('Old', [{ id: 'o1', title: 'Old one' }])));
    await addSource(`${web.base}/old-items.xml`);
    const { pruneTask } = await import('../../server/listening/jobs.js');
    const context = { db: t.db, config: t.config, clock: t.clock, log: t.app.log };
    const job = { id: '0', attempts: 1, maxAttempts: 1, lastAttempt: true };
    await sql`UPDATE listen_items SET fetched_at = fetched_at - interval '179 days'`.execute(t.db);
    await pruneTask({}, context, job);
    expect(await t.db.selectFrom('listen_items').select('id').execute()).toHaveLength(1);
    await sql`UPDATE listen_items SET fetched_at = fetched_at - interval '2 days'`.execute(t.db);
    await pruneTask({}, context, job);
    expect(await t.db.selectFrom('listen_items').select('id').execute()).toHaveLength(0);
  });
});

describe('the XSS corpus in every feed field', () => {
  it('is inert in the inbox, the sources page, the link form and the private feed', async () => {
    const vectors = XSS_VECTORS.map((v) => v.input);
    web.route('/xss.xml', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(
        atom(
          vectors.slice(0, 3).join(' '),
          vectors.map((v, n) => ({ id: `x${n}`, title: v, content: v, author: v, link: `https://elsewhere.example/x${n}?q=${encodeURIComponent(v)}` })),
        ),
      ),
    );
    await addSource(`${web.base}/xss.xml`);
    // Every vector is also a term, so every title and excerpt goes through the highlighter.
    await t.db.insertInto('listen_terms').values(vectors.slice(0, 40).map((query) => ({ project_id: projectId, query: query.slice(0, 200) }))).onConflict((oc) => oc.doNothing()).execute();
    for (const page of [1, 2, 3, 4, 5, 6, 7]) {
      const html = await inbox(`?show=all&page=${page}`);
      expect(unsafe(html.replace(/<script[^>]*src="\/static\/[^"]+"[^>]*><\/script>/g, '')), `inbox page ${page}`).toEqual([]);
    }
    const sources = await get(t.app, SOURCES, { cookies: editor });
    expect(unsafe(sources.body)).toEqual([]);
    const item = await t.db.selectFrom('listen_items').select('id').orderBy('id').executeTakeFirstOrThrow();
    const link = await get(t.app, `${INBOX}/items/${item.id}/link`, { cookies: editor });
    expect(unsafe(link.body)).toEqual([]);
    const made = await submitForm(t.app, INBOX, `${INBOX}/feed-token`, {}, editor);
    const feedPath = new URL(/value="(http:\/\/blogs\.test\/listening\/feed\/[^"]+)"/.exec(made.response.body)![1]!).pathname;
    const feed = await get(t.app, feedPath);
    expect(feed.statusCode).toBe(200);
    // Each entry's content, as a feed reader would read it: unescaped once, then parsed as HTML.
    const entries = DomUtils.findAll((el) => el.name === 'content', parseDocument(feed.body, { xmlMode: true }).children);
    expect(entries.length).toBeGreaterThan(10);
    for (const content of entries) expect(unsafe(DomUtils.textContent(content))).toEqual([]);
    const titles = DomUtils.findAll((el) => el.name === 'title', parseDocument(feed.body, { xmlMode: true }).children);
    for (const title of titles) expect(title.attribs.type ?? 'text').toBe('text');
  });
});
