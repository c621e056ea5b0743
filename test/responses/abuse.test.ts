// Hostile sources and senders of webmentions: SSRF (loopback, private and metadata addresses refused
// without ALLOW_PRIVATE_FETCH), huge and non-HTML sources, redirect loops, floods (429 per source host
// and per sender), and the XSS corpus in every mf2 field, shown inert on the post page, in the
// moderation queue and on the status page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XSS_VECTORS } from '../markdown/fixtures/xss-vectors.js';
import { openPost, setSettings } from '../comments/helpers.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createDb } from '../../server/db/create-db.js';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { seedDemo } from '../../server/demo/seed.js';
import { buildTestApp, createTestDatabase, runJobs, signInAs, TestClock, type TestApp } from '../helpers/test-app.js';
import { unsafe as unsafeHtml } from '../helpers/unsafe-html.js';
import { startOtherSite, type OtherSite } from './other-site.js';

let site: OtherSite;
beforeAll(async () => {
  site = await startOtherSite();
});
afterAll(async () => site.close());

function sender(t: TestApp) {
  return (source: string, target: string, remoteAddress = '127.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/webmention', remoteAddress, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ source, target }).toString() });
}
const reasonOf = async (t: TestApp, source: string) => (await t.db.selectFrom('webmentions').select(['status', 'reason']).where('source', '=', source).executeTakeFirstOrThrow());
/** Script-capable elements, event handlers, inline styles and dangerous URLs; here also anything that loads remote media. */
const unsafe = (html: string) => unsafeHtml(html, { alsoForbid: ['img', 'video', 'audio', 'link'], alsoUrlAttributes: ['cite'] });
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

describe('without ALLOW_PRIVATE_FETCH (as in production)', () => {
  let t: TestApp;
  let target: string;
  beforeAll(async () => {
    t = await buildTestApp({ seed: true });
    target = `http://blogs.test${(await openPost(t)).url}`;
  });

  it.each(['LOOPBACK', 'http://10.0.0.1/x', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/x', 'http://0.0.0.0/x'])('a source at %s is refused, nothing fetched there', async (raw) => {
    const source = raw === 'LOOPBACK' ? `${site.base}/ssrf` : raw;
    site.html('/ssrf', `<a href="${target}">x</a>`);
    const before = site.received.length;
    expect((await sender(t)(source, target)).statusCode).toBe(202);
    await runJobs(t, { all: true });
    await runJobs(t, { all: true });
    await runJobs(t, { all: true });
    const row = await reasonOf(t, new URL(source).href);
    expect(row.status).toBe('rejected');
    expect(row.reason).toMatch(/could not be fetched/);
    expect(site.received.length).toBe(before);
  });
});

describe('hostile sources and floods (loopback allowed, as in tests)', () => {
  let t: TestApp;
  let target: string;
  beforeAll(async () => {
    t = await buildTestApp({ seed: true, env: { ALLOW_PRIVATE_FETCH: '1', WEBMENTIONS_PER_HOUR: '3' } });
    target = `http://blogs.test${(await openPost(t)).url}`;
  });

  it('huge, non-HTML and redirect-looping sources are rejected with a reason', async () => {
    site.set('/huge', { body: `<a href="${target}">x</a>${'x'.repeat(1_100_000)}` });
    site.set('/image', { headers: { 'content-type': 'image/png' }, body: `<a href="${target}">x</a>` });
    site.set('/loop', { status: 302, headers: { location: '/loop' } });
    const send = sender(t);
    expect((await send(`${site.base}/huge`, target, '10.1.0.1')).statusCode).toBe(202);
    expect((await send(`${site.base}/image`, target, '10.1.0.2')).statusCode).toBe(202);
    expect((await send(`${site.base}/loop`, target, '10.1.0.3')).statusCode).toBe(202);
    await runJobs(t);
    expect((await reasonOf(t, `${site.base}/huge`)).reason).toMatch(/could not be fetched/);
    expect((await reasonOf(t, `${site.base}/image`)).reason).toMatch(/not an HTML page/);
    expect((await reasonOf(t, `${site.base}/loop`)).reason).toMatch(/could not be fetched/);
  });

  it('a flood from one source host, or from one sender, gets 429', async () => {
    const send = sender(t);
    // 127.0.0.1:port already sent 3 above (from three senders): its host is at the limit.
    const flooded = await send(`${site.base}/another`, target, '10.2.0.1');
    expect(flooded.statusCode).toBe(429);
    expect(flooded.headers['retry-after']).toBeDefined();
    // One sender, many hosts.
    for (const host of ['a.example', 'b.example', 'c.example']) expect((await send(`https://${host}/p`, target, '10.3.0.1')).statusCode).toBe(202);
    expect((await send('https://d.example/p', target, '10.3.0.1')).statusCode).toBe(429);
    expect((await send('https://d.example/p', target, '10.3.0.2')).statusCode).toBe(202);
  });
});

describe('the flood limit across servers', () => {
  // Two app servers behind one load balancer: separate processes in production, here two apps with their
  // own connection pools on one database. The limit is counted in PostgreSQL, so they share it.
  it('two app instances on one database share the limit, also when their requests race', async () => {
    const database = await createTestDatabase();
    const clock = new TestClock();
    const config = loadConfig({ PUBLIC_URL: 'http://blogs.test', SEED_DEMO: 'never', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', WEBMENTIONS_PER_HOUR: '3' });
    await seedDemo(database.db, { now: clock.now(), publicUrl: config.publicUrl, password: DEMO_PASSWORD });
    const apps: FastifyInstance[] = [];
    try {
      for (let i = 0; i < 2; i++) apps.push(await buildApp({ config, db: createDb(database.url, { max: 3 }), clock }));
      const [a, b] = apps as [FastifyInstance, FastifyInstance];
      const post = await a.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id').select(['posts.slug', 'projects.slug as project'])
        .where('posts.status', '=', 'published').where('posts.published_at', '<=', clock.now()).orderBy('posts.id').limit(1).executeTakeFirstOrThrow();
      const target = `http://blogs.test/${post.project}/posts/${post.slug}`;
      const send = (app: FastifyInstance, source: string, remoteAddress: string) =>
        app.inject({ method: 'POST', url: '/webmention', remoteAddress, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ source, target }).toString() });

      // One source host, through both servers in turn: 3 in the hour, whichever server counted them.
      expect((await send(a, 'https://flood.example/1', '10.9.0.1')).statusCode).toBe(202);
      expect((await send(b, 'https://flood.example/2', '10.9.0.2')).statusCode).toBe(202);
      expect((await send(a, 'https://flood.example/3', '10.9.0.3')).statusCode).toBe(202);
      const refused = await send(b, 'https://flood.example/4', '10.9.0.4');
      expect(refused.statusCode).toBe(429);
      expect(refused.body).toMatch(/Too many webmentions from flood\.example/);
      expect((await send(a, 'https://flood.example/5', '10.9.0.5')).statusCode).toBe(429);
      // One sender, many hosts, through both servers: the per-sender count is shared too.
      expect((await send(b, 'https://one.example/p', '10.8.0.1')).statusCode).toBe(202);
      expect((await send(a, 'https://two.example/p', '10.8.0.1')).statusCode).toBe(202);
      expect((await send(b, 'https://three.example/p', '10.8.0.1')).statusCode).toBe(202);
      expect((await send(a, 'https://four.example/p', '10.8.0.1')).statusCode).toBe(429);

      // Ten at once from one new host, five through each server: exactly three get through.
      const raced = await Promise.all(Array.from({ length: 10 }, (_, n) => send(n % 2 ? a : b, `https://race.example/${n}`, `10.7.0.${n + 1}`)));
      expect(raced.map((r) => r.statusCode).sort()).toEqual([202, 202, 202, 429, 429, 429, 429, 429, 429, 429]);
      expect(await database.db.selectFrom('webmentions').select('id').where('source', 'like', 'https://race.example/%').execute()).toHaveLength(3);

      // A sliding hour: an hour after the first ones, the host may send again (on either server).
      clock.advance(3_600_001);
      expect((await send(b, 'https://flood.example/6', '10.9.0.6')).statusCode).toBe(202);
    } finally {
      for (const app of apps) {
        await app.close();
        await app.db.destroy();
      }
      await database.drop();
    }
  });
});

describe('the XSS corpus in every mf2 field', () => {
  it('comes out inert on the post page, in the moderation queue and on the status page', async () => {
    const t = await buildTestApp({ seed: true, env: { ALLOW_PRIVATE_FETCH: '1', WEBMENTIONS_PER_HOUR: '10000' } });
    const post = await openPost(t);
    const target = `http://blogs.test${post.url}`;
    await setSettings(t, post.project, { commentPolicy: 'approve-all', maxLinks: 1000 });
    const locations: string[] = [];
    for (const [i, v] of XSS_VECTORS.entries()) {
      const path = `/xss-${i}`;
      site.html(path, `<!doctype html><title>${v.input}</title><div class="h-entry">
        <a class="p-author h-card" href="${escapeHtml(v.input)}"><span class="p-name">${escapeHtml(v.input)}</span></a>
        <a class="u-in-reply-to" href="${target}">re</a>
        <p class="p-summary">${escapeHtml(v.input)}</p>
        <div class="e-content">${v.input} ${escapeHtml(v.input)}</div>
        <time class="dt-published" datetime="${escapeHtml(v.input)}">x</time></div>`);
      const response = await sender(t)(`${site.base}${path}`, target);
      expect(response.statusCode).toBe(202);
      locations.push(new URL(String(response.headers.location)).pathname);
    }
    await runJobs(t);
    const shown = await t.db.selectFrom('comments').select('id').where('webmention_id', 'is not', null).where('status', '=', 'approved').execute();
    expect(shown.length).toBe(XSS_VECTORS.length);
    const page = (await t.app.inject({ method: 'GET', url: post.url })).body;
    const section = page.slice(page.indexOf('<section class="responses"'), page.indexOf('</section>', page.indexOf('<section class="responses"')) + 10);
    expect(section).toContain('response-reply');
    expect(unsafe(section)).toEqual([]);

    // Held instead: the moderation queue shows the same corpus inert.
    await setSettings(t, post.project, {});
    await t.db.updateTable('comments').set({ status: 'pending' }).where('webmention_id', 'is not', null).execute();
    const queue = (await t.app.inject({ method: 'GET', url: '/admin/moderation', cookies: await signInAs(t, 'admin@example.gov') })).body;
    const list = queue.slice(queue.indexOf('<ol class="moderation-queue'));
    expect(list).toContain('A webmention (reply)');
    expect(unsafe(list)).toEqual([]);
    for (const location of locations.slice(0, 10)) {
      const status = (await t.app.inject({ method: 'GET', url: location })).body;
      expect(status.slice(status.indexOf('<main'))).not.toMatch(/<script\b/i);
    }
  }, 180_000); // the whole corpus, one webmention per vector: a budget, not an assertion about speed
});
