// A real hot standby as DATABASE_READ_URL (test/helpers/replica.ts: pg_basebackup of the test's own
// PostgreSQL 15 primary), with the replica's lag made real by pausing its replay:
// - whoever wrote sees the change on their very next page, however far behind the replica is;
// - a page dropped from the cache by a change is not rebuilt from a replica that has not replayed it
//   (it would then be served as fresh until the next change);
// - with the replica stopped or too far behind, public pages, search and feeds come from the primary
//   (no 5xx), and the replica is used again once it is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { buildApp } from '../../server/app.js';
import { createSession, SESSION_COOKIE } from '../../server/auth/sessions.js';
import { loadConfig } from '../../server/config.js';
import { createPool, dbOnPool, type Db } from '../../server/db/create-db.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { ReadRouter } from '../../server/db/read-router.js';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { seedDemo } from '../../server/demo/seed.js';
import { makeStandby, pauseReplay, replicaSkipReason, resumeReplay, startPrimary, stopAll, waitForReplay, type PgServer } from '../helpers/replica.js';
import { freePort, startServerProcess } from '../helpers/server-process.js';
import { cookiesFrom, get, TestClock } from '../helpers/test-app.js';

const skip = replicaSkipReason();
if (skip) console.warn(`read replica tests skipped: ${skip}`);

const PROJECT = 'info-sharing-taskforce';
const MAX_LAG_MS = 1_000;
const clock = new TestClock();
let primary: PgServer;
let standby: PgServer;
let db: Db;
let replicaPool: pg.Pool;
let router: ReadRouter;
let app: FastifyInstance;
let owner: Record<string, string>;
let replicaCheckouts = 0;

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function standbyCount(text: string, values: unknown[]) {
  return (await standby.query<{ n: number }>(text, values, 'blogs')).rows[0]!.n;
}

beforeAll(async () => {
  if (skip) return;
  primary = await startPrimary();
  await primary.query('CREATE DATABASE blogs');
  const setup = dbOnPool(createPool(primary.url('blogs'), { max: 2 }));
  const config = loadConfig({ PUBLIC_URL: 'http://blogs.test', SEED_DEMO: 'never', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0' });
  try {
    await migrateToLatest(setup);
    await seedDemo(setup, { now: clock.now(), publicUrl: config.publicUrl, password: DEMO_PASSWORD });
  } finally {
    await setup.destroy();
  }
  standby = await makeStandby(primary);
  const primaryPool = createPool(primary.url('blogs'), { max: 5 });
  db = dbOnPool(primaryPool);
  replicaPool = createPool(standby.url('blogs'), { max: 5 });
  replicaPool.on('acquire', () => replicaCheckouts++);
  router = new ReadRouter(primaryPool, replicaPool, { maxLagMs: MAX_LAG_MS });
  await router.start();
  app = await buildApp({ config, db, readRouter: router, clock, pageCache: { listenUrl: primary.url('blogs') } });
  const person = await db.selectFrom('people').select('id').where('email', '=', 'amira.hassan@example.gov').executeTakeFirstOrThrow();
  owner = { [SESSION_COOKIE]: await createSession(db, person.id, clock.now()) };
}, 120_000);

afterAll(async () => {
  try {
    await app?.close();
    await router?.db.destroy();
    await db?.destroy();
  } finally {
    await stopAll();
  }
}, 60_000);

async function warm(url: string) {
  await get(app, url);
  await until(`${url} cached`, async () => (await get(app, url)).headers['x-cache'] === 'hit');
}

async function latestPost() {
  return db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
    .select(['posts.id', 'posts.slug', 'posts.title'])
    .where('projects.slug', '=', PROJECT).where('posts.status', '=', 'published').where('posts.comments_open', '=', true)
    .orderBy('posts.published_at', 'desc').limit(1).executeTakeFirstOrThrow();
}

/** Saves a post through the editor as a signed-in team member: the edit form, then its POST. */
async function saveTitleThroughEditor(postId: number, title: string) {
  const editUrl = `/admin/projects/${PROJECT}/posts/${postId}/edit`;
  const page = await get(app, editUrl, { cookies: owner });
  expect(page.statusCode).toBe(200);
  const form = /<form method="post" action="([^"]+)" class="editor-form"[\s\S]*?<\/form>/.exec(page.body)!;
  const fields = new URLSearchParams();
  for (const m of form[0].matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
    if (!/type="(checkbox|radio|submit)"/.test(m[0])) fields.set(m[1]!, m[2]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
  }
  for (const m of form[0].matchAll(/<textarea[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) {
    fields.set(m[1]!, m[2]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
  }
  if (/name="comments_open"[^>]*checked/.test(form[0])) fields.set('comments_open', 'on');
  fields.set('title', title);
  fields.set('action', 'save');
  const res = await app.inject({
    method: 'POST',
    url: form[1]!,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    cookies: { ...owner, ...cookiesFrom(page) },
    payload: fields.toString(),
  });
  expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
}

describe.skipIf(!!skip)('a hot standby as the read replica (DATABASE_READ_URL)', () => {
  it('serves anonymous readers from the replica while it is current', async () => {
    await waitForReplay(primary, standby);
    await until('the replica is fresh', () => router.status.fresh);
    const before = replicaCheckouts;
    for (let i = 0; i < 5; i++) expect((await get(app, `/search?q=data&n=${i}`)).statusCode).toBe(200);
    expect(replicaCheckouts - before).toBeGreaterThanOrEqual(5);
  });

  it('while replay is paused, a team member sees what they saved on the very next page, and no reader gets a stale page from the cache', async () => {
    const post = await latestPost();
    const postUrl = `/${PROJECT}/posts/${post.slug}`;
    await warm(`/${PROJECT}/`);
    await warm(postUrl);
    await pauseReplay(standby);
    try {
      // A post saved through the editor.
      await saveTitleThroughEditor(post.id, 'Saved while the replica lags');
      expect(await standbyCount('SELECT count(*)::int AS n FROM posts WHERE title = $1', ['Saved while the replica lags'])).toBe(0);
      const mine = await get(app, `/${PROJECT}/`, { cookies: owner });
      expect(mine.statusCode).toBe(200);
      expect(mine.body).toContain('Saved while the replica lags');

      // A comment approved and a project setting changed (written on the primary as the team's screens do).
      const comment = await db.insertInto('comments').values({
        post_id: post.id, author_name: 'Ada Reader', author_email: 'ada@example.org', status: 'pending',
        body_src: 'Approved while the replica lags.', body_html: '<p>Approved while the replica lags.</p>', created_at: clock.now(),
      }).returning('id').executeTakeFirstOrThrow();
      await db.updateTable('comments').set({ status: 'approved', approved_at: clock.now() }).where('id', '=', comment.id).execute();
      await db.updateTable('projects').set({ title: 'Information Sharing (renamed)' }).where('slug', '=', PROJECT).execute();
      expect((await get(app, postUrl, { cookies: owner })).body).toContain('Approved while the replica lags.');
      expect((await get(app, `/${PROJECT}/`, { cookies: owner })).body).toContain('Information Sharing (renamed)');

      // Anonymous readers: the notifications dropped the pages; what is rebuilt, and then served from the
      // cache, comes from the primary, not from the replica that has not replayed the changes.
      await until('the project page is rebuilt with the changes', async () => {
        const res = await get(app, `/${PROJECT}/`);
        return res.body.includes('Saved while the replica lags') && res.body.includes('Information Sharing (renamed)');
      });
      await until('the post page is rebuilt with the comment', async () => (await get(app, postUrl)).body.includes('Approved while the replica lags.'));
      for (const url of [`/${PROJECT}/`, postUrl]) {
        let hit = await get(app, url);
        await until(`${url} stored`, async () => (hit = await get(app, url)).headers['x-cache'] === 'hit');
        expect(hit.body).toContain(url === postUrl ? 'Approved while the replica lags.' : 'Saved while the replica lags');
      }
      // The replica really is behind, and the router knows it.
      expect(await standbyCount('SELECT count(*)::int AS n FROM comments WHERE id = $1', [comment.id])).toBe(0);
      expect(router.status.fresh).toBe(false);
    } finally {
      await resumeReplay(standby);
    }
    await waitForReplay(primary, standby);
    await until('the replica is used again', () => router.status.fresh);
    const hit = await get(app, `/${PROJECT}/`);
    expect(hit.body).toContain('Saved while the replica lags');
  });

  it('a team member’s next page comes from the primary even on a server that has not heard of the change yet', async () => {
    // Server B: its own pools and router, no LISTEN (so it never hears of changes) and a lag bound that
    // paused replay will not reach during this test: only the request's own cookie sends it to the primary.
    const primaryPool = createPool(primary.url('blogs'), { max: 2 });
    const routerB = new ReadRouter(primaryPool, createPool(standby.url('blogs'), { max: 2 }), { maxLagMs: 600_000, checkEveryMs: 60_000 });
    await routerB.start();
    const b = await buildApp({ config: app.config, db: dbOnPool(primaryPool), readRouter: routerB, clock });
    try {
      await waitForReplay(primary, standby);
      await until('B finds the replica fresh', async () => {
        await routerB.start();
        return routerB.status.fresh;
      });
      await pauseReplay(standby);
      try {
        const post = await latestPost();
        await saveTitleThroughEditor(post.id, 'Saved through A, read on B');
        const mine = await get(b, `/${PROJECT}/`, { cookies: owner });
        expect(mine.body).toContain('Saved through A, read on B');
        // An anonymous reader of B still gets the replica's view (which is what makes the cookie matter).
        expect((await get(b, `/${PROJECT}/?anonymous`)).body).not.toContain('Saved through A, read on B');
      } finally {
        await resumeReplay(standby);
      }
    } finally {
      await b.close();
      await routerB.db.destroy();
      await b.db.destroy();
    }
  });

  it('with the replica too far behind, then stopped, public pages, search and feeds come from the primary, and the replica is used again when it is back', async () => {
    const urls = [`/${PROJECT}/`, '/search?q=sharing', `/${PROJECT}/feed.atom`, '/'];
    const statuses: number[] = [];
    const readAll = async (tag: string) => {
      for (const url of urls) {
        // A query string the cache has never seen: every request reads the database.
        const res = await get(app, `${url}${url.includes('?') ? '&' : '?'}r=${tag}`);
        statuses.push(res.statusCode);
      }
    };
    // Too far behind: replay paused while the primary moves on.
    await pauseReplay(standby);
    try {
      await db.updateTable('projects').set({ title: 'Information Sharing (behind)' }).where('slug', '=', PROJECT).execute();
      await until('the router sees the replica behind', () => !router.status.healthy, MAX_LAG_MS * 5);
      await readAll('behind');
      expect((await get(app, `/${PROJECT}/?r=behind-check`)).body).toContain('Information Sharing (behind)');
    } finally {
      await resumeReplay(standby);
    }
    await until('the replica is within the bound again', () => router.status.healthy && router.status.fresh, 15_000);

    // Stopped: from the first request after it went away.
    await standby.stop();
    await readAll('stopped-1');
    await until('the router sees the replica down', () => !router.status.healthy);
    await readAll('stopped-2');
    await standby.start();
    await until('the replica is used again', () => router.status.healthy && router.status.fresh, 20_000);
    const before = replicaCheckouts;
    await readAll('back');
    expect(replicaCheckouts - before).toBeGreaterThanOrEqual(urls.length);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('npm start with DATABASE_READ_URL: serves from the replica, says when it leaves it for the primary and when it is back', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = startServerProcess({
      PORT: String(port),
      DATABASE_URL: primary.url('blogs'),
      DATABASE_READ_URL: standby.url('blogs'),
      DATABASE_READ_MAX_LAG_MS: '1000',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    });
    try {
      await proc.waitFor(/is running/, 60_000);
      expect((await fetch(`${base}/${PROJECT}/`)).status).toBe(200);
      await standby.stop();
      for (const url of [`/${PROJECT}/?p=1`, '/search?q=data&p=1', `/${PROJECT}/feed.atom?p=1`]) expect((await fetch(base + url)).status).toBe(200);
      await proc.waitFor(/read replica unavailable: public reads go to the primary/, 10_000);
      await standby.start();
      await proc.waitFor(/read replica is back: public reads use it again/, 20_000);
      expect((await fetch(`${base}/${PROJECT}/?p=2`)).status).toBe(200);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      proc.child.kill('SIGKILL');
      if (!standby.running) await standby.start();
    }
  }, 90_000);
});
