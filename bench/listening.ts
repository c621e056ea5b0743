// `npm run bench -- --listening [--sources N] [--items N] [--searches N]` (bench/run.ts starts the app as
// `npm start` does, on a fresh database, and hands it here). The listening desk's two costs (issue 20):
// 1. Polling N watched feeds (default 1,000) where 95% answer 304 and 5% have a new item, through the
//    app's own job worker: the app process's CPU time (and PostgreSQL's, when it runs here) and its peak
//    RSS for one full round. The feeds are served by a child process on ten loopback hosts, so their CPU
//    is not counted. Each project listens for five key terms, so stored items are matched as they come.
// 2. The Conversations inbox over M fetched items in one project (default 1,000,000): the key terms'
//    matches with the stored items found by the app's listen:match-term job (time and CPU), then one
//    page filtered by each key term (highlighted), the unfiltered first page and the unread count,
//    p50/p95, timed from this process against the same database. For comparison, a few runs of the
//    term-filtered page the old way (the text index asked at read time), and the time to remove a term.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createDb } from '../server/db/create-db.js';
import { addTerm } from '../server/listening/matches.js';
import { schedulePoll } from '../server/listening/poll.js';
import { countUnread, deleteTerm, listInbox } from '../server/listening/queries.js';

export interface ListeningBenchOptions {
  dbUrl: string;
  appPid: number;
  sources: number;
  items: number;
  searches: number;
  say: (line: string) => void;
  /** CPU seconds of a process / of the database server (undefined when not measurable here). */
  cpuSeconds: (pid: number) => number | undefined;
  databaseCpuSeconds: () => number | undefined;
  sampleRss: <T>(pid: number, fn: () => Promise<T>) => Promise<{ value: T; peakMb: number }>;
  /** The database server is DATABASE_URL's, possibly serving others: its CPU then includes their work. */
  sharedDatabaseServer: boolean;
  /** The runner stops these at the end (or on failure). */
  children: ChildProcess[];
}

/** The env the app needs for this benchmark (its feeds are on loopback). */
export const LISTENING_APP_ENV = { ALLOW_PRIVATE_FETCH: '1' };

export const TERMS = ['"open data"', 'museum festival', 'climate or energy', 'bus -cycle', 'library'];

// The feeds: ten hosts, 304 for a known ETag except every 20th feed, which has news.
const WEB = `
const http = require('node:http');
const bases = [];
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

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export async function benchListening(o: ListeningBenchOptions): Promise<void> {
  const { say } = o;
  const pgLabel = o.sharedDatabaseServer ? 'PostgreSQL server CPU (all its databases, others\' work included)' : 'PostgreSQL CPU';
  const db = createDb(o.dbUrl, { max: 4 });
  const web = spawn(process.execPath, ['-e', WEB], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  o.children.push(web);
  const cpu = () => ({ app: o.cpuSeconds(o.appPid), db: o.databaseCpuSeconds() });
  const cpuSince = (before: { app?: number; db?: number }) => {
    const now = cpu();
    const part = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : b - a);
    return { app: part(before.app, now.app), db: part(before.db, now.db) };
  };
  const waitFor = async (what: string, done: () => Promise<boolean>, limitSeconds: number) => {
    const until = Date.now() + limitSeconds * 1000;
    while (!(await done())) {
      if (Date.now() > until) throw new Error(`${what}: not done within ${limitSeconds} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  try {
    const bases = await new Promise<string[]>((resolve) => web.once('message', (m) => resolve(m as string[])));
    const projects = await db.insertInto('projects').values(Array.from({ length: 10 }, (_, n) => ({ slug: `listen-${n}`, title: `Listen ${n}`, settings: '{}' }))).returning('id').execute();
    for (const p of projects) for (const q of TERMS) await addTerm(db, Number(p.id), q, null, new Date());
    const sources = await db
      .insertInto('listen_sources')
      .values(Array.from({ length: o.sources }, (_, n) => ({ project_id: Number(projects[n % 10]!.id), url: `${bases[n % 10]}/feed-${n}.xml`, etag: '"same"' })))
      .returning(['id', 'url'])
      .execute();
    const fetched = async () => Number((await db.selectFrom('listen_sources').select((eb) => eb.fn.countAll<string>().as('n')).where('last_fetched_at', 'is not', null).executeTakeFirstOrThrow()).n);

    // 1. One round of polls, run by the app's job worker.
    const before = cpu();
    const started = performance.now();
    const { peakMb } = await o.sampleRss(o.appPid, async () => {
      await db.transaction().execute(async (tx) => {
        for (const s of sources) await schedulePoll(tx, { id: Number(s.id), url: s.url }, 0);
      });
      await waitFor('the round of polls', async () => (await fetched()) >= o.sources, 600);
    });
    const seconds = (performance.now() - started) / 1000;
    const used = cpuSince(before);
    const stored = await db.selectFrom('listen_items').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const matched = await db.selectFrom('listen_term_matches').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    say(`polling ${o.sources} watched feeds (${o.sources - Math.ceil(o.sources / 20)} answering 304), by the app's job worker:`);
    say(`  wall ${seconds.toFixed(1)} s; app CPU ${used.app === undefined ? 'n/a' : `${(used.app * 1000).toFixed(0)} ms = ${((used.app * 1000) / o.sources).toFixed(2)} ms per poll`}` +
        `${used.db === undefined ? '' : `; ${pgLabel} ${(used.db * 1000).toFixed(0)} ms = ${((used.db * 1000) / o.sources).toFixed(2)} ms per poll`}`);
    say(`  app peak RSS ${peakMb.toFixed(0)} MB; new items stored ${stored.n}, key-term matches recorded ${matched.n}`);

    // 2. A million items in one project (the worst case for one inbox), words drawn from a small vocabulary.
    const projectId = Number(projects[0]!.id);
    const sourceId = Number(sources[0]!.id);
    const t0 = performance.now();
    // A plain connection (the app's pool bounds how long a query may take), in batches. The project's
    // terms are removed first and added again after, so that their matches are found by the job.
    await db.deleteFrom('listen_terms').where('project_id', '=', projectId).execute();
    const loader = new pg.Client({ connectionString: o.dbUrl });
    loader.on('error', () => {});
    await loader.connect();
    for (let from = 1; from <= o.items; from += 100_000) {
      const to = Math.min(o.items, from + 99_999);
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
    say(`inbox corpus: ${o.items} items in one project inserted and indexed in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    const beforeMatching = cpu();
    const t1 = performance.now();
    const termIds: number[] = [];
    for (const q of TERMS) termIds.push((await addTerm(db, projectId, q, null, new Date()))!);
    const notReady = async () => Number((await db.selectFrom('listen_terms').select((eb) => eb.fn.countAll<string>().as('n')).where('id', 'in', termIds).where('matches_ready', '=', false).executeTakeFirstOrThrow()).n);
    await waitFor('matching the key terms', async () => (await notReady()) === 0, 3600);
    const matching = cpuSince(beforeMatching);
    await loader.query('ANALYZE listen_term_matches');
    const counts = await db.selectFrom('listen_term_matches').select(['term_id', (eb) => eb.fn.countAll<string>().as('n')]).where('term_id', 'in', termIds).groupBy('term_id').execute();
    const perTerm = new Map(counts.map((c) => [Number(c.term_id), Number(c.n)]));
    say(`  ${TERMS.length} key terms added and matched against them by the job in ${((performance.now() - t1) / 1000).toFixed(0)} s` +
        `${matching.app === undefined ? '' : ` (app CPU ${matching.app.toFixed(1)} s`}${matching.db === undefined ? '' : `, ${pgLabel} ${matching.db.toFixed(1)} s`}${matching.app === undefined ? '' : ')'}; ` +
        `matches: ${TERMS.map((q, n) => `${q} ${perTerm.get(termIds[n]!) ?? 0}`).join(', ')}`);

    const time = async (label: string, runs: number, run: (i: number) => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const s = performance.now();
        await run(i);
        times.push(performance.now() - s);
      }
      say(`  ${label}: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms (${runs} runs)`);
      return times;
    };
    const page = { limit: 26, offset: 0 };
    await time('inbox page filtered by a key term (highlighted), all terms', o.searches * TERMS.length, (i) => listInbox(db, projectId, { show: 'all', termId: termIds[i % termIds.length]! }, page));
    for (const [n, q] of TERMS.entries()) await time(`    ${q}`, o.searches, () => listInbox(db, projectId, { show: 'all', termId: termIds[n]! }, page));
    await time('inbox page filtered by a key term, unread only', o.searches * TERMS.length, (i) => listInbox(db, projectId, { show: 'unread', termId: termIds[i % termIds.length]! }, page));
    await time('inbox page 10 filtered by a key term', o.searches * TERMS.length, (i) => listInbox(db, projectId, { show: 'all', termId: termIds[i % termIds.length]! }, { limit: 26, offset: 225 }));
    await time('inbox first page, unread (every term highlighted)', o.searches, () => listInbox(db, projectId, { show: 'unread' }, page));
    await time('unread count (dashboard)', o.searches, () => countUnread(db, [projectId]));
    // For comparison: the same term pages the old way (the text index at read time), a few runs.
    await db.updateTable('listen_terms').set({ matches_ready: false }).where('id', 'in', termIds).execute();
    const oldRuns = Math.max(TERMS.length, Math.min(o.searches, 4) * TERMS.length);
    await time('for comparison, the term page from the text index at read time (before migration 0023)', oldRuns, (i) => listInbox(db, projectId, { show: 'all', termId: termIds[i % termIds.length]! }, page));
    await db.updateTable('listen_terms').set({ matches_ready: true }).where('id', 'in', termIds).execute();
    // Removing the term with the most matches (its rows go by cascade, in the request).
    const biggest = termIds.reduce((a, b) => ((perTerm.get(b) ?? 0) > (perTerm.get(a) ?? 0) ? b : a));
    const t2 = performance.now();
    await deleteTerm(db, projectId, biggest);
    say(`  removing the term with the most matches (${perTerm.get(biggest) ?? 0}): ${(performance.now() - t2).toFixed(0)} ms`);
    await loader.end();
  } finally {
    await db.destroy();
  }
}
