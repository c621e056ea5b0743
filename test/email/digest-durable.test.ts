// Digests survive downtime: the injected clock is walked hour by hour while the hourly tick runs, except
// in the hours when "no server runs". A digest whose hour passed with no worker goes out at the next
// tick with its posts; a long outage gives one catch-up digest (not one per missed day); two servers
// ticking at once make one run and one email per address; moving the digest time in the middle of a day
// repeats no post and skips none. Site zone Europe/London in June (BST, UTC+1): 08:00 is 07:00Z.
// Nothing here reads the machine's time zone or the real date.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../server/db/create-db.js';
import { digestTick } from '../../server/email/digests.js';
import { saveEmailSettings } from '../../server/email/settings.js';
import { jobDefinitions } from '../../server/job-list.js';
import { enqueue } from '../../server/jobs/queue.js';
import { JobWorker } from '../../server/jobs/worker.js';
import { buildTestApp, runJobs, type TestApp } from '../helpers/test-app.js';
import { makeWorld, publishPost, subscribeConfirmed, type World } from './helpers.js';
import { SmtpSink } from './smtp-sink.js';

let sink: SmtpSink;
beforeAll(async () => {
  sink = await SmtpSink.start();
});
afterAll(async () => sink.stop());

const HOUR = 3_600_000;

interface Digest {
  at: string;
  titles: string[];
  text: string;
}

async function setUp(digestHour = 8) {
  const t = await buildTestApp({ env: { SMTP_URL: sink.url } });
  const w = await makeWorld(t);
  await saveEmailSettings(t.db, { digestHour, timeZone: 'Europe/London', weeklyDay: 1 }, t.clock.now());
  return { t, w };
}

async function tick(t: TestApp) {
  await t.db.transaction().execute((tx) => enqueue(tx, 'email:digest-tick', {}));
  await runJobs(t);
}

/** The daily digests among these emails (by default all this address got): which posts, and the text. */
function digestsTo(address: string, received = sink.to(address)): Digest[] {
  return received
    .filter((r) => /daily digest/i.test(r.mail.subject ?? ''))
    .map((r) => ({ at: '', titles: [...(r.mail.text ?? '').matchAll(/News (P\d+)/g)].map((m) => m[1]!), text: r.mail.text ?? '' }));
}

/**
 * Walks the clock hour by hour from `from` to `to`. At each hour: publish the posts due then (title
 * `News <name>`), run `actions` due then, and unless `down(at)` tick as the cron does. Returns the daily
 * digests to `address`, each stamped with the hour it went out.
 */
async function walk(t: TestApp, w: World, address: string, plan: { from: string; to: string; posts?: Record<string, string>; actions?: Record<string, () => Promise<void>>; down?: (at: Date) => boolean }): Promise<Digest[]> {
  const out: Digest[] = [];
  for (let at = new Date(plan.from).getTime(); at <= new Date(plan.to).getTime(); at += HOUR) {
    const iso = new Date(at).toISOString();
    t.clock.set(new Date(at));
    for (const [when, name] of Object.entries(plan.posts ?? {})) {
      if (new Date(when).getTime() === at) {
        await publishPost(t, w, { title: `News ${name}` });
        await runJobs(t);
      }
    }
    for (const [when, action] of Object.entries(plan.actions ?? {})) if (new Date(when).getTime() === at) await action();
    if (plan.down?.(new Date(at))) continue;
    const before = sink.to(address).length;
    await tick(t);
    for (const d of digestsTo(address, sink.to(address).slice(before))) out.push({ ...d, at: iso });
  }
  return out;
}

describe('durable digests', () => {
  it('no server runs through the digest hour: the digest goes out when one comes back, once, with its posts', async () => {
    const { t, w } = await setUp();
    t.clock.set('2026-06-14T12:00:00Z');
    await subscribeConfirmed(t, sink, 'project:river', 'late@example.org', 'daily');
    const digests = await walk(t, w, 'late@example.org', {
      from: '2026-06-14T12:00:00Z',
      to: '2026-06-16T09:00:00Z',
      // A posted before Monday's 08:00, B after it (while the servers are down: the web still answers).
      posts: { '2026-06-15T03:00:00Z': 'P1', '2026-06-15T09:00:00Z': 'P2' },
      // Every server down from 05:00Z to 12:00Z on Monday (through 08:00 BST = 07:00Z).
      down: (at) => at >= new Date('2026-06-15T05:00:00Z') && at < new Date('2026-06-15T12:00:00Z'),
    });
    expect(digests.map((d) => [d.at, d.titles])).toEqual([
      ['2026-06-15T12:00:00.000Z', ['P1']],
      ['2026-06-16T07:00:00.000Z', ['P2']],
    ]);
    // A digest sent late but covering its usual day says nothing about catching up.
    expect(digests[0]!.text).not.toContain('covers everything since');
    const runs = await t.db.selectFrom('email_digest_runs').select(['period_start', 'period_end']).where('frequency', '=', 'daily').orderBy('period_end').execute();
    for (let i = 1; i < runs.length; i += 1) expect(runs[i]!.period_start).toEqual(runs[i - 1]!.period_end);
  }, 120_000);

  it('a long outage: one catch-up digest with everything since the last one, not one per missed day', async () => {
    const { t, w } = await setUp();
    t.clock.set('2026-06-09T12:00:00Z');
    await subscribeConfirmed(t, sink, 'project:river', 'away@example.org', 'daily');
    const digests = await walk(t, w, 'away@example.org', {
      from: '2026-06-09T12:00:00Z',
      to: '2026-06-16T08:00:00Z',
      posts: { '2026-06-09T20:00:00Z': 'P1', '2026-06-10T10:00:00Z': 'P2', '2026-06-12T10:00:00Z': 'P3', '2026-06-14T10:00:00Z': 'P4', '2026-06-15T10:00:00Z': 'P5' },
      // Down from Wednesday 10 June 09:00Z to Monday 15 June 09:00Z: five digest hours missed.
      down: (at) => at >= new Date('2026-06-10T09:00:00Z') && at < new Date('2026-06-15T09:00:00Z'),
    });
    expect(digests.map((d) => [d.at, d.titles])).toEqual([
      ['2026-06-10T07:00:00.000Z', ['P1']],
      ['2026-06-15T09:00:00.000Z', ['P2', 'P3', 'P4']],
      ['2026-06-16T07:00:00.000Z', ['P5']],
    ]);
    expect(digests[1]!.text).toContain('This digest covers everything since Wednesday, 10 June 2026 at 08:00 (Europe/London).');
    expect(digests[2]!.text).not.toContain('covers everything since');
  }, 120_000);

  it('two servers ticking at once: one run, one digest per address', async () => {
    const { t, w } = await setUp();
    const addresses = Array.from({ length: 40 }, (_, i) => `pair${i}@example.org`);
    for (const address of addresses) {
      const row = await t.db.insertInto('email_addresses').values({ address }).returning('id').executeTakeFirstOrThrow();
      await t.db.insertInto('email_subscriptions').values({ address_id: row.id, kind: 'project', project_id: w.projectId, target_key: `project:${w.projectId}`, frequency: 'daily', confirmed_at: t.clock.now() }).execute();
    }
    t.clock.set('2026-06-15T03:00:00Z');
    await publishPost(t, w, { title: 'News P1' });
    await runJobs(t);
    // Monday 13:00Z: the 08:00 digest was missed; two servers (two pools) tick three times each at once.
    t.clock.set('2026-06-15T13:00:00Z');
    const otherDb = createDb(t.database.url, { max: 5 });
    const context = (db: TestApp['db']) => ({ db, config: t.config, clock: t.clock, log: t.app.log });
    const job = { id: '0', attempts: 1, maxAttempts: 3, lastAttempt: false, signal: new AbortController().signal };
    try {
      await Promise.all([t.db, otherDb, t.db, otherDb, t.db, otherDb].map((db) => digestTick({}, context(db), job)));
      const worker = (db: TestApp['db']) => new JobWorker({ context: context(db), definitions: jobDefinitions, concurrency: 2 });
      await Promise.all([worker(t.db).runUntilIdle(), worker(otherDb).runUntilIdle()]);
      await runJobs(t);
    } finally {
      await otherDb.destroy();
    }
    for (const address of addresses) expect(digestsTo(address).map((d) => d.titles), address).toEqual([['P1']]);
    const runs = await t.db.selectFrom('email_digest_runs').selectAll().where('frequency', '=', 'daily').execute();
    expect(runs).toHaveLength(1);
    // The database itself refuses a second, overlapping run of the same frequency.
    const overlapping = sql`INSERT INTO email_digest_runs (frequency, period_start, period_end) VALUES ('daily', ${new Date('2026-06-14T20:00:00Z')}::timestamptz, ${new Date('2026-06-15T20:00:00Z')}::timestamptz)`.execute(t.db);
    await expect(overlapping).rejects.toThrow(/email_digest_runs_daily_no_overlap/);
  }, 120_000);

  it('the digest hour moved later in the middle of a day: no post twice, none missed', async () => {
    const { t, w } = await setUp(8);
    t.clock.set('2026-06-14T12:00:00Z');
    await subscribeConfirmed(t, sink, 'project:river', 'later@example.org', 'daily');
    const digests = await walk(t, w, 'later@example.org', {
      from: '2026-06-14T12:00:00Z',
      to: '2026-06-16T20:00:00Z',
      posts: { '2026-06-15T03:00:00Z': 'P1', '2026-06-15T08:00:00Z': 'P2', '2026-06-15T15:00:00Z': 'P3', '2026-06-15T18:00:00Z': 'P4' },
      // Monday 10:00 BST, after the 08:00 digest went out: digests at 18:00 from now on.
      actions: { '2026-06-15T09:00:00Z': () => saveEmailSettings(t.db, { digestHour: 18, timeZone: 'Europe/London', weeklyDay: 1 }, t.clock.now()) },
    });
    expect(digests.map((d) => [d.at, d.titles])).toEqual([
      ['2026-06-15T07:00:00.000Z', ['P1']],
      ['2026-06-15T17:00:00.000Z', ['P2', 'P3']],
      ['2026-06-16T17:00:00.000Z', ['P4']],
    ]);
  }, 120_000);

  it('the digest hour moved earlier, to an hour already past today: that digest goes out at the next tick, then at the new hour', async () => {
    const { t, w } = await setUp(18);
    t.clock.set('2026-06-14T12:00:00Z');
    await subscribeConfirmed(t, sink, 'project:river', 'earlier@example.org', 'daily');
    const digests = await walk(t, w, 'earlier@example.org', {
      from: '2026-06-14T12:00:00Z',
      to: '2026-06-16T09:00:00Z',
      posts: { '2026-06-14T20:00:00Z': 'P1', '2026-06-15T08:00:00Z': 'P2', '2026-06-15T12:00:00Z': 'P3' },
      // Monday 10:30 BST: digests at 08:00 from now on (today's 08:00 has passed, and nothing since Sunday 18:00 was sent).
      actions: { '2026-06-15T09:00:00Z': () => saveEmailSettings(t.db, { digestHour: 8, timeZone: 'Europe/London', weeklyDay: 1 }, t.clock.now()) },
    });
    // Sunday 18:00 BST had no posts (no email). P2 came after Monday 08:00: in Tuesday's.
    expect(digests.map((d) => [d.at, d.titles])).toEqual([
      ['2026-06-15T09:00:00.000Z', ['P1']],
      ['2026-06-16T07:00:00.000Z', ['P2', 'P3']],
    ]);
  }, 120_000);
});
