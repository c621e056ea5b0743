// Three app servers behind a real HAProxy, as docs/SCALING.md tells an operator to run them: /readyz as
// the health check, round robin, retries with redispatch. Under steady traffic each server is stopped
// (SIGTERM) and started again in turn and not one request fails; a person signs in on one server and
// acts on another; a comment made through one is on the pages of the others within a second; login
// throttling (in the database) holds across servers, and the per-address rate limit (in memory, per
// server) lets a flood through at most N times. Skipped only where HAProxy is not installed; .ci/run
// installs it, so CI never skips.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_ADMIN } from '../../server/demo/seed.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-app.js';
import { freePort, ROOT, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { formOn } from '../helpers/html-forms.js';

function haproxyVersion(): string | undefined {
  try {
    return /version (\S+)/i.exec(execFileSync('haproxy', ['-v'], { encoding: 'utf8' }))?.[1];
  } catch {
    return undefined;
  }
}
const HAPROXY = haproxyVersion();
if (!HAPROXY && process.env.CI) {
  throw new Error('The load balancer test needs HAProxy (apt-get install haproxy); under CI its absence is a failure, not a skip.');
}

const OPEN = 'info-sharing-taskforce'; // comments published at once (settings below)
const HELD = 'community-health-review'; // comments wait for a moderator

/**
 * Under libfaketime's `@<instant>` (scripts/test-any-day.sh), every process's fake clock starts at that
 * instant when the process starts: servers started seconds apart would disagree by seconds, which servers
 * kept by NTP do not (a comment form rendered by a server whose clock is ahead looks forged to another).
 * Each server gets this process's fake time as its start instead. Without FAKETIME: nothing.
 */
function sameFakeClock(): Record<string, string> {
  if (!process.env.FAKETIME?.startsWith('@')) return {};
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  // libfaketime reads the instant in local time (TZ), as `faketime -f` was given it.
  return { FAKETIME: `@${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` };
}

async function waitUntil(check: () => Promise<boolean> | boolean, ms: number, every = 50) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await Promise.resolve().then(check).catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return Promise.resolve().then(check).catch(() => false);
}

/**
 * The HAProxy configuration that docker-compose.yml ships (scripts/haproxy.cfg), with this machine's
 * addresses: the listening port, the three servers, a header naming the server that answered, and a
 * stats page to see which servers HAProxy counts as up.
 */
function haproxyConfig(lbPort: number, statsPort: number, appPorts: number[]) {
  const shipped = fs.readFileSync(path.join(ROOT, 'scripts/haproxy.cfg'), 'utf8');
  const lines: string[] = [];
  for (const line of shipped.split('\n')) {
    if (/^\s*server\s/.test(line)) continue;
    if (/^\s*bind :8080\s*$/.test(line)) {
      lines.push(`  bind 127.0.0.1:${lbPort}`);
      continue;
    }
    lines.push(line);
    if (/^\s*default-server\s/.test(line)) {
      lines.push('  http-response set-header x-served-by %[srv_name]');
      appPorts.forEach((p, i) => lines.push(`  server app${i + 1} 127.0.0.1:${p} check`));
    }
  }
  const config = lines.join('\n');
  if (!config.includes(`bind 127.0.0.1:${lbPort}`) || !config.includes('server app3 ')) throw new Error('scripts/haproxy.cfg no longer has the shape this test adapts');
  return `${config}
frontend stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
`;
}

interface Haproxy {
  child: ChildProcess;
  output(): string;
  /** Server name → status (UP, DOWN, …) from the stats page. */
  states(): Promise<Record<string, string>>;
}

function startHaproxy(configFile: string, statsPort: number): Haproxy {
  const child = spawn('haproxy', ['-f', configFile, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return {
    child,
    output: () => text,
    async states() {
      const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
      const [header, ...rows] = csv.trim().split('\n');
      const columns = header!.replace(/^# /, '').split(',');
      const name = columns.indexOf('svname');
      const status = columns.indexOf('status');
      const out: Record<string, string> = {};
      for (const row of rows) {
        const cells = row.split(',');
        if (cells[0] === 'apps') out[cells[name]!] = cells[status]!;
      }
      return out;
    },
  };
}

/** A few cookies, kept as a browser would between requests. */
class CookieJar {
  private cookies = new Map<string, string>();
  take(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
    return res;
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function post(url: string, jar: CookieJar, fields: Record<string, string>) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: new URLSearchParams(fields),
  }).then((r) => jar.take(r));
}

async function commentForm(base: string, postPath: string) {
  const jar = new CookieJar();
  const html = await jar.take(await fetch(base + postPath)).text();
  return { jar, fields: formOn(html, '/comments') };
}

/** The page cache's answer for a URL (hit, miss, …), the body read so the connection is free again. */
async function cacheState(url: string) {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.headers.get('x-cache');
}

/** A post of the project, linked from its home, that takes comments. */
async function firstPostPath(base: string, project: string) {
  const html = await (await fetch(`${base}/${project}/`)).text();
  for (const m of html.matchAll(new RegExp(`href="(/${project}/posts/[^"#?]+)"`, 'g'))) {
    const page = await (await fetch(base + m[1]!)).text();
    // The comment form's action (it ends in #comment-form: a refusal lands on the form).
    if (page.includes(`action="${m[1]}/comments#`) || page.includes(`action="${m[1]}/comments"`)) return m[1]!;
  }
  throw new Error(`no post linked from /${project}/ takes comments`);
}

interface Answer {
  what: string;
  status: number | string;
  by: string | null;
}

/** Readers (from the page cache and from the database) and a commenter, until stopped (or a bound). */
function startTraffic(lb: string, postPath: string, form: Awaited<ReturnType<typeof commentForm>>) {
  const answers: Answer[] = [];
  let stop = false;
  let n = 0;
  const loop = (what: string, request: () => Promise<Response>) => async () => {
    for (let i = 0; i < 20_000 && !stop; i++) {
      try {
        const res = await request();
        await res.arrayBuffer();
        answers.push({ what, status: res.status, by: res.headers.get('x-served-by') });
      } catch (err) {
        answers.push({ what, status: `error: ${(err as Error).cause ?? (err as Error).message}`, by: null });
      }
    }
  };
  const workers = [
    loop('public page', () => fetch(`${lb}/${OPEN}/`)),
    loop('public page', () => fetch(lb + postPath)),
    // A personal cookie bypasses the page cache: read from the database every time.
    loop('database page', () => fetch(lb + postPath, { headers: { cookie: 'pb_reader=1' } })),
    loop('comment', () =>
      post(`${lb}${postPath}/comments`, form.jar, { ...form.fields, name: 'Load Tester', email: 'load@example.org', body: `Comment through the load balancer, ${n++}.` }),
    ),
  ].map((w) => w());
  return {
    answers,
    async stop() {
      stop = true;
      await Promise.all(workers);
    },
  };
}

describe.skipIf(!HAPROXY)(`three app servers behind HAProxy${HAPROXY ? ` ${HAPROXY}` : ' (skipped: haproxy is not installed on this machine; .ci/run installs it)'}`, () => {
  it('survives a rolling restart under load with no failed request; sessions, comments and login throttling span the servers; the rate limit is per server', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'project-blogs-lb-'));
    const apps: (ServerProcess | undefined)[] = [];
    let haproxy: Haproxy | undefined;
    let database: TestDatabase | undefined;
    try {
      database = await createTestDatabase({ max: 2 });
      const [lbPort, statsPort, ...appPorts] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
      const lb = `http://127.0.0.1:${lbPort}`;
      const direct = appPorts.map((p) => `http://127.0.0.1:${p}`);
      const envFor = (i: number, extra: Record<string, string> = {}) => ({
        PORT: String(appPorts[i]),
        DATABASE_URL: database!.url,
        PUBLIC_URL: lb,
        TRUST_PROXY: '1',
        SEED_DEMO: 'auto',
        RATE_LIMIT_PER_MINUTE: '0',
        LOG_LEVEL: 'warn',
        ...sameFakeClock(),
        ...extra,
      });
      const start = async (i: number, extra?: Record<string, string>) => {
        const proc = startServerProcess(envFor(i, extra));
        apps[i] = proc;
        await proc.waitFor(/is running/, 60_000);
      };
      // The first server migrates and seeds; the others find it done.
      await start(0);
      // The demo's password is made per install and printed once, by the server that seeded it.
      await apps[0]!.waitFor(/Press Ctrl\+C/);
      const demoPassword = /password "([^"]+)"/.exec(apps[0]!.output())![1]!;
      await Promise.all([start(1), start(2)]);
      // One project publishes comments at once, the other (closed in the demo: reopened) holds them;
      // neither limits one address (all of this test's traffic comes from 127.0.0.1) nor calls a quick
      // comment spam.
      const open = { commentPolicy: 'approve-all', commentsPerTenMinutes: 0, minSecondsToComment: 0 };
      const held = { commentPolicy: 'hold-all', commentsPerTenMinutes: 0, minSecondsToComment: 0 };
      for (const [slug, settings] of [[OPEN, open], [HELD, held]] as const) {
        await database.db.updateTable('projects').set({ settings: JSON.stringify(settings), status: 'active' }).where('slug', '=', slug).execute();
      }

      const configFile = path.join(tmp, 'haproxy.cfg');
      fs.writeFileSync(configFile, haproxyConfig(lbPort!, statsPort!, appPorts));
      haproxy = startHaproxy(configFile, statsPort!);
      const allUp = async () => {
        const s = await haproxy!.states();
        return ['app1', 'app2', 'app3'].every((n) => s[n]?.startsWith('UP'));
      };
      expect(await waitUntil(allUp, 10_000), haproxy.output()).toBe(true);

      // --- Rolling restart under steady load ---
      const postPath = await firstPostPath(lb, OPEN);
      const traffic = startTraffic(lb, postPath, await commentForm(lb, postPath));
      const began = Date.now();
      try {
        for (let i = 0; i < 3; i++) {
          const seen = traffic.answers.length;
          expect(await waitUntil(() => traffic.answers.length > seen + 50, 10_000), 'traffic flows').toBe(true);
          const old = apps[i]!;
          old.child.kill('SIGTERM');
          expect(await old.exited, old.output()).toBe(0);
          await start(i);
          expect(await waitUntil(async () => (await haproxy!.states())[`app${i + 1}`]?.startsWith('UP') ?? false, 10_000), haproxy.output()).toBe(true);
        }
        const seen = traffic.answers.length;
        expect(await waitUntil(() => traffic.answers.length > seen + 50, 10_000)).toBe(true);
      } finally {
        await traffic.stop();
      }
      expect(Date.now() - began, 'the rolling restart took too long').toBeLessThan(90_000);
      const failed = traffic.answers.filter((a) => a.status !== 200 && a.status !== 303);
      expect(failed.slice(0, 5), `${failed.length} of ${traffic.answers.length} requests failed`).toEqual([]);
      // Every accepted comment was stored once: none lost by a stopping server, none stored twice by a retry.
      const accepted = traffic.answers.filter((a) => a.what === 'comment' && a.status === 303).length;
      expect(accepted).toBeGreaterThan(10);
      const stored = await database.db.selectFrom('comments').select((eb) => eb.fn.countAll<string>().as('n'))
        .where('body_src', 'like', 'Comment through the load balancer, %').executeTakeFirstOrThrow();
      expect(Number(stored.n)).toBe(accepted);
      expect(new Set(traffic.answers.map((a) => a.by)).size).toBe(3);

      // --- A comment posted through one server is on every server's page within a second ---
      const words = `Seen on every server ${Date.now().toString(36)}.`;
      for (const base of direct) {
        expect(await waitUntil(async () => (await cacheState(base + postPath)) === 'hit', 2_000), 'each server holds the page').toBe(true);
      }
      const form = await commentForm(lb, postPath);
      const sent = await post(`${lb}${postPath}/comments`, form.jar, { ...form.fields, name: 'Visible Everywhere', email: 'visible@example.org', body: words });
      expect(sent.status).toBe(303);
      const shown = await Promise.all(direct.map((base) => waitUntil(async () => (await (await fetch(base + postPath)).text()).includes(words), 1_000)));
      expect(shown, 'each server shows the new comment within a second').toEqual([true, true, true]);

      // --- Sign in on one server, moderate on another ---
      const heldPost = await firstPostPath(lb, HELD);
      const heldWords = `Held, then approved through another server ${Date.now().toString(36)}.`;
      const heldForm = await commentForm(lb, heldPost);
      expect((await post(`${lb}${heldPost}/comments`, heldForm.jar, { ...heldForm.fields, name: 'Patient Reader', email: 'patient@example.org', body: heldWords })).status).toBe(303);
      const comment = await database.db.selectFrom('comments').select(['id', 'status']).where('body_src', '=', heldWords).executeTakeFirstOrThrow();
      expect(comment.status).toBe('pending');
      for (const base of direct) {
        expect(await waitUntil(async () => (await cacheState(base + heldPost)) === 'hit', 2_000)).toBe(true);
      }

      const admin = new CookieJar();
      const loginPage = admin.take(await fetch(`${lb}/login`));
      const loginFields = formOn(await loginPage.text(), '/login');
      const signedIn = await post(`${lb}/login`, admin, { ...loginFields, email: DEMO_ADMIN.email, password: demoPassword, next: '/admin/moderation' });
      expect(signedIn.status, await signedIn.text()).toBe(303);
      const queue = admin.take(await fetch(`${lb}/admin/moderation?project=${HELD}`, { headers: { cookie: admin.header() } }));
      expect(queue.status).toBe(200);
      const queueHtml = await queue.text();
      expect(queueHtml).toContain(heldWords);
      const approved = await post(`${lb}/admin/moderation/${comment.id}/approve`, admin, formOn(queueHtml, `/admin/moderation/${comment.id}/approve`));
      expect(approved.status).toBe(303);
      const servers = [loginPage, signedIn, queue, approved].map((r) => r.headers.get('x-served-by'));
      expect(new Set(servers.slice(1)).size, `served by ${servers.join(', ')}`).toBe(3);
      const shownApproved = await Promise.all(direct.map((base) => waitUntil(async () => (await (await fetch(base + heldPost)).text()).includes(heldWords), 1_000)));
      expect(shownApproved, 'each server shows the approved comment within a second').toEqual([true, true, true]);

      // --- Login throttling is in the database: failures on three servers add up ---
      const member = await database.db.selectFrom('people').select('email').where('is_site_admin', '=', false).where('password_hash', 'is not', null).orderBy('id').executeTakeFirstOrThrow();
      const guesser = new CookieJar();
      const failedOn = new Set<string | null>();
      for (let i = 0; i < 6; i++) {
        const page = guesser.take(await fetch(`${lb}/login`, { headers: { cookie: guesser.header() } }));
        const res = await post(`${lb}/login`, guesser, { ...formOn(await page.text(), '/login'), email: member.email, password: `wrong guess ${i}` });
        expect(res.status).toBe(422);
        failedOn.add(res.headers.get('x-served-by'));
      }
      expect(failedOn.size).toBe(3);
      const refusedOn = new Set<string | null>();
      for (let i = 0; i < 3; i++) {
        // The right password, on each server in turn: refused before it is checked.
        const page = guesser.take(await fetch(`${lb}/login`, { headers: { cookie: guesser.header() } }));
        const res = await post(`${lb}/login`, guesser, { ...formOn(await page.text(), '/login'), email: member.email, password: demoPassword });
        expect(res.status).toBe(429);
        expect(await res.text()).toContain('Too many failed attempts');
        refusedOn.add(res.headers.get('x-served-by'));
      }
      expect(refusedOn.size).toBe(3);

      // --- The per-address rate limit is per server: a flood gets at most N times the limit ---
      for (let i = 0; i < 3; i++) {
        apps[i]!.child.kill('SIGTERM');
        expect(await apps[i]!.exited).toBe(0);
        await start(i, { RATE_LIMIT_PER_MINUTE: '10' });
      }
      expect(await waitUntil(allUp, 10_000), haproxy.output()).toBe(true);
      const flood: number[] = [];
      for (let i = 0; i < 60; i++) {
        const res = await fetch(`${lb}/${HELD}/`);
        await res.arrayBuffer();
        flood.push(res.status);
      }
      const served = flood.filter((s) => s === 200).length;
      expect(flood.filter((s) => s !== 200 && s !== 429)).toEqual([]);
      expect(served, flood.join(' ')).toBeGreaterThan(10);
      expect(served, flood.join(' ')).toBeLessThanOrEqual(30);

      for (const app of apps) app!.child.kill('SIGTERM');
      for (const app of apps) expect(await app!.exited).toBe(0);
    } finally {
      if (haproxy && haproxy.child.exitCode === null && haproxy.child.signalCode === null) {
        const gone = new Promise((r) => haproxy!.child.once('exit', r));
        haproxy.child.kill('SIGKILL');
        await gone;
      }
      for (const app of apps) if (app && app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
      await Promise.all(apps.map((a) => a?.exited));
      await database?.drop();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 180_000);
});
