// The database goes away while requests are in flight: the server process must never exit, every
// answer meanwhile is a page (200 from the page cache, 503 with Retry-After, or a comment's 303/429),
// never a 500 or a refused connection, and service returns by itself, LISTEN included.
// Both ways the app meets PostgreSQL: its own embedded server (which it must restart when the postmaster
// dies) and a server it is only given (DATABASE_URL), stopped and started by someone else.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../server/db/embedded.js';
import { ensureDatabase } from '../../server/db/open-database.js';
import { freePort, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { readCommentForm } from '../helpers/html-forms.js';
import { waitUntil } from '../helpers/wait.js';

const dirs: string[] = [];
function tempDir(prefix: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const PROJECT = '/info-sharing-taskforce/';

interface Answer {
  at: number;
  what: string;
  status: number | 'refused';
  retryAfter?: string | null;
  cache?: string | null;
}

/** Readers of database pages and of cached pages, and commenters, until stopped; every answer is kept. */
function startTraffic(base: string, postPath: string, form: { cookie: string; fields: Record<string, string> }) {
  const answers: Answer[] = [];
  let stop = false;
  let n = 0;
  const record = (what: string, res: Response | undefined) =>
    answers.push({ at: Date.now(), what, status: res ? res.status : 'refused', retryAfter: res?.headers.get('retry-after'), cache: res?.headers.get('x-cache') });
  const loop = (what: string, request: () => Promise<Response>) => async () => {
    while (!stop) {
      let res: Response | undefined;
      try {
        res = await request();
        await res.arrayBuffer();
      } catch {
        res = undefined;
        await new Promise((r) => setTimeout(r, 20));
      }
      record(what, res);
    }
  };
  // A personal cookie bypasses the page cache: these pages are read from the database every time.
  const dbRead = loop('database page', () => fetch(base + postPath, { headers: { cookie: 'pb_reader=1' } }));
  const cachedRead = loop('public page', () => fetch(base + PROJECT));
  const comment = loop('comment', () => {
    const body = new URLSearchParams({ ...form.fields, name: 'Load Tester', email: 'load@example.org', body: `Comment under load ${n++}.` });
    return fetch(`${base}${postPath}/comments`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
      body,
    });
  });
  const workers = [...Array.from({ length: 8 }, () => dbRead()), ...Array.from({ length: 4 }, () => cachedRead()), ...Array.from({ length: 4 }, () => comment())];
  return {
    answers,
    async stop() {
      stop = true;
      await Promise.all(workers);
    },
  };
}

async function firstPostPath(base: string) {
  const html = await (await fetch(base + PROJECT)).text();
  const post = /href="(\/info-sharing-taskforce\/posts\/[^"#?]+)"/.exec(html)?.[1];
  if (!post) throw new Error('no post linked from the project home');
  return post;
}

/** What every answer during and after a fault must be: a page, never a 500 or a refused connection. */
function expectOnlyPages(answers: Answer[]) {
  const bad = answers.filter((a) => a.status === 'refused' || (a.status !== 200 && a.status !== 303 && a.status !== 429 && a.status !== 503));
  expect(bad.slice(0, 5), `${bad.length} of ${answers.length} answers were not pages`).toEqual([]);
  const unavailable = answers.filter((a) => a.status === 503);
  expect(unavailable.filter((a) => !a.retryAfter).slice(0, 3), '503s without Retry-After').toEqual([]);
}

async function recovered(proc: ServerProcess, base: string, postPath: string, since: number, answers: Answer[]) {
  // Database pages answer 200 again; the cache listener is back (a public page is served from memory).
  expect(await waitUntil(() => answers.some((a) => a.at > since && a.what === 'database page' && a.status === 200), 15_000), proc.output()).toBe(true);
  expect((await fetch(`${base}/readyz`)).status).toBe(200);
  expect(
    await waitUntil(async () => {
      await (await fetch(base + PROJECT)).arrayBuffer();
      return (await fetch(base + PROJECT)).headers.get('x-cache') === 'hit';
    }, 15_000, 200),
    'the page cache serves again once LISTEN is back',
  ).toBe(true);
  expect(proc.child.exitCode).toBeNull();
}

describe('a database outage under traffic', () => {
  it('on the embedded server: a postmaster killed (SIGKILL) or stopped (SIGINT) is started again by the app, and nothing 500s', async () => {
    const dataDir = tempDir('project-blogs-inflight-');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = startServerProcess({ PORT: String(port), DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn' });
    try {
      await proc.waitFor(/is running/, 60_000);
      const postPath = await firstPostPath(base);
      const traffic = startTraffic(base, postPath, await readCommentForm(base, postPath));
      try {
        const times = (re: RegExp) => proc.output().match(new RegExp(re.source, 'g'))?.length ?? 0;
        for (const [round, signal] of (['SIGKILL', 'SIGINT'] as const).entries()) {
          await waitUntil(() => traffic.answers.filter((a) => a.status === 200).length > 20, 10_000);
          const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
          const faultAt = Date.now();
          process.kill(postmaster, signal);
          expect(await waitUntil(() => times(/exited unexpectedly/) > round, 10_000), proc.output()).toBe(true);
          expect(await waitUntil(() => times(/started again/) > round, 20_000), proc.output()).toBe(true);
          await recovered(proc, base, postPath, faultAt, traffic.answers);
          expect(traffic.answers.filter((a) => a.at > faultAt).length).toBeGreaterThan(0);
        }
      } finally {
        await traffic.stop();
      }
      expectOnlyPages(traffic.answers);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      proc.child.kill('SIGKILL');
    }
  }, 120_000);

  it('on DATABASE_URL: the server is stopped (fast shutdown) and started again; 503s meanwhile, then service by itself', async () => {
    const dbDir = tempDir('project-blogs-external-');
    const dbPort = await freePort();
    let database: EmbeddedPostgres | undefined = await startEmbeddedPostgres({ dataDir: dbDir, fast: true, port: dbPort });
    await ensureDatabase(database.serverUrl, 'outage');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = startServerProcess({
      PORT: String(port),
      DATABASE_URL: database.urlFor('outage'),
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    });
    try {
      await proc.waitFor(/is running/, 60_000);
      const postPath = await firstPostPath(base);
      const traffic = startTraffic(base, postPath, await readCommentForm(base, postPath));
      try {
        await waitUntil(() => traffic.answers.filter((a) => a.status === 200).length > 20, 10_000);
        // A page of the other project, which the comments above do not drop from the cache: stored now.
        const quiet = `${base}/community-health-review/`;
        expect(await waitUntil(async () => (await fetch(quiet).then(async (r) => (await r.arrayBuffer(), r))).headers.get('x-cache') === 'hit', 10_000)).toBe(true);
        const stoppedAt = Date.now();
        await database.stop();
        database = undefined;
        // The outage lasts until the database pages have answered 503 for a while.
        expect(
          await waitUntil(() => traffic.answers.filter((a) => a.at > stoppedAt && a.what === 'database page' && a.status === 503).length >= 10, 10_000),
        ).toBe(true);
        const readyDuring = await fetch(`${base}/readyz`);
        expect(readyDuring.status).toBe(503);
        // Readers of a public page get the copy this server last had, not the 503 page (a page whose
        // copy was dropped just before the outage, by a comment above, gets the 503 page).
        for (let i = 0; i < 5; i++) {
          const stale = await fetch(quiet);
          expect(stale.status).toBe(200);
          expect(stale.headers.get('x-cache')).toBe('stale');
          expect(stale.headers.get('cache-control')).toContain('no-store');
          expect(await stale.text()).toContain('Community Health');
        }
        expect(proc.child.exitCode).toBeNull();
        database = await startEmbeddedPostgres({ dataDir: dbDir, fast: true, port: dbPort });
        await recovered(proc, base, postPath, Date.now(), traffic.answers);
      } finally {
        await traffic.stop();
      }
      expectOnlyPages(traffic.answers);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      proc.child.kill('SIGKILL');
      await database?.stop();
    }
  }, 120_000);
});
