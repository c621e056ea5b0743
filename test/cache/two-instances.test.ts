// Two app servers on one database, each with its own page cache and LISTEN connection: what is written
// through one is seen through the other within a second, with nothing but PostgreSQL between them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { seedDemo } from '../../server/demo/seed.js';
import { createTestDatabase, get, TestClock, type TestDatabase } from '../helpers/test-app.js';

let database: TestDatabase;
let a: FastifyInstance;
let b: FastifyInstance;
const clock = new TestClock();

beforeAll(async () => {
  database = await createTestDatabase();
  const config = loadConfig({ PUBLIC_URL: 'http://blogs.test', SEED_DEMO: 'never', LOG_LEVEL: 'silent' });
  await seedDemo(database.db, { now: clock.now(), publicUrl: config.publicUrl, password: DEMO_PASSWORD });
  // Each instance gets its own pool, as separate processes would.
  const { createDb } = await import('../../server/db/create-db.js');
  a = await buildApp({ config, db: createDb(database.url, { max: 3 }), clock, pageCache: { listenUrl: database.url } });
  b = await buildApp({ config, db: createDb(database.url, { max: 3 }), clock, pageCache: { listenUrl: database.url } });
});

afterAll(async () => {
  for (const app of [a, b]) {
    await app?.close();
    await app?.db.destroy();
  }
  await database?.drop();
});

async function until(what: string, check: () => Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

async function warm(app: FastifyInstance, url: string) {
  await get(app, url);
  await until(`${url} cached`, async () => (await get(app, url)).headers['x-cache'] === 'hit', 2_000);
}

describe('two app servers on one database', () => {
  it('a comment approved through A is on the page served by B within a second', async () => {
    const post = await a.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.id', 'posts.slug', 'projects.slug as project'])
      .where('posts.status', '=', 'published').where('posts.comments_open', '=', true)
      .orderBy('posts.published_at', 'desc').limit(1).executeTakeFirstOrThrow();
    const url = `/${post.project}/posts/${post.slug}`;
    const comment = await a.db.insertInto('comments').values({
      post_id: post.id, author_name: 'Ada Reader', author_email: 'ada@example.org', status: 'pending',
      body_src: 'Held, then approved.', body_html: '<p>A comment that waited for a moderator.</p>', created_at: clock.now(),
    }).returning('id').executeTakeFirstOrThrow();
    await warm(b, url);
    expect((await get(b, url)).body).not.toContain('A comment that waited for a moderator.');

    await a.db.updateTable('comments').set({ status: 'approved', approved_at: clock.now() }).where('id', '=', comment.id).execute();
    await until('B shows the approved comment', async () => (await get(b, url)).body.includes('A comment that waited for a moderator.'), 1_000);
    // And B caches the new page again.
    await warm(b, url);
  });

  it('a post title changed through A is on B’s project home and site home within a second', async () => {
    const post = await a.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.id', 'projects.slug as project'])
      .where('posts.status', '=', 'published').orderBy('posts.published_at', 'desc').limit(1).executeTakeFirstOrThrow();
    await warm(b, `/${post.project}/`);
    await warm(b, '/');
    await a.db.updateTable('posts').set({ title: 'Renamed on server A' }).where('id', '=', post.id).execute();
    await until('B’s project home shows it', async () => (await get(b, `/${post.project}/`)).body.includes('Renamed on server A'), 1_000);
    await until('B’s site home shows it', async () => (await get(b, '/')).body.includes('Renamed on server A'), 1_000);
  });
});
