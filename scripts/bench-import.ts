// The import benchmark: generates (once) a large export (10,000 posts, 100,000 comments) and imports it
// into a fresh database through the same job as the CLI, in one process run as the server runs (below),
// then prints the time, the peak RSS and where both went. Needs DATABASE_URL pointing at a PostgreSQL server the bench may create a database
// on (default: the local postgres://postgres@127.0.0.1:5432/postgres).
// Usage: npm run bench -- --import [--posts N] [--comments N]   (or node --import tsx scripts/bench-import.ts)
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// @ts-expect-error a plain .mjs module without type declarations
import { SERVER_NODE_ARGS } from './server-command.mjs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createDb } from '../server/db/create-db.js';
import { migrateToLatest } from '../server/db/migrate.js';
import { loadConfig } from '../server/config.js';
import { createImport, importWxrTask } from '../server/import/jobs.js';
import { importTimings, type ImportReport } from '../server/import/importer.js';
import { defaultPoolSize, poolSettings } from '../server/import/convert-pool.js';
import os from 'node:os';
import { generate } from './generate-wxr.js';

// The import runs in the server's process, so it is measured as `npm start` runs the server
// (scripts/server-command.mjs): compiled JavaScript from dist/ under plain Node (no TypeScript loader in
// memory: tsx alone adds about 45 MB to a process, and as much again to each conversion thread), with the
// server's heap flags. Run as TypeScript, this script builds dist/, compiles itself beside it
// (dist/scripts/, where its imports of ../server/… are the compiled server's), and runs that.
const HEAP_FLAGS = (SERVER_NODE_ARGS as string[]).filter((a) => a.startsWith('--max-'));
if (import.meta.url.endsWith('.ts')) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const built = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
  const { build } = await import('esbuild');
  await build({ entryPoints: ['scripts/bench-import.ts', 'scripts/generate-wxr.ts'], absWorkingDir: root, outdir: 'dist/scripts', format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  fs.copyFileSync(new URL('./server-command.mjs', import.meta.url), new URL('../dist/scripts/server-command.mjs', import.meta.url));
  const child = spawnSync(process.execPath, [...HEAP_FLAGS, 'dist/scripts/bench-import.js', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const posts = option('posts', 10_000);
// --workers N: conversion threads (default: as the import chooses, defaultPoolSize()).
if (args.includes('--workers')) poolSettings.size = option('workers', 1);
const workers = defaultPoolSize();
const comments = option('comments', 100_000);
const file = `/tmp/bench-export-${posts}-${comments}.xml`;
if (!fs.existsSync(file)) {
  process.stderr.write(`Generating ${file}…\n`);
  await generate(file, posts, comments);
}
const size = fs.statSync(file).size;

const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `bench_import_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: server });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(server);
url.pathname = `/${name}`;
// Statements by their first words (what the import spends its round trips on).
const statements = new Map<string, number>();
const statementMs = new Map<string, number>();
const db = createDb(url.toString(), {
  max: 3,
  onQuery: (text, _parameters, ms) => {
    const key = text.replace(/\s+/g, ' ').slice(0, 60);
    statements.set(key, (statements.get(key) ?? 0) + 1);
    statementMs.set(key, (statementMs.get(key) ?? 0) + ms);
  },
});
try {
  await migrateToLatest(db);
  const project = await db.insertInto('projects').values({ slug: 'big', title: 'Big', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  const config = loadConfig({ PUBLIC_URL: 'http://bench.test', LOG_LEVEL: 'silent' });
  // Where the memory is: sampled every 250 ms (the peak RSS below is the kernel's exact figure).
  const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as Array<keyof typeof peak>) peak[k] = Math.max(peak[k], m[k]);
  }, 250);
  statements.clear(); // the import's statements only, not the migrations'
  statementMs.clear();
  const load = os.loadavg();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const importId = await createImport(db, { projectId: project.id, createdBy: null, options: {}, files: [{ name: file, chunks: fs.createReadStream(file, { highWaterMark: 256 * 1024 }) }] });
  const staged = performance.now();
  await importWxrTask({ importId }, { db, config, clock: { now: () => new Date() }, log: pino({ level: 'silent' }) }, { id: '1', attempts: 1, maxAttempts: 5, lastAttempt: false });
  const finished = performance.now();
  clearInterval(sampler);
  // The database's share: CPU time of this database's server processes, read from /proc when the server
  // is on this machine (their connections are the pool's, open since the import began).
  let databaseCpuS: number | undefined;
  try {
    const pids = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
    const ticks = pids.rows.map((r) => fs.readFileSync(`/proc/${r.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')).map((f) => Number(f[11]) + Number(f[12]));
    databaseCpuS = ticks.reduce((a, b) => a + b, 0) / 100;
  } catch {
    databaseCpuS = undefined; // not on this machine, or not readable
  }
  const row = await db.selectFrom('imports').selectAll().where('id', '=', importId).executeTakeFirstOrThrow();
  const report = row.report as ImportReport;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const tm = importTimings;
  const per = (ms: number, n: number) => (n ? (ms / n).toFixed(2) : '-');
  const loadAfter = os.loadavg();
  process.stdout.write(
    [
      `Import benchmark: ${posts} posts, ${comments} comments, ${(size / 1024 / 1024).toFixed(1)} MB`,
      `  status ${row.status}${row.error ? `: ${row.error}` : ''}`,
      `  staged in ${((staged - started) / 1000).toFixed(1)} s, imported in ${((finished - staged) / 1000).toFixed(1)} s (total ${((finished - started) / 1000).toFixed(1)} s)`,
      `  posts created ${report.counts.posts.created}, comments created ${report.counts.comments.created}`,
      `  peak RSS of this process ${rssMb.toFixed(0)} MB`,
      `  sampled peaks (MB): rss ${(peak.rss / 2 ** 20).toFixed(0)}, this thread's heap ${(peak.heapUsed / 2 ** 20).toFixed(0)} used of ${(peak.heapTotal / 2 ** 20).toFixed(0)}, external ${(peak.external / 2 ** 20).toFixed(0)} (array buffers ${(peak.arrayBuffers / 2 ** 20).toFixed(0)})`,
      `  CPU time of this process ${cpuS.toFixed(1)} s (user ${(cpu.user / 1e6).toFixed(1)}, system ${(cpu.system / 1e6).toFixed(1)}); the rest of the wall time is waiting (database, other processes)`,
      `  CPU time of the database's processes for this import: ${databaseCpuS === undefined ? 'unknown (not on this machine)' : `${databaseCpuS.toFixed(1)} s`}`,
      `  conversion threads: ${workers} (server/import/convert-pool.ts; 0 = converted on the importing thread)`,
      `  on the importing thread, per post: convert ${per(tm.postConvert, tm.posts)} ms, render ${per(tm.postRender, tm.posts)} ms; per comment: convert ${per(tm.commentConvert, tm.comments)} ms, render ${per(tm.commentRender, tm.comments)} ms`,
      `  waiting for the conversion threads: ${((tm.postWait + tm.commentWait) / 1000).toFixed(1)} s (posts ${(tm.postWait / 1000).toFixed(1)}, comments ${(tm.commentWait / 1000).toFixed(1)})`,
      `  in-process steps total: ${((tm.postConvert + tm.postRender + tm.commentConvert + tm.commentRender) / 1000).toFixed(1)} s of ${((finished - staged) / 1000).toFixed(1)} s`,
      `  statements: ${[...statements.values()].reduce((a, b) => a + b, 0)} (${(([...statements.values()].reduce((a, b) => a + b, 0)) / Math.max(1, report.counts.posts.created)).toFixed(1)} per post); most frequent:`,
      ...[...statements].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, n]) => `    ${n}  ${k}`),
      `  time waiting for statements: ${([...statementMs.values()].reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s (round trip, the database's work and the driver's); the longest in all:`,
      ...[...statementMs].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, ms]) => `    ${(ms / 1000).toFixed(1)} s  ${statements.get(k)}× ${k}`),
      `  load average before ${load.map((l) => l.toFixed(1)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(1)).join(' ')} (${os.cpus().length} cores)`,
      '',
    ].join('\n'),
  );
} finally {
  await db.destroy();
  // BENCH_KEEP_DB=1 keeps the imported database to look into (its name is printed).
  if (process.env.BENCH_KEEP_DB === '1') process.stdout.write(`kept database ${name}\n`);
  else await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.end();
}
