// The one job queue (graphile-worker in PostgreSQL) as the product uses it: jobs queued in the same
// transaction as their change, run once across several workers, retried after failures with a logged
// event, kept across a restart; and the post events built on it (announce once, scheduled posts found
// by the sweep).
import { Writable } from 'node:stream';
import pino from 'pino';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDb } from '../../server/db/create-db.js';
import { enqueue } from '../../server/jobs/queue.js';
import { JobWorker, type JobContext, type JobDefinitions } from '../../server/jobs/worker.js';
import { postChangedTask, queuePostChanged, sweepLivePosts, type PostChange } from '../../server/posts/events.js';
import { buildTestApp, createTestDatabase, queuedJobs, runJobs, TestClock, TEST_NOW, type TestApp } from '../helpers/test-app.js';
import { waitUntil } from '../helpers/wait.js';

function logCollector() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, log: pino({ level: 'debug' }, stream) };
}

async function contextFor(t: { db: TestApp['db']; config: TestApp['config'] }, log = pino({ level: 'silent' })): Promise<JobContext> {
  return { db: t.db, config: t.config, clock: new TestClock(), log };
}

describe('the job queue', () => {
  it('keeps a job only if the transaction that queued it commits', async () => {
    const t = await buildTestApp();
    await t.db
      .transaction()
      .execute(async (tx) => {
        await enqueue(tx, 'test:never', { n: 1 });
        throw new Error('roll back');
      })
      .catch(() => {});
    await t.db.transaction().execute(async (tx) => enqueue(tx, 'test:kept', { n: 2 }));
    expect((await queuedJobs(t)).map((j) => j.task)).toEqual(['test:kept']);
  });

  it('runs each job once when two workers (two servers) share the queue', async () => {
    const t = await buildTestApp();
    await sql`CREATE TABLE job_runs (n int PRIMARY KEY, worker text NOT NULL)`.execute(t.db);
    // The second worker is another server: its own pool on the same database.
    const otherDb = createDb(t.database.url, { max: 5 });
    try {
      const recorder = (worker: string): JobDefinitions => ({
        tasks: {
          'test:record': async (payload, context) => {
            // A duplicate run would break the primary key and fail the job.
            await sql`INSERT INTO job_runs (n, worker) VALUES (${Number(payload.n)}, ${worker})`.execute(context.db);
          },
        },
      });
      const a = new JobWorker({ context: await contextFor(t), definitions: recorder('a'), concurrency: 4, pollIntervalMs: 200 });
      const b = new JobWorker({ context: { ...(await contextFor(t)), db: otherDb }, definitions: recorder('b'), concurrency: 4, pollIntervalMs: 200 });
      await a.start();
      await b.start();
      for (let n = 0; n < 200; n += 1) await enqueue(t.db, 'test:record', { n }, { maxAttempts: 1 });
      expect(await waitUntil(async () => (await sql<{ c: number }>`SELECT count(*)::int AS c FROM job_runs`.execute(t.db)).rows[0]!.c === 200, 30_000)).toBe(true);
      await a.stop();
      await b.stop();
      const { rows } = await sql<{ worker: string; c: number }>`SELECT worker, count(*)::int AS c FROM job_runs GROUP BY worker`.execute(t.db);
      expect(rows.reduce((sum, r) => sum + r.c, 0)).toBe(200);
      const failed = await sql<{ c: number }>`SELECT count(*)::int AS c FROM graphile_worker.jobs`.execute(t.db);
      expect(failed.rows[0]!.c).toBe(0);
    } finally {
      await otherDb.destroy();
    }
  });

  it('retries a failing job with a logged job_failed event, then runs it', async () => {
    const t = await buildTestApp();
    const { lines, log } = logCollector();
    let tries = 0;
    const worker = new JobWorker({
      context: await contextFor(t, log),
      definitions: {
        tasks: {
          'test:flaky': async () => {
            tries += 1;
            if (tries < 3) throw new Error('the other site is down');
          },
        },
      },
      concurrency: 1,
    });
    await enqueue(t.db, 'test:flaky', {}, { maxAttempts: 5 });
    for (let i = 0; i < 3; i += 1) {
      await sql`UPDATE graphile_worker._private_jobs SET run_at = now()`.execute(t.db);
      await worker.runUntilIdle();
    }
    expect(tries).toBe(3);
    expect((await queuedJobs(t)).length).toBe(0);
    // runUntilIdle has no event listener; the library's own error lines carry the task's scope.
    expect(lines.some((l) => l.event === 'job_queue' && String(l.msg).includes('the other site is down'))).toBe(true);
  });

  it('logs a structured job_failed event from a running worker, final on the last try', async () => {
    const t = await buildTestApp();
    const { lines, log } = logCollector();
    const worker = new JobWorker({
      context: await contextFor(t, log),
      definitions: { tasks: { 'test:broken': async () => Promise.reject(new Error('always broken')) } },
      concurrency: 1,
      pollIntervalMs: 100,
    });
    await worker.start();
    try {
      await enqueue(t.db, 'test:broken', {}, { maxAttempts: 1 });
      expect(await waitUntil(async () => lines.some((l) => l.event === 'job_failed'), 15_000)).toBe(true);
    } finally {
      await worker.stop();
    }
    const event = lines.find((l) => l.event === 'job_failed')!;
    expect(event).toMatchObject({ task: 'test:broken', attempts: 1, maxAttempts: 1, final: true, level: 50 });
  });

  it('keeps queued jobs across a restart of the app (they are rows, not memory)', async () => {
    const database = await createTestDatabase();
    try {
      await enqueue(database.db, 'test:later', { n: 7 });
      await database.db.destroy();
      const again = createDb(database.url, { max: 2 });
      try {
        const { rows } = await sql<{ task_identifier: string }>`SELECT task_identifier FROM graphile_worker.jobs`.execute(again);
        expect(rows.map((r) => r.task_identifier)).toEqual(['test:later']);
      } finally {
        await again.destroy();
      }
    } finally {
      const { adminQuery } = await import('../helpers/test-app.js');
      const { inject } = await import('vitest');
      await adminQuery(inject('dbServerUrl'), `DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`);
    }
  });
});

describe('post events', () => {
  async function projectWithPost(t: TestApp, post: { status: string; publishedAt: Date | null }) {
    const project = await t.db.insertInto('projects').values({ slug: 'p', title: 'P' }).returning('id').executeTakeFirstOrThrow();
    const row = await t.db
      .insertInto('posts')
      .values({
        project_id: project.id,
        slug: 'a-post',
        title: 'A post',
        status: post.status as 'published',
        published_at: post.publishedAt,
        first_published_at: post.publishedAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  it('announces a post once, however many times its change is processed', async () => {
    const t = await buildTestApp();
    const postId = await projectWithPost(t, { status: 'published', publishedAt: new Date(TEST_NOW.getTime() - 60_000) });
    const heard: PostChange[] = [];
    const task = postChangedTask([async (_tx, change) => void heard.push(change)]);
    const context = { db: t.db, config: t.config, clock: t.clock, log: pino({ level: 'silent' }) };
    await task({ postId }, context, { id: '1', attempts: 1, maxAttempts: 10, lastAttempt: false });
    await task({ postId }, context, { id: '2', attempts: 1, maxAttempts: 10, lastAttempt: false });
    expect(heard.map((c) => c.firstTime)).toEqual([true, false]);
    expect(heard.every((c) => c.publicNow && c.everPublic)).toBe(true);
    // Withdrawn: a change the world saw, no longer public.
    await t.db.updateTable('posts').set({ status: 'unpublished' }).where('id', '=', postId).execute();
    await task({ postId }, context, { id: '3', attempts: 1, maxAttempts: 10, lastAttempt: false });
    expect(heard[2]).toMatchObject({ publicNow: false, firstTime: false, everPublic: true });
  });

  it('finds a scheduled post once its time has come (the minute sweep), not before', async () => {
    const t = await buildTestApp();
    const postId = await projectWithPost(t, { status: 'scheduled', publishedAt: new Date(TEST_NOW.getTime() + 3_600_000) });
    const context = { db: t.db, config: t.config, clock: t.clock, log: pino({ level: 'silent' }) };
    await sweepLivePosts({}, context, { id: '1', attempts: 1, maxAttempts: 3, lastAttempt: false });
    expect(await queuedJobs(t)).toEqual([]);
    t.clock.advance(3_600_000);
    await sweepLivePosts({}, context, { id: '2', attempts: 1, maxAttempts: 3, lastAttempt: false });
    expect((await queuedJobs(t)).map((j) => [j.task, j.payload])).toEqual([['post:changed', { postId }]]);
    await runJobs(t);
    const row = await t.db.selectFrom('posts').select('announced_at').where('id', '=', postId).executeTakeFirstOrThrow();
    expect(row.announced_at).toEqual(t.clock.now());
  });

  it('queues the change when the editor publishes, and a real worker processes it', async () => {
    const t = await buildTestApp({ seed: true, jobs: true });
    const post = await t.db.selectFrom('posts').select(['id']).where('announced_at', 'is', null).executeTakeFirst();
    expect(post).toBeUndefined(); // the demo's back catalogue counts as announced
    const { submitForm, signInAs } = await import('../helpers/test-app.js');
    const { DEMO_ADMIN } = await import('../../server/demo/seed.js');
    const cookies = await signInAs(t, DEMO_ADMIN.email);
    const project = await t.db.selectFrom('projects').select('slug').orderBy('id').executeTakeFirstOrThrow();
    const { response } = await submitForm(t.app, `/admin/projects/${project.slug}/posts/new`, `/admin/projects/${project.slug}/posts`, { title: 'Fresh news', slug: 'fresh-news', summary: '', body: 'Hello.', tags: '', action: 'publish' }, cookies);
    expect(response.statusCode, response.body.slice(0, 500)).toBeLessThan(400);
    expect(await waitUntil(async () => (await t.db.selectFrom('posts').select('announced_at').where('slug', '=', 'fresh-news').executeTakeFirst())?.announced_at != null, 15_000)).toBe(true);
    // The announcement queued the listeners' jobs (email, WebSub, webmentions): the real worker runs them all.
    expect(await waitUntil(async () => (await queuedJobs(t)).length === 0, 15_000), JSON.stringify(await queuedJobs(t))).toBe(true);
    await queuePostChanged(t.db, 0); // a post that does not exist is nothing to announce, not a failure
    expect(await waitUntil(async () => (await queuedJobs(t)).length === 0, 15_000)).toBe(true);
  });
});

describe('announcing and the page caches', () => {
  it('marking a post announced notifies no page cache; any other change to it does', async () => {
    const t = await buildTestApp();
    const pg = (await import('pg')).default;
    const listener = new pg.Client({ connectionString: t.database.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(String(n.payload)));
    await listener.query('LISTEN pb_cache');
    try {
      const project = await t.db.insertInto('projects').values({ slug: 'p', title: 'P' }).returning('id').executeTakeFirstOrThrow();
      const post = await t.db
        .insertInto('posts')
        .values({ project_id: project.id, slug: 'a', title: 'A', status: 'published', published_at: TEST_NOW, first_published_at: TEST_NOW })
        .returning('id')
        .executeTakeFirstOrThrow();
      // A marker after each step: notifications arrive in commit order, so once the marker is heard
      // everything before it has been.
      const mark = async (name: string) => {
        await sql`SELECT pg_notify('pb_cache', ${name})`.execute(t.db);
        expect(await waitUntil(() => heard.includes(name), 5_000)).toBe(true);
      };
      await mark('inserted');
      heard.length = 0;
      await t.db.updateTable('posts').set({ announced_at: TEST_NOW }).where('id', '=', post.id).execute();
      await mark('announced');
      await t.db.updateTable('posts').set({ title: 'A, retitled' }).where('id', '=', post.id).execute();
      await mark('retitled');
      expect(heard).toEqual(['announced', String(project.id), 'retitled']);
    } finally {
      await listener.end();
    }
  });
});
