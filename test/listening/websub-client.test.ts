// The listening desk as a WebSub subscriber, against a small hub of the test's own on loopback (real HTTP
// both ways: the app POSTs to the hub; the hub GETs and POSTs the app's callback on its real port).
// Verification only for what was asked, signed pushes read as polls are, hostile pushes refused (bad or
// missing signature, unknown callback, huge body, XXE), renewal before the lease ends, cancellation when
// a source is paused or removed, and polling kept as a slower fallback while subscribed.
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enqueue } from '../../server/jobs/queue.js';
import { MAX_WAITING_PUSHES, signatureValid, WEBSUB_PUSH_TASK, WEBSUB_RENEW_TASK } from '../../server/listening/websub.js';
import { signature as ourHubSignature } from '../../server/websub/hub.js';
import { freePort } from '../helpers/server-process.js';
import { buildTestApp, createPerson, get, queuedJobs, runJobs, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';
import { rss, startWeb, type TestWeb } from './web.js';

let t: TestApp;
let web: TestWeb;
let projectId: number;
let editor: Record<string, string>;
const SOURCES = '/admin/projects/pushers/listening/sources';

interface HubRequest {
  mode: string;
  topic: string;
  callback: string;
  secret: string;
  lease: string;
}
const hubRequests: HubRequest[] = [];
let hubStatus = 202;

beforeAll(async () => {
  const port = await freePort();
  t = await buildTestApp({ env: { ALLOW_PRIVATE_FETCH: '1', PUBLIC_URL: `http://127.0.0.1:${port}` } });
  await t.app.listen({ port, host: '127.0.0.1' });
  expect((t.app.server.address() as AddressInfo).port).toBe(port);
  web = await startWeb();
  // The hub: records each request and answers 202 (verification is done by the test, as an async hub does).
  web.route('/hub', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      hubRequests.push({ mode: form.get('hub.mode') ?? '', topic: form.get('hub.topic') ?? '', callback: form.get('hub.callback') ?? '', secret: form.get('hub.secret') ?? '', lease: form.get('hub.lease_seconds') ?? '' });
      res.writeHead(hubStatus, { 'content-type': 'text/plain' }).end(hubStatus === 202 ? '' : 'no thanks');
    });
  });
  const row = await t.db.insertInto('projects').values({ slug: 'pushers', title: 'Pushers', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  projectId = Number(row.id);
  await createPerson(t, { email: 'ed@example.org', handle: 'ed' }, { projectId, role: 'editor' });
  editor = await signInAs(t, 'ed@example.org');
});

afterAll(async () => {
  await web.close();
});

beforeEach(async () => {
  await sql`TRUNCATE listen_sources, listen_terms, listen_items, listen_websub, listen_websub_pushes CASCADE`.execute(t.db);
  await sql`DELETE FROM graphile_worker._private_jobs`.execute(t.db);
  hubRequests.length = 0;
  hubStatus = 202;
});

let feedItems = [{ id: 'p1', title: 'First post' }];
function serveHubFeed(path: string) {
  web.route(path, (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('Pushy', feedItems, `<atom:link rel="hub" href="${web.base}/hub"/><atom:link rel="self" href="${web.base}${path}"/>`)),
  );
}

/** The hub's verification GET to a callback: status and body. */
async function verify(callback: string, params: Record<string, string>) {
  const url = new URL(callback);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** The hub's content distribution POST. */
async function push(callback: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(callback, { method: 'POST', headers: { 'content-type': 'application/rss+xml', ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  return { status: res.status, body: await res.text() };
}

const sign = (algo: string, secret: string, body: string) => `${algo}=${createHmac(algo, secret).update(body).digest('hex')}`;

async function items() {
  return t.db.selectFrom('listen_items').select(['guid', 'title', 'content_html']).orderBy('id').execute();
}

async function pollDelay(sourceId: number): Promise<number | null> {
  const { rows } = await sql<{ s: number }>`SELECT extract(epoch FROM run_at - now())::float AS s FROM graphile_worker._private_jobs WHERE key = ${`listen:source:${sourceId}`}`.execute(t.db);
  return rows[0] ? Number(rows[0].s) : null;
}

/** Adds the feed, lets the subscribe job ask the hub, and verifies as the hub would. */
async function subscribed(path: string) {
  serveHubFeed(path);
  const { response } = await submitForm(t.app, SOURCES, SOURCES, { address: `${web.base}${path}`, mode: 'all' }, editor);
  expect(response.statusCode).toBe(200);
  await runJobs(t);
  const request = hubRequests.at(-1)!;
  expect(request.mode).toBe('subscribe');
  const ok = await verify(request.callback, { 'hub.mode': 'subscribe', 'hub.topic': request.topic, 'hub.challenge': 'c-123', 'hub.lease_seconds': '864000' });
  expect(ok).toEqual({ status: 200, body: 'c-123' });
  const source = await t.db.selectFrom('listen_sources').select(['id']).executeTakeFirstOrThrow();
  return { request, sourceId: Number(source.id) };
}

describe('subscribing', () => {
  it('a feed that declares a hub is subscribed to with a per-source callback and secret; only what we asked is verified', async () => {
    serveHubFeed('/pushy.xml');
    await submitForm(t.app, SOURCES, SOURCES, { address: `${web.base}/pushy.xml`, mode: 'all' }, editor);
    expect(hubRequests).toHaveLength(0); // through the queue, not inline
    await runJobs(t);
    expect(hubRequests).toHaveLength(1);
    const request = hubRequests[0]!;
    expect(request).toMatchObject({ mode: 'subscribe', topic: `${web.base}/pushy.xml`, lease: '864000' });
    expect(request.callback).toMatch(new RegExp(`^${t.config.publicUrl}/listening/websub/[A-Za-z0-9_-]{43}$`));
    expect(request.secret.length).toBeGreaterThanOrEqual(32);
    const row = await t.db.selectFrom('listen_websub').selectAll().executeTakeFirstOrThrow();
    expect(row.state).toBe('subscribing');

    // Another topic, another token, an unsubscribe we never asked for, no challenge: 404, nothing changes.
    expect((await verify(request.callback, { 'hub.mode': 'subscribe', 'hub.topic': `${web.base}/other.xml`, 'hub.challenge': 'x' })).status).toBe(404);
    expect((await verify(request.callback.replace(/[A-Za-z0-9_-]{43}$/, 'A'.repeat(43)), { 'hub.mode': 'subscribe', 'hub.topic': request.topic, 'hub.challenge': 'x' })).status).toBe(404);
    expect((await verify(request.callback, { 'hub.mode': 'unsubscribe', 'hub.topic': request.topic, 'hub.challenge': 'x' })).status).toBe(404);
    expect((await verify(request.callback, { 'hub.mode': 'subscribe', 'hub.topic': request.topic })).status).toBe(404);
    expect((await t.db.selectFrom('listen_websub').select('state').executeTakeFirstOrThrow()).state).toBe('subscribing');

    const ok = await verify(request.callback, { 'hub.mode': 'subscribe', 'hub.topic': request.topic, 'hub.challenge': 'abc123', 'hub.lease_seconds': '7200' });
    expect(ok).toEqual({ status: 200, body: 'abc123' });
    const verified = await t.db.selectFrom('listen_websub').selectAll().executeTakeFirstOrThrow();
    expect(verified.state).toBe('subscribed');
    expect(verified.expires_at!.getTime()).toBe(t.clock.now().getTime() + 7200 * 1000);
    const page = await get(t.app, SOURCES, { cookies: editor });
    expect(page.body).toMatch(/<dd data-push>Updates pushed by its hub \(127\.0\.0\.1:\d+\)/);

    // Polling goes on, at a longer interval while pushed updates are expected.
    await runJobs(t, { all: true });
    const delay = await pollDelay(Number(verified.source_id));
    expect(delay).toBeGreaterThan(30 * 60 * 11);
  });

  it('a hub named in the Link header is used; a hub that refuses leaves the source polled normally and says why', async () => {
    hubStatus = 400;
    web.route('/linked.xml', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/rss+xml', link: `<${web.base}/hub>; rel="hub", <${web.base}/linked.xml?v=1>; rel="self"` }).end(rss('Linked', [{ id: 'l1', title: 'L' }])),
    );
    await submitForm(t.app, SOURCES, SOURCES, { address: `${web.base}/linked.xml`, mode: 'all' }, editor);
    await runJobs(t);
    expect(hubRequests[0]).toMatchObject({ mode: 'subscribe', topic: `${web.base}/linked.xml?v=1` });
    const row = await t.db.selectFrom('listen_websub').selectAll().executeTakeFirstOrThrow();
    expect(row.state).toBe('failed');
    expect(row.last_error).toContain('HTTP 400');
    expect((await get(t.app, SOURCES, { cookies: editor })).body).toContain('Checked by polling only.');
    await runJobs(t, { all: true });
    expect(await pollDelay(Number(row.source_id))).toBeLessThan(30 * 60 + 5);
  });
});

describe('pushed content', () => {
  it('a signed push is read as a poll is (sanitized, deduplicated); sha1 and sha256 signatures are both checked', async () => {
    const { request } = await subscribed('/p2.xml');
    expect(await items()).toHaveLength(1);
    const body = rss('Pushy', [{ id: 'p2', title: 'Pushed <news>', content: '<p>hello<script>alert(1)</script><img src=x onerror=alert(1)></p>' }]);
    expect(await push(request.callback, body, { 'x-hub-signature': sign('sha256', request.secret, body) })).toMatchObject({ status: 202 });
    // Stored and answered at once; read by the job.
    expect(await items()).toHaveLength(1);
    expect((await queuedJobs(t)).map((j) => j.task)).toContain(WEBSUB_PUSH_TASK);
    await runJobs(t);
    const after = await items();
    expect(after.map((i) => i.guid)).toEqual(['p1', 'p2']);
    expect(after[1]!.title).toBe('Pushed <news>');
    expect(after[1]!.content_html).not.toMatch(/script|onerror/);
    // The same item again is not duplicated; sha1 is accepted too.
    const again = rss('Pushy', [{ id: 'p2', title: 'Pushed <news>' }, { id: 'p3', title: 'Third' }]);
    expect((await push(request.callback, again, { 'x-hub-signature': sign('sha1', request.secret, again) })).status).toBe(202);
    await runJobs(t);
    expect((await items()).map((i) => i.guid)).toEqual(['p1', 'p2', 'p3']);
    expect(await t.db.selectFrom('listen_websub_pushes').select('id').execute()).toEqual([]);
  });

  it('a hub that retries a push adds nothing twice: one stored body, one job, the items once', async () => {
    const { request } = await subscribed('/p8.xml');
    const body = rss('Pushy', [{ id: 'r1', title: 'Retried' }, { id: 'r2', title: 'Retried too' }]);
    const signed = { 'x-hub-signature': sign('sha256', request.secret, body) };
    // The hub did not see our answer (a timeout on its side) and sends the same body again, twice.
    for (let i = 0; i < 3; i++) expect((await push(request.callback, body, signed)).status).toBe(202);
    expect(await t.db.selectFrom('listen_websub_pushes').select('id').execute()).toHaveLength(1);
    expect((await queuedJobs(t)).filter((j) => j.task === WEBSUB_PUSH_TASK)).toHaveLength(1);
    await runJobs(t);
    // Again after it was read: stored and read again, and the items are still there once.
    expect((await push(request.callback, body, signed)).status).toBe(202);
    await runJobs(t);
    expect((await items()).map((i) => i.guid)).toEqual(['p1', 'r1', 'r2']);
  });

  it('a source with too many pushes waiting gets 429 with Retry-After; they are read in the end', async () => {
    const { request } = await subscribed('/p9.xml');
    for (let i = 0; i < MAX_WAITING_PUSHES; i++) {
      const body = rss('Pushy', [{ id: `w${i}`, title: `Waiting ${i}` }]);
      expect((await push(request.callback, body, { 'x-hub-signature': sign('sha256', request.secret, body) })).status).toBe(202);
    }
    const body = rss('Pushy', [{ id: 'late', title: 'One too many' }]);
    const res = await fetch(request.callback, { method: 'POST', headers: { 'content-type': 'application/rss+xml', 'x-hub-signature': sign('sha256', request.secret, body) }, body });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    await runJobs(t);
    expect(await items()).toHaveLength(1 + MAX_WAITING_PUSHES);
    expect((await push(request.callback, body, { 'x-hub-signature': sign('sha256', request.secret, body) })).status).toBe(202);
  });

  it('pushes that are forged, unknown, huge or hostile are refused and store nothing, never a 500', async () => {
    const { request } = await subscribed('/p3.xml');
    const body = rss('Pushy', [{ id: 'evil', title: 'Forged' }]);
    // A wrong secret, a signature of another body, an unknown method, none at all: acknowledged (202) and ignored.
    for (const header of [sign('sha256', 'not-the-secret', body), sign('sha256', request.secret, `${body} `), `md5=${'0'.repeat(32)}`, 'sha256=zz', '']) {
      const res = await push(request.callback, body, header ? { 'x-hub-signature': header } : {});
      expect(res.status).toBe(202);
    }
    // A callback nobody subscribed: 404; a body over the cap: 413.
    expect((await push(`${t.config.publicUrl}/listening/websub/${'B'.repeat(43)}`, body, { 'x-hub-signature': sign('sha256', request.secret, body) })).status).toBe(404);
    const huge = Buffer.alloc(6 * 1024 * 1024, 'a');
    expect((await push(request.callback, huge, { 'x-hub-signature': `sha256=${createHmac('sha256', request.secret).update(huge).digest('hex')}` })).status).toBe(413);
    // XXE, correctly signed (the hub itself is hostile): refused by the parser, nothing fetched.
    const xxe = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>&xxe;</title><item><title>&xxe;</title><guid>x</guid></item></channel></rss>`;
    expect((await push(request.callback, xxe, { 'x-hub-signature': sign('sha256', request.secret, xxe) })).status).toBe(202);
    await runJobs(t);
    const refused = await t.db.selectFrom('listen_websub').select('last_error').executeTakeFirstOrThrow();
    expect(refused.last_error).toContain('entities');
    // The problem is shown on the sources page.
    expect((await get(t.app, SOURCES, { cookies: editor })).body).toContain('The last pushed update could not be read');
    // Not a feed at all.
    expect((await push(request.callback, 'garbage', { 'x-hub-signature': sign('sha256', request.secret, 'garbage') })).status).toBe(202);
    await runJobs(t);
    expect((await items()).map((i) => i.guid)).toEqual(['p1']);
    expect(await t.db.selectFrom('listen_websub_pushes').select('id').execute()).toEqual([]);
  });

  it('signatures are checked both ways: what our own hub signs is what our subscriber accepts', () => {
    const body = Buffer.from('<feed/>');
    expect(signatureValid(ourHubSignature('s3cret-s3cret-s3cret-s3cret-s3cret', body), 's3cret-s3cret-s3cret-s3cret-s3cret', body)).toBe(true);
    expect(signatureValid(ourHubSignature('s3cret-s3cret-s3cret-s3cret-s3cret', body), 'another-secret-another-secret-xx', body)).toBe(false);
    expect(signatureValid(`sha512=${createHmac('sha512', 'k').update(body).digest('hex')}`, 'k', body)).toBe(true);
    expect(signatureValid(undefined, 'k', body)).toBe(false);
  });
});

describe('leases and cancellation', () => {
  it('a feed that goes away (410), or stops declaring its hub, is unsubscribed', async () => {
    const { request } = await subscribed('/p6.xml');
    web.route('/p6.xml', (_req, res) => res.writeHead(410).end());
    await runJobs(t, { all: true });
    expect(hubRequests.at(-1)).toMatchObject({ mode: 'unsubscribe', callback: request.callback });
  });

  it('a feed that stops declaring its hub is unsubscribed', async () => {
    const { request } = await subscribed('/p7.xml');
    web.route('/p7.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('Pushy', [{ id: 'q1', title: 'No hub now' }])));
    await runJobs(t, { all: true });
    expect(hubRequests.at(-1)).toMatchObject({ mode: 'unsubscribe', callback: request.callback });
  });

  it('a subscription is renewed before its lease ends, with the same callback', async () => {
    const { request } = await subscribed('/p4.xml');
    await enqueue(t.db, WEBSUB_RENEW_TASK, {});
    await runJobs(t);
    expect(hubRequests).toHaveLength(1); // ten days left: nothing to do
    t.clock.advance(9 * 86_400_000);
    await enqueue(t.db, WEBSUB_RENEW_TASK, {});
    await runJobs(t);
    expect(hubRequests).toHaveLength(2);
    expect(hubRequests[1]).toMatchObject({ mode: 'subscribe', callback: request.callback, topic: request.topic });
    // Still subscribed meanwhile: a push is accepted before the hub verifies again.
    const body = rss('Pushy', [{ id: 'r1', title: 'During renewal' }]);
    expect((await push(request.callback, body, { 'x-hub-signature': sign('sha256', request.secret, body) })).status).toBe(202);
    expect((await verify(request.callback, { 'hub.mode': 'subscribe', 'hub.topic': request.topic, 'hub.challenge': 'again' })).body).toBe('again');
    const row = await t.db.selectFrom('listen_websub').selectAll().executeTakeFirstOrThrow();
    expect(row.expires_at!.getTime()).toBe(t.clock.now().getTime() + 10 * 86_400_000);
    t.clock.set(new Date('2026-06-17T10:00:00Z'));
  });

  it('pausing a source unsubscribes it at the hub; pushes are then refused; removing does the same', async () => {
    const { request, sourceId } = await subscribed('/p5.xml');
    await submitForm(t.app, SOURCES, `${SOURCES}/${sourceId}/pause`, {}, editor);
    const body = rss('Pushy', [{ id: 'late', title: 'Late' }]);
    expect((await push(request.callback, body, { 'x-hub-signature': sign('sha256', request.secret, body) })).status).toBe(410);
    await runJobs(t);
    expect(hubRequests.at(-1)).toMatchObject({ mode: 'unsubscribe', callback: request.callback, topic: request.topic });
    // A subscribe verification for a cancelled subscription is refused; the unsubscribe one is confirmed.
    expect((await verify(request.callback, { 'hub.mode': 'subscribe', 'hub.topic': request.topic, 'hub.challenge': 'no' })).status).toBe(404);
    expect(await verify(request.callback, { 'hub.mode': 'unsubscribe', 'hub.topic': request.topic, 'hub.challenge': 'bye' })).toEqual({ status: 200, body: 'bye' });
    expect(await t.db.selectFrom('listen_websub').select('id').execute()).toHaveLength(0);
    expect((await push(request.callback, body, { 'x-hub-signature': sign('sha256', request.secret, body) })).status).toBe(404);

    // Resumed: subscribed again (a new callback), then removed: unsubscribed again.
    await submitForm(t.app, SOURCES, `${SOURCES}/${sourceId}/resume`, {}, editor);
    await runJobs(t);
    const again = hubRequests.at(-1)!;
    expect(again.mode).toBe('subscribe');
    expect(again.callback).not.toBe(request.callback);
    await verify(again.callback, { 'hub.mode': 'subscribe', 'hub.topic': again.topic, 'hub.challenge': 'hi' });
    await submitForm(t.app, SOURCES, `${SOURCES}/${sourceId}/remove`, {}, editor);
    await runJobs(t);
    expect(hubRequests.at(-1)).toMatchObject({ mode: 'unsubscribe', callback: again.callback });
    expect(await verify(again.callback, { 'hub.mode': 'unsubscribe', 'hub.topic': again.topic, 'hub.challenge': 'gone' })).toEqual({ status: 200, body: 'gone' });
    expect(await t.db.selectFrom('listen_websub').select('id').execute()).toHaveLength(0);
  });
});
