// Digests across real changes of clocks (Europe/London, last Sundays of March and October 2026), with
// the injected clock walked hour by hour as the hourly cron runs: each digest goes out at the site's
// local digest time on both sides of the change, a period is a calendar day or week (23 or 25 hours
// that day), and every post is listed in exactly one daily and one weekly digest. Nothing here reads
// the machine's time zone (CI runs this at UTC+14 and UTC-11).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveEmailSettings } from '../../server/email/settings.js';
import { enqueue } from '../../server/jobs/queue.js';
import { buildTestApp, runJobs } from '../helpers/test-app.js';
import { makeWorld, publishPost, subscribeConfirmed } from './helpers.js';
import { SmtpSink } from './smtp-sink.js';

let sink: SmtpSink;
beforeAll(async () => {
  sink = await SmtpSink.start();
});
afterAll(async () => sink.stop());

const HOUR = 3_600_000;
const londonTime = (at: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);

interface Sent {
  at: Date;
  frequency: 'daily' | 'weekly';
  titles: string[];
}

/**
 * Walks the clock from `from` to `to` in half hours: a post is published at each `posts` instant
 * (all at :30), and the digest tick runs at the top of every hour, as the cron does.
 */
async function walk(digestHour: number, from: string, to: string, posts: string[]): Promise<Sent[]> {
  const t = await buildTestApp({ env: { SMTP_URL: sink.url } });
  const w = await makeWorld(t);
  t.clock.set(from);
  await saveEmailSettings(t.db, { digestHour, timeZone: 'Europe/London', weeklyDay: 0 }, t.clock.now());
  const tag = `h${digestHour}-${from.slice(0, 10)}`;
  const daily = `daily-${tag}@example.org`;
  const weekly = `weekly-${tag}@example.org`;
  await subscribeConfirmed(t, sink, 'project:river', daily, 'daily');
  await subscribeConfirmed(t, sink, 'project:river', weekly, 'weekly');
  const due = new Set(posts.map((p) => new Date(p).getTime()));
  const sent: Sent[] = [];
  for (let at = new Date(from).getTime(); at <= new Date(to).getTime(); at += HOUR / 2) {
    t.clock.set(new Date(at));
    if (due.has(at)) {
      await publishPost(t, w, { title: `Post of ${new Date(at).toISOString()}` });
      await runJobs(t);
    }
    if (at % HOUR !== 0) continue;
    const before = sink.received.length;
    await t.db.transaction().execute((tx) => enqueue(tx, 'email:digest-tick', {}));
    await runJobs(t);
    for (const r of sink.received.slice(before)) {
      const frequency = r.to.includes(daily) ? 'daily' : r.to.includes(weekly) ? 'weekly' : undefined;
      if (!frequency) continue;
      sent.push({ at: new Date(at), frequency, titles: [...(r.mail.text ?? '').matchAll(/Post of (\S+Z)/g)].map((m) => m[1]!) });
    }
  }
  return sent;
}

/** Which digest (the UTC instant it went out) listed each post; a post listed twice fails. */
function listedIn(sent: Sent[], frequency: 'daily' | 'weekly'): Record<string, string> {
  const where: Record<string, string> = {};
  for (const s of sent.filter((x) => x.frequency === frequency)) {
    for (const title of s.titles) {
      expect(where[title], `${title} listed twice`).toBeUndefined();
      where[title] = s.at.toISOString();
    }
  }
  return where;
}

describe('digests across a change of clocks', () => {
  it('spring forward: the Sunday is 23 hours, digests still at 08:00 local, no post twice', async () => {
    // Clocks go forward at 01:00 GMT on Sunday 29 March 2026: 08:00 is 08:00Z before, 07:00Z after.
    const posts = ['2026-03-21T09:30:00Z', '2026-03-28T07:30:00Z', '2026-03-28T08:30:00Z', '2026-03-29T06:30:00Z', '2026-03-29T07:30:00Z', '2026-03-30T06:30:00Z'];
    const sent = await walk(8, '2026-03-21T00:00:00Z', '2026-03-30T12:00:00Z', posts);
    for (const s of sent) expect(londonTime(s.at), s.at.toISOString()).toBe('08:00');
    expect(listedIn(sent, 'daily')).toEqual({
      '2026-03-21T09:30:00.000Z': '2026-03-22T08:00:00.000Z',
      '2026-03-28T07:30:00.000Z': '2026-03-28T08:00:00.000Z',
      '2026-03-28T08:30:00.000Z': '2026-03-29T07:00:00.000Z',
      '2026-03-29T06:30:00.000Z': '2026-03-29T07:00:00.000Z',
      '2026-03-29T07:30:00.000Z': '2026-03-30T07:00:00.000Z',
      '2026-03-30T06:30:00.000Z': '2026-03-30T07:00:00.000Z',
    });
    // Weekly on Sundays: 22 March (08:00Z) then 29 March (07:00Z, a week of 167 hours).
    expect(listedIn(sent, 'weekly')).toEqual({
      '2026-03-21T09:30:00.000Z': '2026-03-22T08:00:00.000Z',
      '2026-03-28T07:30:00.000Z': '2026-03-29T07:00:00.000Z',
      '2026-03-28T08:30:00.000Z': '2026-03-29T07:00:00.000Z',
      '2026-03-29T06:30:00.000Z': '2026-03-29T07:00:00.000Z',
    });
  });

  it('fall back: the Sunday is 25 hours, digests still at 08:00 local, no post missed', async () => {
    // Clocks go back at 01:00 GMT on Sunday 25 October 2026: 08:00 is 07:00Z before, 08:00Z after.
    const posts = ['2026-10-17T09:30:00Z', '2026-10-24T06:30:00Z', '2026-10-24T07:30:00Z', '2026-10-25T07:30:00Z', '2026-10-25T08:30:00Z'];
    const sent = await walk(8, '2026-10-17T00:00:00Z', '2026-10-26T12:00:00Z', posts);
    for (const s of sent) expect(londonTime(s.at), s.at.toISOString()).toBe('08:00');
    expect(listedIn(sent, 'daily')).toEqual({
      '2026-10-17T09:30:00.000Z': '2026-10-18T07:00:00.000Z',
      '2026-10-24T06:30:00.000Z': '2026-10-24T07:00:00.000Z',
      '2026-10-24T07:30:00.000Z': '2026-10-25T08:00:00.000Z',
      '2026-10-25T07:30:00.000Z': '2026-10-25T08:00:00.000Z',
      '2026-10-25T08:30:00.000Z': '2026-10-26T08:00:00.000Z',
    });
    // Weekly on Sundays: 18 October (07:00Z) then 25 October (08:00Z, a week of 169 hours).
    expect(listedIn(sent, 'weekly')).toEqual({
      '2026-10-17T09:30:00.000Z': '2026-10-18T07:00:00.000Z',
      '2026-10-24T06:30:00.000Z': '2026-10-25T08:00:00.000Z',
      '2026-10-24T07:30:00.000Z': '2026-10-25T08:00:00.000Z',
      '2026-10-25T07:30:00.000Z': '2026-10-25T08:00:00.000Z',
    });
  });

  it('a digest time the clocks skip or show twice (01:00) goes out once that day', async () => {
    const spring = await walk(1, '2026-03-28T00:00:00Z', '2026-03-30T12:00:00Z', ['2026-03-28T12:30:00Z', '2026-03-29T12:30:00Z']);
    // 01:00 GMT on the 28th; on the 29th 01:00 is never shown: sent when the clocks jump (01:00Z = 02:00 BST).
    expect(spring.filter((s) => s.frequency === 'daily').map((s) => s.at.toISOString())).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z']);
    const autumn = await walk(1, '2026-10-24T00:00:00Z', '2026-10-26T12:00:00Z', ['2026-10-24T12:30:00Z', '2026-10-25T12:30:00Z']);
    // On the 25th 01:00 is shown twice (00:00Z BST, 01:00Z GMT): sent at the first only.
    expect(autumn.filter((s) => s.frequency === 'daily').map((s) => s.at.toISOString())).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-26T01:00:00.000Z']);
    expect(listedIn(autumn, 'daily')).toEqual({ '2026-10-24T12:30:00.000Z': '2026-10-25T00:00:00.000Z', '2026-10-25T12:30:00.000Z': '2026-10-26T01:00:00.000Z' });
  });
});
