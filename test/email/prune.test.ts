// Unconfirmed subscriptions are not kept: the daily `email:prune-unconfirmed` removes those still
// unconfirmed 72 h (the link's lifetime) + 24 h after they were last asked for, and addresses left with
// nothing; confirmed subscriptions, addresses with a history and suspended addresses stay. The same job
// prunes digest runs older than a year, keeping the latest run of each frequency whatever its age.
import { beforeAll, describe, expect, it } from 'vitest';
import { jobDefinitions } from '../../server/job-list.js';
import { enqueue } from '../../server/jobs/queue.js';
import { buildTestApp, runJobs, type TestApp } from '../helpers/test-app.js';
import { makeWorld, subscribe } from './helpers.js';

let t: TestApp;
const HOUR = 3_600_000;

beforeAll(async () => {
  t = await buildTestApp();
  await makeWorld(t);
});

async function prune() {
  await t.db.transaction().execute((tx) => enqueue(tx, 'email:prune-unconfirmed', {}));
  await runJobs(t);
}
const subscriptionsOf = async (address: string) =>
  (await t.db.selectFrom('email_subscriptions').innerJoin('email_addresses', 'email_addresses.id', 'email_subscriptions.address_id').select(['email_subscriptions.kind', 'email_subscriptions.confirmed_at']).where('email_addresses.address', '=', address).execute()).map((r) => `${r.kind}:${r.confirmed_at ? 'confirmed' : 'pending'}`);
const addressExists = async (address: string) => Boolean(await t.db.selectFrom('email_addresses').select('id').where('address', '=', address).executeTakeFirst());

describe('pruning unconfirmed subscriptions', () => {
  it('is a daily cron item', () => {
    expect((jobDefinitions.cron ?? []).some((c) => c.task === 'email:prune-unconfirmed')).toBe(true);
  });

  it('removes what nobody confirmed after 72 h + 24 h, and nothing else', async () => {
    const start = t.clock.now().getTime();
    for (const a of ['never@example.org', 'confirmed@example.org', 'asked-again@example.org', 'bounced@example.org']) expect((await subscribe(t, 'project:river', a)).statusCode).toBe(303);
    expect((await subscribe(t, 'tag:river/flooding', 'confirmed@example.org')).statusCode).toBe(303);
    await t.db.updateTable('email_subscriptions').set({ confirmed_at: t.clock.now() }).where('kind', '=', 'project').where('address_id', '=', t.db.selectFrom('email_addresses').select('id').where('address', '=', 'confirmed@example.org')).execute();
    await t.db.updateTable('email_addresses').set({ suspended_at: t.clock.now(), hard_bounces: 3 }).where('address', '=', 'bounced@example.org').execute();
    // Asked for again 90 h later: counts from then (a fresh link was sent).
    t.clock.set(new Date(start + 90 * HOUR));
    expect((await subscribe(t, 'project:river', 'asked-again@example.org')).statusCode).toBe(303);

    // 95 h: still within the lifetime and margin.
    t.clock.set(new Date(start + 95 * HOUR));
    await prune();
    expect(await subscriptionsOf('never@example.org')).toEqual(['project:pending']);

    // Just past 96 h.
    t.clock.set(new Date(start + 96 * HOUR + 60_000));
    await prune();
    expect(await subscriptionsOf('never@example.org')).toEqual([]);
    expect(await addressExists('never@example.org')).toBe(false);
    expect(await subscriptionsOf('confirmed@example.org')).toEqual(['project:confirmed']);
    expect(await subscriptionsOf('asked-again@example.org')).toEqual(['project:pending']);
    // A suspended address is kept (its suspension stops mail to it), its pending subscription is not.
    expect(await addressExists('bounced@example.org')).toBe(true);
    expect(await subscriptionsOf('bounced@example.org')).toEqual([]);

    // 90 h + 97 h: the one asked for again goes too.
    t.clock.set(new Date(start + 187 * HOUR));
    await prune();
    expect(await addressExists('asked-again@example.org')).toBe(false);
    expect(await subscriptionsOf('confirmed@example.org')).toEqual(['project:confirmed']);
  });

  it('removes digest runs older than a year, but keeps the latest run of each frequency however old', async () => {
    const now = t.clock.now().getTime();
    const DAY = 86_400_000;
    const run = (frequency: 'daily' | 'weekly', endDaysAgo: number, length: number) => ({ frequency, period_start: new Date(now - (endDaysAgo + length) * DAY), period_end: new Date(now - endDaysAgo * DAY) });
    await t.db.deleteFrom('email_digest_runs').execute();
    await t.db
      .insertInto('email_digest_runs')
      .values([run('daily', 500, 1), run('daily', 367, 1), run('daily', 365, 1), run('daily', 2, 1), run('weekly', 800, 7), run('weekly', 400, 7)])
      .execute();
    await prune();
    const left = (await t.db.selectFrom('email_digest_runs').select(['frequency', 'period_end']).orderBy('frequency').orderBy('period_end').execute()).map((r) => `${r.frequency}:${Math.round((now - r.period_end.getTime()) / DAY)}`);
    // The weekly digest has not run for 400 days: its latest run stays, the digest tick starts there.
    expect(left).toEqual(['daily:365', 'daily:2', 'weekly:400']);
  });
});
