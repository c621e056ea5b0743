// A database switch-over under traffic: the app (a real process, as `npm start` runs it) reaches
// PostgreSQL through a TCP proxy, as it would through HAProxy, a virtual IP or a DNS name that follows
// the primary. The primary replicates synchronously to a hot standby (synchronous_standby_names, with
// synchronous_commit = on): a commit is acknowledged only once the standby has it on disk. The
// switch: the proxy cuts every connection to the old primary, the standby is promoted, the proxy points
// at it. The app must reconnect by itself, LISTEN again and empty its page cache (notifications sent
// meanwhile are lost), answer 503 (never a 500) meanwhile, take comments again, and every comment it
// answered 303 must be on the new primary.
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startServerProcess } from '../helpers/server-process.js';
import { makeStandby, promote, replicaSkipReason, startPrimary, stopAll, type PgServer } from '../helpers/replica.js';
import { readCommentForm } from '../helpers/html-forms.js';
import { waitUntil } from '../helpers/wait.js';

const skip = replicaSkipReason();
if (skip) console.warn(`switch-over test skipped: ${skip}`);

afterAll(stopAll, 60_000);

const PROJECT = '/info-sharing-taskforce/';
const QUIET = '/community-health-review/';

/** A TCP proxy whose target can be switched; switching (or cutting) closes every piped connection. */
async function startProxy(target: number | null) {
  let port = target;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    if (port === null) return void client.destroy();
    const upstream = net.connect(port, '127.0.0.1');
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    /** null: refuse (close at once) every connection, as while nothing is the primary. */
    switchTo(next: number | null) {
      port = next;
      for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Answer {
  at: number;
  what: string;
  status: number | 'refused';
  retryAfter?: string | null;
  comment?: string;
}

/** Readers (database pages and cached pages) and commenters, each comment from its own address. */
function startTraffic(base: string, postPath: string, form: { cookie: string; fields: Record<string, string> }) {
  const answers: Answer[] = [];
  let stop = false;
  let n = 0;
  const loop = (what: string, request: () => { res: Promise<Response>; comment?: string }) => async () => {
    while (!stop) {
      const { res: pending, comment } = request();
      let res: Response | undefined;
      try {
        res = await pending;
        await res.arrayBuffer();
      } catch {
        res = undefined;
        await new Promise((r) => setTimeout(r, 20));
      }
      answers.push({ at: Date.now(), what, status: res ? res.status : 'refused', retryAfter: res?.headers.get('retry-after'), comment });
    }
  };
  const dbRead = loop('database page', () => ({ res: fetch(base + postPath, { headers: { cookie: 'pb_reader=1' } }) }));
  const cachedRead = loop('public page', () => ({ res: fetch(base + PROJECT) }));
  const comment = loop('comment', () => {
    const i = n++;
    const text = `Comment through the switch-over, number ${i}.`;
    const body = new URLSearchParams({ ...form.fields, name: 'Switch Tester', email: 'switch@example.org', body: text });
    const res = fetch(`${base}${postPath}/comments`, {
      method: 'POST',
      redirect: 'manual',
      // Each comment from its own address (TRUST_PROXY=1), so the per-address limit does not refuse it.
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie, 'x-forwarded-for': `10.9.${(i >> 8) & 255}.${i & 255}` },
      body,
    });
    return { res, comment: text };
  });
  const workers = [...Array.from({ length: 4 }, () => dbRead()), ...Array.from({ length: 2 }, () => cachedRead()), ...Array.from({ length: 3 }, () => comment())];
  return {
    answers,
    async stop() {
      stop = true;
      await Promise.all(workers);
    },
  };
}

describe.skipIf(!!skip)('a database switch-over under traffic', () => {
  it('the app follows the proxy to the promoted standby: 503s meanwhile, never a 500; LISTEN again, cache emptied, writes resume, no answered comment lost', async () => {
    const primary: PgServer = await startPrimary({ settings: ['synchronous_commit=on'] });
    await primary.query('CREATE DATABASE blogs');
    const standby = await makeStandby(primary, { applicationName: 'standby' });
    await primary.query("ALTER SYSTEM SET synchronous_standby_names = 'standby'");
    await primary.query('SELECT pg_reload_conf()');
    expect(await waitUntil(async () => (await primary.query("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'")).rows[0]?.sync_state === 'sync', 10_000)).toBe(true);

    const proxy = await startProxy(primary.port);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = startServerProcess({
      PORT: String(port),
      DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/blogs`,
      RATE_LIMIT_PER_MINUTE: '0',
      TRUST_PROXY: '1',
      LOG_LEVEL: 'warn',
    });
    try {
      await proc.waitFor(/is running/, 90_000);
      const html = await (await fetch(base + PROJECT)).text();
      const postPath = /href="(\/info-sharing-taskforce\/posts\/[^"#?]+)"/.exec(html)?.[1];
      if (!postPath) throw new Error('no post linked from the project home');
      const traffic = startTraffic(base, postPath, await readCommentForm(base, postPath));
      let switchedAt = 0;
      try {
        await waitUntil(() => traffic.answers.filter((a) => a.what === 'comment' && a.status === 303).length >= 5, 20_000);
        // A page of the other project, which the comments do not drop: stored now, changed during the switch.
        expect(await waitUntil(async () => (await fetch(base + QUIET).then(async (r) => (await r.arrayBuffer(), r))).headers.get('x-cache') === 'hit', 10_000)).toBe(true);

        // The switch: nothing reaches the old primary any more, the standby is promoted, the proxy follows.
        proxy.switchTo(null);
        switchedAt = Date.now();
        await promote(standby);
        // A change nobody LISTENs for (the app is cut off): only emptying the cache on reconnect shows it.
        await standby.query("UPDATE projects SET title = 'Community Health, changed during the switch' WHERE slug = 'community-health-review'", [], 'blogs');
        proxy.switchTo(standby.port);
        await primary.stop();

        // Writes resume; database pages answer again; ready again.
        expect(await waitUntil(() => traffic.answers.some((a) => a.at > switchedAt && a.what === 'comment' && a.status === 303), 20_000), proc.output()).toBe(true);
        expect(await waitUntil(() => traffic.answers.some((a) => a.at > switchedAt && a.what === 'database page' && a.status === 200), 20_000)).toBe(true);
        expect(await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200, 20_000)).toBe(true);
        // The cache was emptied when LISTEN came back: the change made during the switch is shown.
        expect(await waitUntil(async () => (await (await fetch(base + QUIET)).text()).includes('Community Health, changed during the switch'), 20_000)).toBe(true);
        // LISTEN is on the new primary: a change made there now reaches a page this server has stored.
        expect(await waitUntil(async () => (await fetch(base + QUIET).then(async (r) => (await r.arrayBuffer(), r))).headers.get('x-cache') === 'hit', 20_000)).toBe(true);
        await standby.query("UPDATE projects SET title = 'Community Health, after the switch' WHERE slug = 'community-health-review'", [], 'blogs');
        expect(await waitUntil(async () => (await (await fetch(base + QUIET)).text()).includes('Community Health, after the switch'), 10_000)).toBe(true);
      } finally {
        await traffic.stop();
      }

      const answers = traffic.answers;
      const bad = answers.filter((a) => a.status === 'refused' || ![200, 303, 429, 503].includes(a.status));
      expect(bad.slice(0, 5), `${bad.length} of ${answers.length} answers were not pages`).toEqual([]);
      expect(answers.filter((a) => a.status === 503 && !a.retryAfter).slice(0, 3), '503s without Retry-After').toEqual([]);
      expect(answers.filter((a) => a.at > switchedAt).length).toBeGreaterThan(0);

      // Every comment answered 303, before the switch or after, is on the new primary.
      const accepted = answers.filter((a) => a.what === 'comment' && a.status === 303).map((a) => a.comment!);
      expect(accepted.length).toBeGreaterThan(5);
      const { rows } = await standby.query<{ body_src: string }>('SELECT body_src FROM comments WHERE body_src = ANY($1)', [accepted], 'blogs');
      const stored = new Set(rows.map((r) => r.body_src));
      expect(accepted.filter((c) => !stored.has(c))).toEqual([]);

      expect(proc.child.exitCode).toBeNull();
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      proc.child.kill('SIGKILL');
      await proxy.close();
    }
  }, 180_000);
});
