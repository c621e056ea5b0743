// Daily and weekly digests, through the one job queue (server/jobs):
//   `email:digest-tick` (hourly cron) inserts one email_digests row per address (UNIQUE per address,
//     frequency and period) at the site's chosen hour and time zone, and queues `email:send-digests`;
//   `email:send-digests` claims each row, gathers the period's posts per subscription and sends.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { EmailFrequency } from '../db/schema.js';
import type { JobContext, JobHandler, JobInfo } from '../jobs/worker.js';
import { resolveSearch } from '../search/params.js';
import { whereSearchMatches } from '../search/queries.js';
import { readSiteSettings } from '../site/settings.js';
import { absoluteUrl, urls } from '../urls.js';
import { enqueueBatches, recordHardBounce } from './jobs.js';
import { digestEmail, type DigestGroup } from './messages.js';
import { listSubscriptions } from './queries.js';
import { addDays, localDate, readEmailSettings, weekdayOf, zonedInstant } from './settings.js';
import { signToken, siteSecretOf } from './tokens.js';
import { deliver, failureText, isPermanentFailure } from './transport.js';

export const EMAIL_DIGEST_TICK = 'email:digest-tick';
export const EMAIL_SEND_DIGESTS = 'email:send-digests';

/**
 * `email:digest-tick` (hourly cron): in the hour after the site's digest time (its hour, in its time
 * zone, on today's local date), one digest row per address with daily subscriptions (and, on the
 * weekly day, weekly ones), and their send jobs. A period is a calendar day or week in that zone: from
 * the digest time of the previous day (or the same weekday a week before) to today's, so across a
 * change of clocks a day lasts 23 or 25 hours and consecutive periods meet exactly (no post missed or
 * listed twice). A digest time the clocks skip is the moment they skip it. `force` (operators) runs
 * the most recent digest time that has passed, whatever the hour.
 */
export const digestTick: JobHandler = async (payload, context) => {
  const now = context.clock.now();
  const settings = await readEmailSettings(context.db);
  const { digestHour, timeZone } = settings;
  let day = localDate(now, timeZone);
  let end = zonedInstant(day, digestHour, timeZone);
  if (payload.force === true) {
    if (end > now) {
      day = addDays(day, -1);
      end = zonedInstant(day, digestHour, timeZone);
    }
  } else if (!(end <= now && now.getTime() < end.getTime() + 3_600_000)) return;
  const frequencies: Array<'daily' | 'weekly'> = ['daily'];
  if (weekdayOf(day) === settings.weeklyDay || payload.force === true) frequencies.push('weekly');
  for (const frequency of frequencies) {
    const periodStart = zonedInstant(addDays(day, frequency === 'daily' ? -1 : -7), digestHour, timeZone);
    await context.db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ id: number }>`
        INSERT INTO email_digests (address_id, frequency, period_start, period_end)
        SELECT DISTINCT s.address_id, ${frequency}, ${periodStart}::timestamptz, ${end}::timestamptz
        FROM email_subscriptions s JOIN email_addresses a ON a.id = s.address_id
        WHERE s.confirmed_at IS NOT NULL AND a.suspended_at IS NULL AND s.frequency = ${frequency}
        ORDER BY 1
        ON CONFLICT (address_id, frequency, period_end) DO NOTHING
        RETURNING id`.execute(tx);
      await enqueueBatches(tx, EMAIL_SEND_DIGESTS, rows.map((r) => Number(r.id)));
    });
  }
};

/** `email:send-digests` { ids }: each digest row of the batch still queued, claimed then sent. */
export const sendDigests: JobHandler = async (payload, context, job) => {
  const ids = Array.isArray(payload.ids) ? payload.ids.map(Number).filter(Number.isSafeInteger) : [];
  const secret = await siteSecretOf(context.db);
  const siteName = (await readSiteSettings(context.db)).name;
  for (const id of ids) await sendOneDigest(context, job, secret, siteName, id);
};

async function sendOneDigest(context: JobContext, job: JobInfo, secret: string, siteName: string, digestId: number): Promise<void> {
  const { db, config } = context;
  const claim = randomUUID();
  const claimed = await db
    .updateTable('email_digests')
    .set({ status: 'sending', claim_token: claim, claimed_at: sql`now()` })
    .where('id', '=', digestId)
    .where('status', '=', 'queued')
    .returning(['address_id', 'frequency', 'period_start', 'period_end'])
    .executeTakeFirst();
  if (!claimed) return;
  const finish = (status: 'sent' | 'failed' | 'skipped' | 'queued', lastError: string | null) =>
    db
      .updateTable('email_digests')
      .set({ status, last_error: lastError, sent_at: status === 'sent' ? sql`now()` : null, ...(status === 'queued' ? { claim_token: null, claimed_at: null } : {}) })
      .where('id', '=', digestId)
      .where('claim_token', '=', claim)
      .execute();
  const address = await db.selectFrom('email_addresses').select(['address', 'suspended_at']).where('id', '=', claimed.address_id).executeTakeFirst();
  if (!address || address.suspended_at) return void (await finish('skipped', 'the address was suspended'));
  const groups = await digestGroups(context, claimed.address_id, claimed.frequency, claimed.period_start, claimed.period_end);
  if (groups.length === 0) return void (await finish('skipped', 'no new posts in the period'));
  const publicUrl = config.publicUrl;
  const email = digestEmail(groups, {
    frequency: claimed.frequency,
    siteName,
    manageUrl: absoluteUrl(publicUrl, urls.emailManage(signToken(secret, 'manage', claimed.address_id))),
    unsubscribeUrl: absoluteUrl(publicUrl, urls.emailUnsubscribe(signToken(secret, claimed.frequency === 'daily' ? 'unsubscribe-daily' : 'unsubscribe-weekly', claimed.address_id))),
  });
  try {
    await deliver(db, config, { to: address.address, fromName: siteName, ...email });
  } catch (err) {
    if (isPermanentFailure(err)) {
      await finish('failed', failureText(err));
      await recordHardBounce(db, claimed.address_id, failureText(err));
      return;
    }
    if (job.lastAttempt) return void (await finish('failed', `gave up after ${job.attempts} tries: ${failureText(err)}`));
    await finish('queued', failureText(err));
    throw err;
  }
  await finish('sent', null);
}

// The period's public posts for each of the address's subscriptions of this frequency; a post matched
// by several subscriptions is listed once, under the first.
async function digestGroups(context: JobContext, addressId: number, frequency: EmailFrequency, start: Date, end: Date): Promise<DigestGroup[]> {
  const { db, config } = context;
  const now = context.clock.now();
  const subs = (await listSubscriptions(db, { addressId })).filter((s) => s.confirmed && s.frequency === frequency);
  const rows = await db.selectFrom('email_subscriptions').select(['id', 'kind', 'project_id', 'tag_id', 'person_id', 'search']).where('address_id', '=', addressId).where('frequency', '=', frequency).where('confirmed_at', 'is not', null).orderBy('id').execute();
  const seen = new Set<number>();
  const groups: DigestGroup[] = [];
  for (const row of rows) {
    let q = db
      .selectFrom('posts')
      .innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.id', 'posts.title', 'posts.summary', 'posts.slug', 'posts.published_at', 'projects.slug as project_slug', 'projects.title as project_title'])
      .where('posts.announced_at', '>', start)
      .where('posts.announced_at', '<=', end)
      .where('posts.deleted_at', 'is', null)
      .where('posts.status', 'in', ['published', 'scheduled'])
      .where('posts.published_at', '<=', now)
      .orderBy('posts.published_at')
      .limit(50);
    if (row.kind === 'project' && row.project_id !== null) q = q.where('posts.project_id', '=', row.project_id);
    else if (row.kind === 'tag' && row.tag_id !== null) {
      const tagId = row.tag_id;
      q = q.where((eb) => eb.exists(eb.selectFrom('post_tags').select('post_tags.post_id').whereRef('post_tags.post_id', '=', 'posts.id').where('post_tags.tag_id', '=', tagId)));
    } else if (row.kind === 'person' && row.person_id !== null) {
      const personId = row.person_id;
      q = q.where((eb) => eb.exists(eb.selectFrom('post_authors').select('post_authors.post_id').whereRef('post_authors.post_id', '=', 'posts.id').where('post_authors.person_id', '=', personId)));
    } else if (row.kind === 'search' && row.search) {
      const resolved = await resolveSearch(db, { q: row.search.q ?? '', project: row.search.project, tag: row.search.tag, author: row.search.author });
      if (!resolved.ok) continue;
      q = whereSearchMatches(q, now, resolved.filter);
    } else continue;
    const posts = (await q.execute()).filter((p) => !seen.has(p.id));
    if (!posts.length) continue;
    for (const p of posts) seen.add(p.id);
    const sub = subs.find((s) => s.id === row.id);
    groups.push({
      description: sub?.description ?? 'new posts',
      posts: posts.map((p) => ({ title: p.title, summary: p.summary, url: absoluteUrl(config.publicUrl, urls.post(p.project_slug, p.slug)), projectTitle: p.project_title, publishedAt: p.published_at ?? now })),
    });
  }
  return groups;
}
