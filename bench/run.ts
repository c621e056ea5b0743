// npm run bench [-- --quick] [-- --posts N] [-- --seconds S] [-- --connections C] [-- --unpaired] [-- --only TEXT] [-- --profile]
//                [-- --growth-from N] [-- --growth-to N] [-- --no-growth] [-- --subscribers N]
//        npm run bench -- --listening [--sources N] [--items N] [--searches N]   (the listening desk, bench/listening.ts)
//        npm run bench -- --import [--posts N] [--comments N]                   (the WordPress import, scripts/bench-import.ts)
//
// 1. Starts the app as its own process, as `npm start` does (compiled, same flags) on a real PostgreSQL: the
//    embedded one in a temporary DATA_DIR, or a fresh database on the server in DATABASE_URL.
// 2. Seeds the benchmark corpus with set-based SQL (bench/corpus.ts).
// 3. Starts the ceiling (bench/ceiling.ts, bare Fastify, a fixed string: the post page's own HTML).
// 4. Drives each target from a third process (bench/drive.ts, autocannon): a warm-up, then a fixed
//    duration. Targets whose route does not exist yet (404) are skipped with a note.
// 5. The email fan-out (bench/fanout.ts): a post to a project with --subscribers confirmed subscribers
//    (50,000; --quick 500), sent by the app's job worker into a local SMTP sink in a fourth process
//    (bench/smtp-sink.ts). `--only fan-out` measures just that (and the ceiling).
// 6. Prints one table and writes bench/results/<time>.json. Exits non-zero only if the benchmark itself
//    broke (a process did not start, a target answered only errors, an accepted comment is missing).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { growCorpus, MEASURED, SEARCH_WORDS, seedCorpus } from './corpus.js';
import { benchFanOut, type FanOutResult } from './fanout.js';
import type { Job, Result } from './drive.js';
// @ts-expect-error a plain .mjs module without type declarations
import { SERVER_NODE_ARGS } from '../scripts/server-command.mjs';

// --import: the WordPress import benchmark instead (scripts/bench-import.ts).
if (process.argv.includes('--import')) {
  await import('../scripts/bench-import.js');
  process.exit(0);
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
};
const quick = flag('quick');
// --listening: the listening desk's costs (bench/listening.ts) on the app started below, instead of the pages.
const listening = flag('listening');
// Each target's ratio is to a ceiling run measured just before it, so that the machine's speed, which
// drifts over minutes on a shared VM, is the same for both halves of a ratio. --unpaired: one ceiling
// run at the start for every row (faster, noisier).
const paired = !flag('unpaired');
// --only <text>: measure just the targets whose name contains it (the ceiling always runs), for quick looks.
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? String(args[onlyIndex + 1] ?? '') : undefined;
const wanted = (target: string) => only === undefined || target.includes(only);
// --profile: the app writes a V8 CPU profile to bench/results/profiles/ when it stops (open it in Chrome DevTools).
const profile = flag('profile');
const settings = {
  projects: quick ? 4 : 20,
  posts: option('posts', quick ? 200 : 4_000),
  comments: 50,
  seconds: option('seconds', quick ? 2 : 10),
  warmupSeconds: quick ? 1 : 3,
  connections: option('connections', 20),
  // Growth: the same pages measured with the corpus at growthFrom posts (before the main run) and at
  // growthTo (after it). --no-growth skips it.
  growthFrom: option('growth-from', quick ? 100 : 1_000),
  growthTo: option('growth-to', quick ? 1_000 : 100_000),
  growth: !flag('no-growth'),
  subscribers: option('subscribers', quick ? 500 : 50_000),
};

const say = (m: string) => process.stdout.write(`${m}\n`);
const children: ChildProcess[] = [];
let dataDir: string | undefined;
let appPid = 0;
let dropDatabase: (() => Promise<void>) | undefined;

function tsx(script: string, scriptArgs: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  // node itself (not npm/npx) so that a signal reaches the server, not a wrapper.
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...scriptArgs], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string, ms = 60_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${what}: not ready within ${ms / 1000} s.\n${output.slice(-2000)}`)), ms);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (code ${code}) before it was ready.\n${output.slice(-2000)}`));
    });
  });
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return import('node:net').then(
    (net) =>
      new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const { port } = server.address() as { port: number };
          server.close(() => resolve(port));
        });
      }),
  );
}

/** Starts the app; returns its base URL, pid and a database URL for seeding. */
async function startApp(smtpUrl: string | undefined, extraEnv: Record<string, string> = {}) {
  const port = await freePort();
  // One address drives all the load, so the per-address rate limit (a production default) is off here.
  // Emails go to the local SMTP sink (the fan-out row), when there is one.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    SEED_DEMO: 'never',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    RATE_LIMIT_PER_MINUTE: '0',
    ...(smtpUrl ? { SMTP_URL: smtpUrl, MAIL_FROM: 'updates@bench.example' } : {}),
    ...extraEnv,
  };
  delete env.PUBLIC_URL;
  let dbUrl: string;
  if (process.env.DATABASE_URL) {
    const name = `pb_bench_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    await admin(process.env.DATABASE_URL, `CREATE DATABASE ${name}`);
    dropDatabase = () => admin(process.env.DATABASE_URL!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    dbUrl = url.toString();
    env.DATABASE_URL = dbUrl;
    delete env.DATABASE_READ_URL;
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'project-blogs-bench-'));
    fs.chmodSync(dataDir, 0o755); // the postgres OS user must reach it when we run as root
    env.DATA_DIR = dataDir;
    delete env.DATABASE_URL;
    dbUrl = '';
  }
  // Exactly as `npm start` runs it: compiled, with the same Node flags.
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ROOT, 'bench/results/profiles')}`, ...SERVER_NODE_ARGS] : SERVER_NODE_ARGS;
  const app = spawn(process.execPath, nodeArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(app);
  const pgPort = dataDir ? waitForLine(app, /embedded PostgreSQL listening on 127\.0\.0\.1:(\d+)/, 'the embedded PostgreSQL') : undefined;
  await waitForLine(app, /project-blogs is running/, 'the app');
  if (pgPort) {
    const password = fs.readFileSync(path.join(dataDir!, 'postgres-password'), 'utf8').trim();
    dbUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${(await pgPort)[1]}/project_blogs`;
  }
  return { app, base: `http://127.0.0.1:${port}`, dbUrl };
}

/**
 * A second app server on the same database whose per-address limit is one request a minute: from the
 * load generator's one address, every request after the first is refused (429). Refusing a flood must
 * cost less than serving a cached page, or the flood is the cheaper attack.
 */
async function startRateLimitedApp(dbUrl: string) {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', SEED_DEMO: 'never', LOG_LEVEL: 'warn', NODE_ENV: 'production', RATE_LIMIT_PER_MINUTE: '1', DATABASE_URL: dbUrl };
  delete env.PUBLIC_URL;
  delete env.DATABASE_READ_URL;
  const child = spawn(process.execPath, SERVER_NODE_ARGS, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  await waitForLine(child, /project-blogs is running/, 'the rate-limited app');
  return { child, base: `http://127.0.0.1:${port}` };
}

async function admin(serverUrl: string, statement: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function drive(job: Job): Promise<Result> {
  const child = tsx('bench/drive.ts', [JSON.stringify(job)]);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line) as Result);
      } catch (e) {
        reject(new Error(`the load generator failed (${String(e)}):\n${err.slice(-2000)}`));
      }
    }),
  );
}

/** CPU time (user + system) a process has used, in seconds; undefined without procfs. */
function cpuSeconds(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : undefined; // utime, stime in clock ticks (100 Hz on Linux)
}

/** The postmaster of the benchmark's database server, when it runs on this machine (found from a backend). */
let postmasterPid: number | undefined;

/** /proc/<pid>/stat fields after the command name; undefined if there is no such process here. */
function statFields(pid: number | string): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time of the benchmark's PostgreSQL server, in seconds: its postmaster and every child (backends,
 *  WAL writer, parallel and autovacuum workers), including children that have exited meanwhile (the
 *  postmaster's cutime/cstime). Undefined when the server is not on this machine or there is no procfs. */
function databaseCpuSeconds(): number | undefined {
  if (postmasterPid === undefined) return undefined;
  const own = statFields(postmasterPid);
  if (!own) return undefined;
  // utime, stime, cutime, cstime in clock ticks (100 Hz on Linux)
  const ticks = (f: string[]) => Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  let total = ticks(own);
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const fields = statFields(pid);
    if (fields && Number(fields[1]) === postmasterPid) total += ticks(fields);
  }
  return total / 100;
}

/** Drives a job and adds the server's CPU time per request (the warm-up included) and, for the app, the
 *  database's. `server`: the process answering (default the app; the ceiling has no database). */
async function driveMeasured(job: Job, server: { pid: number; database: boolean } = { pid: appPid, database: true }): Promise<Result> {
  const cpu = () => cpuSeconds(server.pid);
  const dbCpu = () => (server.database ? databaseCpuSeconds() : undefined);
  const app = cpu();
  const db = dbCpu();
  const result = await drive(job);
  const appAfter = cpu();
  const dbAfter = dbCpu();
  const n = result.totalRequests ?? 0;
  if (n && app !== undefined && appAfter !== undefined) result.appCpuMs = ((appAfter - app) * 1000) / n;
  if (n && db !== undefined && dbAfter !== undefined) result.dbCpuMs = ((dbAfter - db) * 1000) / n;
  return result;
}

/** Peak VmRSS of a process while fn runs, in MB. */
async function sampleRss<T>(pid: number, fn: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = 0;
  const read = () => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kb / 1024);
    } catch {
      /* no procfs, or the process is gone */
    }
  };
  read();
  const timer = setInterval(read, 250);
  try {
    const value = await fn();
    read();
    return { value, peakMb: peak };
  } finally {
    clearInterval(timer);
  }
}

interface Row {
  target: string;
  note?: string;
  result?: Result;
  ratio?: number;
  /** The ceiling measured just before this target (targets with a ratio goal, unless --unpaired). */
  ceilingRps?: number;
}

/** The body's size on the wire for one Accept-Encoding (node:http: fetch would decode it). */
function wireBytes(base: string, url: string, acceptEncoding: 'br' | 'gzip' | undefined): Promise<{ encoding: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(base + url, { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ encoding: String(res.headers['content-encoding'] ?? 'plain'), bytes }));
      })
      .on('error', reject);
  });
}

async function main() {
  const started = Date.now();
  if (listening) return mainListening();
  say(`project-blogs benchmark${quick ? ' (--quick: a smoke run, numbers mean nothing)' : ''}`);
  say(`corpus: ${settings.projects} projects, ${settings.posts} posts, ${settings.comments} approved comments on the measured post`);
  say(`load: autocannon, ${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.seconds} s per target`);
  say(`machine: ${os.cpus().length} cores, shared by the app, PostgreSQL, the ceiling and the load generator (each its own process); numbers are noisy when other work runs.`);

  // The SMTP sink first: the app is told where to send when it starts.
  const sinkProcess = tsx('bench/smtp-sink.ts', []);
  const sinkPort = Number((await waitForLine(sinkProcess, /\{"port":(\d+)\}/, 'the SMTP sink'))[1]);
  let sinkCounts = { accepted: 0, distinct: 0, cpuMs: 0 };
  sinkProcess.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.startsWith('{"accepted"')) sinkCounts = JSON.parse(line) as typeof sinkCounts;
  });
  const { app, base, dbUrl } = await startApp(`smtp://127.0.0.1:${sinkPort}?tls=off`);
  appPid = app.pid!;
  say(`app: pid ${app.pid} at ${base} (${process.env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL, fresh database' : 'embedded PostgreSQL in a temporary DATA_DIR'})`);
  const client = new pg.Client({ connectionString: dbUrl });
  client.on('error', () => {});
  await client.connect();
  await findPostmaster(client);
  const growth = settings.growth && settings.growthFrom < settings.posts && settings.growthTo > settings.posts;
  const t0 = Date.now();
  await seedCorpus(client, { ...settings, posts: growth ? settings.growthFrom : settings.posts });
  say(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const postPath = `/${MEASURED.project}/posts/${MEASURED.post}`;
  const postPage = await fetch(base + postPath);
  const postHtml = await postPage.text();
  if (postPage.status !== 200) throw new Error(`the measured post answered ${postPage.status}`);
  const ceilingBody = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'project-blogs-ceiling-')), 'post.html');
  fs.writeFileSync(ceilingBody, postHtml);
  const ceiling = tsx('bench/ceiling.ts', [ceilingBody]);
  let ceilingPort: number;
  try {
    ceilingPort = Number((await waitForLine(ceiling, /\{"port":(\d+)\}/, 'the ceiling server'))[1]);
  } finally {
    fs.rmSync(path.dirname(ceilingBody), { recursive: true, force: true });
  }
  say(`post page: ${Buffer.byteLength(postHtml)} bytes; ceiling: bare Fastify returning that same HTML as a fixed string`);
  say(paired ? 'each ratio is to a ceiling run measured just before its target (--unpaired: one ceiling run for all)' : 'every ratio is to the one ceiling run at the start (--unpaired)');

  const job = (paths: string[], extra: Partial<Job> = {}): Job => ({
    base, paths, connections: settings.connections, warmupSeconds: settings.warmupSeconds, seconds: settings.seconds, ...extra,
  });
  const uncached = { cookie: 'pb_bench=uncached' }; // any pb_* cookie bypasses the page cache
  const rows: Row[] = [];
  const notes: string[] = [];

  const exists = async (url: string, init?: RequestInit) => (await fetch(base + url, { redirect: 'manual', ...init })).status !== 404;

  const { value: rssDone, peakMb } = await sampleRss(app.pid!, async () => {
    // Warm the whole app (JIT, pools, caches) once, so that the first target does not pay for it.
    await drive(job(['/', `/${MEASURED.project}/`, postPath], { seconds: settings.warmupSeconds * 2, warmupSeconds: 0 }));
    const ceilingJob = { ...job(['/']), base: `http://127.0.0.1:${ceilingPort}` };
    const ceilingResult = await driveMeasured(ceilingJob, { pid: ceiling.pid!, database: false });
    rows.push({ target: 'ceiling (bare Fastify, same size)', result: ceilingResult, ratio: 1 });
    // Other work on a shared machine comes in bursts, and its speed drifts: each target whose ratio has a
    // goal (the cached pages and the feed) is paired with a ceiling run measured just before it, so that
    // both halves of its ratio see the same machine. The other rows' ratios are to the first ceiling run.
    const measure = async (target: string, j: Job, { ratioGoal = false } = {}) => {
      if (!wanted(target)) return undefined;
      const ceilingNow = paired && ratioGoal ? await drive(ceilingJob) : ceilingResult;
      const result = await driveMeasured(j);
      rows.push({ target, result, ratio: result.rps / ceilingNow.rps, ...(ceilingNow !== ceilingResult ? { ceilingRps: ceilingNow.rps } : {}) });
      return result;
    };
    // Growth, part 1: the pages that must not slow down as posts pile up, on the small corpus.
    const growthRows: Array<{ target: string; small?: Result; big?: Result }> = [];
    const growthJob = (paths: string[], extra: Partial<Job> = {}) => job(paths, { seconds: Math.min(settings.seconds, 5), warmupSeconds: Math.min(settings.warmupSeconds, 2), ...extra });
    const growthTargets: Array<[string, Job]> = [
      ['post page', growthJob([postPath])],
      ['project home', growthJob([`/${MEASURED.project}/`])],
      ['post page, cache bypassed', growthJob([postPath], { headers: uncached })],
      ['project home, cache bypassed', growthJob([`/${MEASURED.project}/`], { headers: uncached })],
    ];
    if (growth && wanted('growth')) {
      for (const [target, j] of growthTargets) growthRows.push({ target, small: await drive(j) });
    }
    if (growth) {
      const t1 = Date.now();
      await growCorpus(client, { projects: settings.projects, from: settings.growthFrom, to: settings.posts });
      say(`grown to ${settings.posts} posts in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    }

    await measure('site home /', job(['/']), { ratioGoal: true });
    await measure('project home', job([`/${MEASURED.project}/`]), { ratioGoal: true });
    await measure(`post page (${settings.comments} comments)`, job([postPath]), { ratioGoal: true });
    // The same cached page as a browser asks for it: the Brotli copy made when the page was stored.
    await measure(`post page, Accept-Encoding: br, gzip`, job([postPath], { headers: { 'accept-encoding': 'br, gzip' } }), { ratioGoal: true });
    await measure('project home, cache bypassed', job([`/${MEASURED.project}/`], { headers: uncached }));
    await measure('post page, cache bypassed', job([postPath], { headers: uncached }));
    const refusedTarget = 'post page, over the rate limit (429)';
    if (wanted(refusedTarget)) {
      const limited = await startRateLimitedApp(dbUrl);
      const ceilingNow = paired ? await drive(ceilingJob) : ceilingResult;
      const result = await driveMeasured({ ...job([postPath]), base: limited.base }, { pid: limited.child.pid!, database: true });
      result.errors -= result.statuses['429'] ?? 0; // the answers this row is about are not errors
      rows.push({ target: refusedTarget, result, ratio: result.rps / ceilingNow.rps, ...(ceilingNow !== ceilingResult ? { ceilingRps: ceilingNow.rps } : {}) });
      await stop(limited.child);
    }

    const feed = `/${MEASURED.project}/feed.atom`;
    if (await exists(feed)) {
      await measure('Atom feed (200)', job([feed]), { ratioGoal: true });
      const res = await fetch(base + feed);
      const etag = res.headers.get('etag');
      const lastModified = res.headers.get('last-modified');
      const validators: Record<string, string> = etag ? { 'if-none-match': etag } : lastModified ? { 'if-modified-since': lastModified } : {};
      if (Object.keys(validators).length) await measure('Atom feed (304)', job([feed], { headers: validators }), { ratioGoal: true });
      else rows.push({ target: 'Atom feed (304)', note: 'skipped: the feed has no ETag or Last-Modified' });
    } else {
      rows.push({ target: 'Atom feed', note: `skipped: ${feed} answers 404 (the feeds branch is not merged yet)` });
    }

    if (await exists(`/search?q=${SEARCH_WORDS[0]}`)) {
      const queries = SEARCH_WORDS.flatMap((w, i) => [`/search?q=${w}`, `/search?q=${w}+${SEARCH_WORDS[(i + 3) % SEARCH_WORDS.length]}`]);
      await measure('search, cache bypassed', job(queries, { headers: uncached }));
      // The latency target is for one search, not for a queue of 20: measured with one reader too.
      await measure('search, one reader at a time', job(queries, { headers: uncached, connections: 1 }));
    } else {
      rows.push({ target: 'search', note: 'skipped: /search answers 404 (the search route is not merged yet)' });
    }

    // Bytes on the wire per response, by Accept-Encoding (issue 14: the weight readers pay for).
    const weights: string[] = [];
    for (const [name, url] of [['post page', postPath], ['project Atom feed', feed], ['stylesheet', '/static/css/site.css']] as const) {
      const sizes = [];
      for (const encoding of [undefined, 'br', 'gzip'] as const) sizes.push(await wireBytes(base, url, encoding));
      weights.push(`${name} ${sizes.map((s) => `${s.encoding} ${s.bytes.toLocaleString('en')}`).join(', ')}`);
    }
    notes.push(`bytes per response (plain, Accept-Encoding: br, gzip): ${weights.join('; ')}`);

    const commentsAt = `${postPath}/comments`;
    if (!wanted('comment POST')) {
      /* not asked for */
    } else if (await exists(commentsAt, { method: 'POST' })) {
      await benchComments(commentsAt, postPath, job, rows, ceilingResult, client, notes);
    } else {
      rows.push({ target: 'comment POST', note: `skipped: POST ${commentsAt} answers 404 (the comments branch is not merged yet)` });
    }

    // Growth, part 2: the same pages, and search for one reader at a time, on the big corpus.
    if (growth && wanted('growth')) {
      const t2 = Date.now();
      await growCorpus(client, { projects: settings.projects, from: settings.posts, to: settings.growthTo });
      say(`grown to ${settings.growthTo} posts in ${((Date.now() - t2) / 1000).toFixed(1)} s`);
      for (const [i, [, j]] of growthTargets.entries()) growthRows[i]!.big = await drive(j);
      const queries = SEARCH_WORDS.flatMap((w, i) => [`/search?q=${w}`, `/search?q=${w}+${SEARCH_WORDS[(i + 3) % SEARCH_WORDS.length]}`]);
      await measure(`search, one reader at a time, ${settings.growthTo} posts`, job(queries, { headers: uncached, connections: 1 }));
    }
    return growthRows;
  });
  const growthRows = rssDone;

  // The email fan-out, last (its 50,000 emails would load the machine under the other rows).
  let fanOut: FanOutResult | undefined;
  if (wanted('fan-out')) {
    fanOut = await benchFanOut(client, settings.subscribers, {
      appCpuSeconds: () => cpuSeconds(appPid),
      dbCpuSeconds: databaseCpuSeconds,
      sink: () => sinkCounts,
      sampleRss: (fn) => sampleRss(appPid, fn),
      say,
    });
  }

  // The table.
  const fmt = (n: number, d = 0) => n.toFixed(d);
  const lines = [
    ['target', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'server CPU ms/req', 'db CPU ms/req', '× ceiling'],
    ...rows.map((r) =>
      r.result
        ? [r.target, fmt(r.result.rps), fmt(r.result.p50), fmt(r.result.p95), fmt(r.result.p99), String(r.result.errors), r.result.appCpuMs !== undefined ? fmt(r.result.appCpuMs, 2) : '', r.result.dbCpuMs !== undefined ? fmt(r.result.dbCpuMs, 2) : '', r.ratio !== undefined ? `${fmt(r.ratio, 2)}${r.ceilingRps ? ` (of ${fmt(r.ceilingRps)})` : ''}` : '']
        : [r.target, r.note ?? '', '', '', '', '', '', '', ''],
    ),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.filter((l) => l[1] !== undefined && (l[2] !== '' || i === 0)).map((l) => l[i]!.length)));
  say('');
  for (const l of lines) {
    if (l[2] === '' && l[0] !== 'target') say(`${l[0]}: ${l[1]}`);
    else say(l.map((cell, i) => (i === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[i]!))).join('  '));
  }
  say('');
  if (growthRows.length > 0) {
    say('');
    say(`growth from ${settings.growthFrom} to ${settings.growthTo} posts, p50 (20 connections, ${Math.min(settings.seconds, 5)} s each):`);
    for (const g of growthRows) {
      if (!g.small || !g.big) continue;
      say(`  ${g.target.padEnd(30)} ${g.small.p50.toFixed(1).padStart(6)} ms → ${g.big.p50.toFixed(1).padStart(6)} ms  (${(g.big.p50 / Math.max(g.small.p50, 0.1)).toFixed(2)}×; req/s ${g.small.rps.toFixed(0)} → ${g.big.rps.toFixed(0)})`);
    }
  }
  if (fanOut) {
    const ms = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(2)} ms`);
    say('');
    say(`email fan-out: a post to ${fanOut.subscribers.toLocaleString('en')} confirmed subscribers, sent by the app's job worker (JOB_CONCURRENCY ${process.env.JOB_CONCURRENCY ?? 'default'}) into a local SMTP sink (another process):`);
    say(`  time to queue (post:changed → every delivery row and send job committed)  ${fanOut.queueSeconds.toFixed(2)} s   (target < 2 s; app CPU ${fanOut.queueAppCpuMs?.toFixed(0) ?? 'n/a'} ms, db CPU ${fanOut.queueDbCpuMs?.toFixed(0) ?? 'n/a'} ms)`);
    say(`  delivery rate into the sink                                              ${fanOut.emailsPerSecond.toFixed(0)} emails/s   (target ≥ 500; ${fanOut.sent} sent in ${fanOut.sendSeconds.toFixed(1)} s)`);
    say(`  CPU per email: app ${ms(fanOut.appCpuMsPerEmail)}, PostgreSQL ${ms(fanOut.dbCpuMsPerEmail)}, sink ${ms(fanOut.sinkCpuMsPerEmail)}`);
    say(`  app server peak RSS during the fan-out                                   ${fanOut.peakRssMb.toFixed(0)} MB`);
    say(`  every subscriber got one email: ${fanOut.accepted} messages for ${fanOut.distinct} distinct addresses`);
  }
  say('');
  say(`app server peak RSS (VmRSS of the node process): ${peakMb.toFixed(0)} MB`);
  for (const n of notes) say(n);
  say(`load generator, ceiling, app and PostgreSQL share ${os.cpus().length} cores: ratios are the honest part, absolute numbers depend on the machine.`);

  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
  fs.writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), quick, settings, cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, postPageBytes: Buffer.byteLength(postHtml), peakRssMb: peakMb, paired, growth: growthRows, fanOut, loadAverage: os.loadavg(), rows: rows.map((r) => ({ target: r.target, note: r.note, ratio: r.ratio, ceilingRps: r.ceilingRps, ...(r.result ? { ...r.result, accepted: r.result.accepted?.length } : {}) })), notes, seconds: (Date.now() - started) / 1000 }, null, 2)}\n`,
  );
  say(`results: ${path.relative(ROOT, file)}`);
  await client.end();

  const broken = rows.filter((r) => r.result && r.result.requests > 0 && r.result.errors === r.result.requests);
  const idle = rows.filter((r) => r.result && r.result.requests === 0);
  if (broken.length || idle.length) {
    throw new Error(`these targets answered nothing but errors: ${[...broken, ...idle].map((r) => r.target).join(', ')}`);
  }
}

async function benchComments(
  action: string,
  postPath: string,
  job: (paths: string[], extra?: Partial<Job>) => Job,
  rows: Row[],
  ceiling: Result,
  client: pg.Client,
  notes: string[],
) {
  const base = job([]).base;
  // Fetch the form like a browser: the CSRF cookie and token, and any other hidden field.
  const page = await fetch(base + postPath);
  const html = await page.text();
  // The action may end in a fragment (#comment-form: a refusal lands on the form).
  const form = /<form[^>]*action="([^"#]*\/comments)(?:#[^"]*)?"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) {
    rows.push({ target: 'comment POST', note: 'skipped: the post page has no comment form (the comments branch is not merged yet)' });
    return;
  }
  const fields: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1];
    if (name) fields[name] = (value ?? '').replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  }
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  if (!fields._csrf) throw new Error('the comment form has no _csrf field');
  const marker = `bench${Date.now().toString(36)}`;
  const result = await driveMeasured(job([form[1]!], { method: 'POST', headers: { cookie }, connections: 10, comment: { fields, marker } }));
  const acceptedPerSecond = (result.statuses['303'] ?? 0) / job([]).seconds;
  rows.push({ target: 'comment POST (303 = accepted)', result: { ...result, rps: acceptedPerSecond }, ratio: acceptedPerSecond / ceiling.rps });
  // Every comment answered 303 must be in the database.
  const { rows: found } = await client.query<{ n: string }>(
    `SELECT substring(body_src FROM $1) AS n FROM comments WHERE body_src LIKE $2`,
    [`${marker}-([0-9]+)`, `%${marker}-%`],
  );
  const stored = new Set(found.map((r) => Number(r.n)));
  const missing = (result.accepted ?? []).filter((id) => !stored.has(id));
  notes.push(`comment POST: ${result.accepted?.length ?? 0} answered 303 in the measured ${job([]).seconds} s; ${missing.length} of them missing from the database.`);
  if (missing.length) throw new Error(`${missing.length} comments answered 303 are not in the database (first: ${missing.slice(0, 5).join(', ')})`);
  void action;
}

/** The database server's postmaster, found from a backend of ours (undefined: a server elsewhere, no db CPU). */
async function findPostmaster(client: pg.Client) {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const parent = statFields(rows[0]!.pid)?.[1];
  postmasterPid = parent ? Number(parent) : undefined;
}

async function mainListening() {
  const started = Date.now();
  const { benchListening, LISTENING_APP_ENV } = await import('./listening.js');
  const sources = option('sources', quick ? 40 : 1_000);
  const items = option('items', quick ? 20_000 : 1_000_000);
  const searches = option('searches', quick ? 5 : 40);
  say(`project-blogs benchmark: the listening desk${quick ? ' (--quick: a smoke run, numbers mean nothing)' : ''}`);
  say(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the start (other work on the machine makes the numbers noisy)`);
  const { app, dbUrl } = await startApp(undefined, LISTENING_APP_ENV);
  appPid = app.pid!;
  say(`app: pid ${app.pid} (${process.env.DATABASE_URL ? 'PostgreSQL from DATABASE_URL, fresh database' : 'embedded PostgreSQL in a temporary DATA_DIR'}); JOB_CONCURRENCY and LISTEN_MAX_CONCURRENT_FETCHES as configured`);
  const client = new pg.Client({ connectionString: dbUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    await findPostmaster(client);
  } finally {
    await client.end();
  }
  await benchListening({ dbUrl, appPid, sources, items, searches, say, cpuSeconds, databaseCpuSeconds, sampleRss, children, sharedDatabaseServer: Boolean(process.env.DATABASE_URL) });
  say(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  process.stderr.write(`\nbenchmark failed: ${err instanceof Error ? err.message : String(err)}\n`);
  exitCode = 1;
} finally {
  for (const child of children.reverse()) await stop(child).catch(() => {});
  await dropDatabase?.().catch(() => {});
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
