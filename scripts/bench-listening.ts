// npm run bench:listening [-- --sources N] [-- --items N] [-- --searches N]
// The listening desk's two costs (issue 20), on the PostgreSQL in DATABASE_URL (a server URL; a fresh
// database is made and dropped; default postgres://postgres@127.0.0.1:5432/postgres):
// 1. Polling N watched feeds (default 1,000) where 95% answer 304 and 5% have a new item: the app
//    process's CPU time and memory for one full round, through the real job worker (JOB_CONCURRENCY,
//    LISTEN_MAX_CONCURRENT_FETCHES as configured). The feeds are served by a child process on ten
//    loopback hosts, so its CPU is not counted.
// 2. The Conversations inbox over M fetched items (default 1,000,000): one page filtered by a key term
//    (full-text search with highlighting), the unfiltered first page, and the unread count; p50/p95.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import pg from 'pg';
import { loadConfig } from '../server/config.js';
import { createDb } from '../server/db/create-db.js';
import { migrateToLatest } from '../server/db/migrate.js';
import { jobDefinitions } from '../server/job-list.js';
import { JobWorker } from '../server/jobs/worker.js';
import { schedulePoll } from '../server/listening/poll.js';
import { countUnread, listInbox } from '../server/listening/queries.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SOURCES = option('sources', 1_000);
const ITEMS = option('items', 1_000_000);
const SEARCHES = option('searches', 50);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(statement: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

// The feeds: a child process, ten hosts, 304 for a known ETag except every 20th feed, which has news.
const WEB = `
const http = require('node:http');
const bases = [];
let round = 0;
let pending = 10;
for (let n = 2; n <= 11; n++) {
  const server = http.createServer((req, res) => {
    const id = Number((/feed-(\\d+)/.exec(req.url) || [])[1]);
    if (id % 20 !== 0 && req.headers['if-none-match'] === '"same"') { res.writeHead(304, { etag: '"same"' }).end(); return; }
    const item = (k) => '<item><title>News ' + k + ' about open data</title><link>https://e.example/' + id + '/' + k + '</link><guid>' + id + '-' + k + '</guid><description>&lt;p&gt;Some text about budgets and open data.&lt;/p&gt;</description></item>';
    res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"v' + Date.now() + '"' }).end('<?xml version="1.0"?><rss version="2.0"><channel><title>F' + id + '</title><link>https://e.example/</link><description>d</description>' + item(Date.now()) + item(1) + '</channel></rss>');
  });
  server.listen(0, '127.0.0.' + n, () => { bases.push('http://127.0.0.' + n + ':' + server.address().port); if (--pending === 0) process.send(bases); });
}`;

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main() {
  const name = `bench_listen_${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { max: 10 });
  const child = spawn(process.execPath, ['-e', WEB], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await migrateToLatest(db);
    const bases = await new Promise<string[]>((resolve) => child.once('message', (m) => resolve(m as string[])));
    const config = loadConfig({ ...process.env, ALLOW_PRIVATE_FETCH: '1', SEED_DEMO: 'never', LOG_LEVEL: 'silent' });
    const projects = await db.insertInto('projects').values(Array.from({ length: 10 }, (_, n) => ({ slug: `p${n}`, title: `P${n}`, settings: '{}' }))).returning('id').execute();
    const sources = await db
      .insertInto('listen_sources')
      .values(Array.from({ length: SOURCES }, (_, n) => ({ project_id: Number(projects[n % 10]!.id), url: `${bases[n % 10]}/feed-${n}.xml`, etag: '"same"' })))
      .returning(['id', 'url'])
      .execute();
    const clock = { now: () => new Date() };
    const worker = new JobWorker({ context: { db, config, clock, log: Fastify().log }, definitions: jobDefinitions, concurrency: config.jobConcurrency, pollIntervalMs: 500 });
    global.gc?.();
    const memBefore = process.memoryUsage();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await db.transaction().execute(async (tx) => {
      for (const s of sources) await schedulePoll(tx, { id: Number(s.id), url: s.url }, 0);
    });
    await worker.start();
    let peakRss = 0;
    for (;;) {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const row = await db.selectFrom('listen_sources').select((eb) => eb.fn.countAll<string>().as('n')).where('last_fetched_at', 'is not', null).executeTakeFirstOrThrow();
      if (Number(row.n) >= SOURCES) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    await worker.stop();
    const newItems = await db.selectFrom('listen_items').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    console.log(`Polling ${SOURCES} sources (${SOURCES - Math.ceil(SOURCES / 20)} answering 304), JOB_CONCURRENCY=${config.jobConcurrency}, LISTEN_MAX_CONCURRENT_FETCHES=${config.listenMaxConcurrentFetches}:`);
    console.log(`  wall ${seconds.toFixed(1)} s; app CPU user ${(cpu.user / 1000).toFixed(0)} ms + system ${(cpu.system / 1000).toFixed(0)} ms = ${((cpu.user + cpu.system) / 1000 / SOURCES).toFixed(2)} ms per poll; new items stored ${newItems.n}`);
    console.log(`  memory: rss ${(memBefore.rss / 2 ** 20).toFixed(0)} MiB before, peak ${(peakRss / 2 ** 20).toFixed(0)} MiB during; heap used ${(memBefore.heapUsed / 2 ** 20).toFixed(0)} -> ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);

    // 2. A million items in one project (the worst case for one inbox), words drawn from a small vocabulary.
    const projectId = Number(projects[0]!.id);
    const sourceId = Number(sources[0]!.id);
    const t0 = performance.now();
    // A plain connection (the app's pool bounds how long a query may take), in batches.
    const loader = new pg.Client({ connectionString: url.toString() });
    await loader.connect();
    for (let from = 1; from <= ITEMS; from += 100_000) {
      const to = Math.min(ITEMS, from + 99_999);
      await loader.query(
        `WITH words AS (SELECT array['open','data','budget','council','transport','housing','school','health','river','park','library','road','waste','energy','water','policy','meeting','report','survey','digital','service','grant','planning','bus','cycle','climate','market','museum','festival','safety'] AS w)
        INSERT INTO listen_items (project_id, source_id, guid, url, title, content_html, content_text, fetched_at, read_at)
        SELECT $1, $2, 'g' || g, 'https://e.example/i/' || g,
          initcap(w[1 + (g * 7) % 30]) || ' ' || w[1 + (g * 13) % 30] || ' ' || w[1 + (g * 17) % 30] || ' update ' || g,
          '', w[1 + (g * 3) % 30] || ' ' || w[1 + (g * 11) % 30] || ' ' || w[1 + (g * 19) % 30] || ' ' || w[1 + (g * 23) % 30] || ' and more text about the ' || w[1 + (g * 29) % 30] || ' of the town, item ' || g,
          now() - make_interval(secs => g), CASE WHEN g % 10 = 0 THEN NULL ELSE now() END
        FROM generate_series($3::int, $4::int) g, words`,
        [projectId, sourceId, from, to],
      );
    }
    await loader.query('ANALYZE listen_items');
    await loader.end();
    console.log(`Search corpus: ${ITEMS} items inserted and indexed in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const terms = ['"open data"', 'museum festival', 'climate or energy', 'bus -cycle', 'library'];
    const termIds: number[] = [];
    for (const q of terms) termIds.push(Number((await db.insertInto('listen_terms').values({ project_id: projectId, query: q }).returning('id').executeTakeFirstOrThrow()).id));
    const time = async (label: string, run: (i: number) => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < SEARCHES; i++) {
        const s = performance.now();
        await run(i);
        times.push(performance.now() - s);
      }
      console.log(`  ${label}: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms (${SEARCHES} runs)`);
    };
    await time('inbox page filtered by a key term (full-text, highlighted)', (i) => listInbox(db, projectId, { show: 'all', termId: termIds[i % termIds.length] }, { limit: 26, offset: 0 }));
    await time('inbox first page, unread (every term highlighted)', () => listInbox(db, projectId, { show: 'unread' }, { limit: 26, offset: 0 }));
    await time('unread count (dashboard)', () => countUnread(db, [projectId]));
  } finally {
    child.kill();
    await db.destroy();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
