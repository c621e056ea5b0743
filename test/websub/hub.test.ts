// The built-in WebSub hub end to end on loopback: feeds declare the hub (in the feed and in Link
// headers); a subscriber subscribes, the hub verifies intent with hub.challenge, delivers the changed
// feed signed with the subscriber's secret when a post changes, retries a failing callback then drops
// it without blocking others, unsubscribes, expires leases. A callback that does not echo is stored
// nowhere. With WEBSUB_HUB_URL, feeds name that hub and it is pinged instead.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../server/jobs/queue.js';
import { queuePostChanged } from '../../server/posts/events.js';
import { DELIVERY_ATTEMPTS, LEASE_DEFAULT_SECONDS, LEASE_MAX_SECONDS, WEBSUB_EXPIRE } from '../../server/websub/hub.js';
import { openPost } from '../comments/helpers.js';
import { buildTestApp, queuedJobs, runJobs, type TestApp } from '../helpers/test-app.js';
import { startOtherSite, type OtherSite } from '../responses/other-site.js';

let t: TestApp;
let site: OtherSite;
let post: Awaited<ReturnType<typeof openPost>>;
let projectFeed: string;

/** A subscriber callback that echoes the challenge (or not) and accepts deliveries (or fails them). */
function callback(path: string, options: { echo?: 'right' | 'wrong'; deliver?: number } = {}) {
  site.set(path, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      const challenge = url.searchParams.get('hub.challenge') ?? '';
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(options.echo === 'wrong' ? `${challenge}x` : challenge);
    }
    res.writeHead(options.deliver ?? 204).end();
  });
  return `${site.base}${path}`;
}

function hub(fields: Record<string, string>) {
  return t.app.inject({ method: 'POST', url: '/websub', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
}

const subscriptions = () => t.db.selectFrom('websub_subscriptions').selectAll().orderBy('id').execute();
const deliveries = (path: string) => site.received.filter((r) => r.method === 'POST' && r.path === path);

beforeAll(async () => {
  t = await buildTestApp({ seed: true, env: { ALLOW_PRIVATE_FETCH: '1' } });
  site = await startOtherSite();
  post = await openPost(t);
  projectFeed = `http://blogs.test/${post.project}/feed.atom`;
});
afterAll(async () => site.close());

describe('feeds declare the hub', () => {
  it.each(['/feed.atom', '/feed.rss', '/info-sharing-taskforce/feed.atom', '/info-sharing-taskforce/comments.atom', '/search/feed.atom?q=roads'])('%s', async (path) => {
    const response = await t.app.inject({ method: 'GET', url: path });
    expect(response.statusCode).toBe(200);
    const self = `http://blogs.test${path}`.replace('&', '&amp;');
    expect(response.headers.link).toBe(`<http://blogs.test/websub>; rel="hub", <http://blogs.test${path}>; rel="self"`);
    if (path.endsWith('.rss')) expect(response.body).toContain('<atom:link href="http://blogs.test/websub" rel="hub"/>');
    else expect(response.body).toContain('<link rel="hub" href="http://blogs.test/websub"/>');
    expect(response.body).toContain(self);
  });
});

describe('the hub', () => {
  it('refuses bad requests with 400 and a reason', async () => {
    const cb = callback('/cb-bad');
    expect((await hub({ 'hub.mode': 'watch', 'hub.callback': cb, 'hub.topic': projectFeed })).body).toMatch(/hub.mode must be/);
    expect((await hub({ 'hub.mode': 'subscribe', 'hub.callback': 'not a url', 'hub.topic': projectFeed })).statusCode).toBe(400);
    expect((await hub({ 'hub.mode': 'subscribe', 'hub.callback': cb, 'hub.topic': 'https://elsewhere.example/feed.atom' })).body).toMatch(/one of the feeds of blogs.test/);
    expect((await hub({ 'hub.mode': 'subscribe', 'hub.callback': cb, 'hub.topic': 'http://blogs.test/no-such-project/feed.atom' })).body).toMatch(/not a feed of this site/);
    expect((await hub({ 'hub.mode': 'subscribe', 'hub.callback': cb, 'hub.topic': projectFeed, 'hub.secret': 'x'.repeat(200) })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'POST', url: '/websub' })).statusCode).toBe(400);
  });

  it('a callback that does not echo the challenge is refused and stored nowhere (nor its secret queued)', async () => {
    const cb = callback('/cb-wrong', { echo: 'wrong' });
    expect((await hub({ 'hub.mode': 'subscribe', 'hub.callback': cb, 'hub.topic': projectFeed, 'hub.secret': 'sekrit-wrong' })).statusCode).toBe(202);
    await runJobs(t);
    expect(site.received.some((r) => r.method === 'GET' && r.path.startsWith('/cb-wrong?') && r.path.includes('hub.challenge='))).toBe(true);
    expect(await subscriptions()).toEqual([]);
    expect(JSON.stringify(await queuedJobs(t))).not.toContain('sekrit-wrong');
    // An unreachable callback: the same.
    await hub({ 'hub.mode': 'subscribe', 'hub.callback': `${site.base}/nowhere`, 'hub.topic': projectFeed });
    await runJobs(t);
    expect(await subscriptions()).toEqual([]);
  });

  it('subscribes after verification, delivers the changed feed signed, retries a failing callback then drops it, unsubscribes', async () => {
    const good = callback('/cb-good');
    const failing = callback('/cb-failing', { deliver: 500 });
    expect((await hub({ 'hub.mode': 'subscribe', 'hub.callback': good, 'hub.topic': projectFeed, 'hub.secret': 's3cret', 'hub.lease_seconds': '999999999' })).statusCode).toBe(202);
    expect((await hub({ 'hub.mode': 'subscribe', 'hub.callback': failing, 'hub.topic': projectFeed })).statusCode).toBe(202);
    await runJobs(t);
    const verify = site.received.find((r) => r.method === 'GET' && r.path.startsWith('/cb-good?'))!;
    const query = new URL(verify.path, 'http://x').searchParams;
    expect(query.get('hub.mode')).toBe('subscribe');
    expect(query.get('hub.topic')).toBe(projectFeed);
    expect(query.get('hub.lease_seconds')).toBe(String(LEASE_MAX_SECONDS));
    const subs = await subscriptions();
    expect(subs.map((s) => s.callback)).toEqual([good, failing]);
    expect(subs[1]!.lease_seconds).toBe(LEASE_DEFAULT_SECONDS);

    await queuePostChanged(t.db, post.id);
    await runJobs(t);
    const [delivery] = deliveries('/cb-good');
    expect(delivery).toBeDefined();
    expect(delivery!.headers['content-type']).toContain('application/atom+xml');
    expect(delivery!.body).toContain('<feed');
    expect(delivery!.headers['x-hub-signature']).toBe(`sha256=${createHmac('sha256', 's3cret').update(delivery!.body).digest('hex')}`);
    expect(delivery!.headers.link).toBe(`<http://blogs.test/websub>; rel="hub", <${projectFeed}>; rel="self"`);

    // The failing one is retried with backoff, then dropped; the good one was not held up.
    for (let i = 0; i < DELIVERY_ATTEMPTS; i++) await runJobs(t, { all: true });
    expect(deliveries('/cb-failing')).toHaveLength(DELIVERY_ATTEMPTS);
    expect((await queuedJobs(t)).filter((j) => j.task === 'websub:deliver')).toEqual([]);

    expect((await hub({ 'hub.mode': 'unsubscribe', 'hub.callback': good, 'hub.topic': projectFeed })).statusCode).toBe(202);
    await runJobs(t);
    expect((await subscriptions()).map((s) => s.callback)).toEqual([failing]);
  });

  it('leases expire', async () => {
    const cb = callback('/cb-expiring');
    await hub({ 'hub.mode': 'subscribe', 'hub.callback': cb, 'hub.topic': projectFeed, 'hub.lease_seconds': '3600' });
    await runJobs(t);
    expect((await subscriptions()).some((s) => s.callback === cb)).toBe(true);
    const before = t.clock.now();
    t.clock.set(new Date(before.getTime() + 3601_000));
    try {
      await enqueue(t.db, WEBSUB_EXPIRE, {});
      await runJobs(t);
      expect((await subscriptions()).some((s) => s.callback === cb)).toBe(false);
    } finally {
      t.clock.set(before);
    }
  });
});

describe('an external hub (WEBSUB_HUB_URL)', () => {
  it('is declared by feeds and pinged when a post changes', async () => {
    const external = await buildTestApp({ seed: true, env: { ALLOW_PRIVATE_FETCH: '1', WEBSUB_HUB_URL: `${site.base}/hub` } });
    site.set('/hub', { status: 204 });
    const feed = await external.app.inject({ method: 'GET', url: '/feed.atom' });
    expect(feed.body).toContain(`<link rel="hub" href="${site.base}/hub"/>`);
    expect((await external.app.inject({ method: 'POST', url: '/websub', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'hub.mode=subscribe' })).statusCode).toBe(400);
    const p = await openPost(external);
    await queuePostChanged(external.db, p.id);
    await runJobs(external);
    const pings = site.received.filter((r) => r.path === '/hub' && r.method === 'POST').map((r) => new URLSearchParams(r.body));
    expect(pings.every((b) => b.get('hub.mode') === 'publish')).toBe(true);
    expect(pings.map((b) => b.get('hub.url'))).toEqual(expect.arrayContaining(['http://blogs.test/feed.atom', `http://blogs.test/${p.project}/feed.atom`, `http://blogs.test/${p.project}/feed.rss`]));
  });
});
