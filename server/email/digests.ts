// Daily and weekly digests, through the one job queue (server/jobs):
//   `email:digest-tick` (cron, every 10 minutes) inserts, per frequency, one digest run of the site
//     (email_digest_runs: from where the last run ended to the latest digest time that has passed), then
//     one email_digests row per address (UNIQUE per address, frequency and period) and their
//     `email:send-digests` jobs, all in one transaction. The database keeps runs of one frequency from
//     overlapping (an exclusion constraint), so two servers ticking at once make one run, and a run
//     always starts where the last one ended, so nothing is skipped: not when every server was down
//     through the digest hour, not when a site admin moves the digest time.
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
import { addDays, localDate, readEmailSettings, weekdayOf, zonedInstant, type EmailSettings, type LocalDate } from './settings.js';
import { signToken, siteSecretOf } from './tokens.js';
import { deliver, failureText, isPermanentFailure } from './transport.js';

export const EMAIL_DIGEST_TICK = 'email:digest-tick';
export const EMAIL_SEND_DIGESTS = 'email:send-digests';

/** Posts per subscription in one digest (the newest, when a catch-up digest has more). */
export const DIGEST_POSTS_PER_SUBSCRIPTION = 50;

const DIGEST_FREQUENCIES = ['daily', 'weekly'] as const;

/**
 * The latest digest time of a frequency at or before `now` under these settings (the digest hour of a
 * local date in the site's zone; weekly: of the weekly day), and the start of that period had the
 * previous digest gone out on time (the same hour the day, or the week, before: a calendar day or week,
 * 23 or 25 hours long across a change of clocks).
 */
export function latestDigestTime(now: Date, settings: EmailSettings, frequency: 'daily' | 'weekly'): { day: LocalDate; end: Date; usualStart: Date } {
  const today = localDate(now, settings.timeZone);
  for (let back = 0; back <= 8; back += 1) {
    const day = addDays(today, -back);
    if (frequency === 'weekly' && weekdayOf(day) !== settings.weeklyDay) continue;
    const end = zonedInstant(day, settings.digestHour, settings.timeZone);
    if (end > now) continue;
    return { day, end, usualStart: zonedInstant(addDays(day, frequency === 'daily' ? -1 : -7), settings.digestHour, settings.timeZone) };
  }
  throw new Error('no digest time in the last 8 days'); // unreachable: every week has that weekday
}

/**
 * `email:digest-tick`: for each frequency, the digest time that has passed most recently; if the last
 * run of that frequency ended before it, one run from that end to it (the first run ever: from the
 * usual start). So a digest missed while no server ran (a deploy, an outage) goes out at the next tick,
 * with every post since the last one sent, and after a long outage one catch-up digest covers the whole
 * gap (not one stale digest per missed day). Moving the digest time earlier or later makes the next
 * period shorter or longer once: never a moment twice, never a gap.
 */
export const digestTick: JobHandler = async (_payload, context) => {
  const now = context.clock.now();
  const settings = await readEmailSettings(context.db);
  for (const frequency of DIGEST_FREQUENCIES) {
    const { end, usualStart } = latestDigestTime(now, settings, frequency);
    await context.db.transaction().execute(async (tx) => {
      // Two servers at once: the second insert waits for the first, then conflicts (same end, or an
      // overlapping period) and does nothing.
      const { rows: runs } = await sql<{ period_start: Date }>`
        INSERT INTO email_digest_runs (frequency, period_start, period_end)
        SELECT ${frequency}, coalesce(last.period_end, ${usualStart}::timestamptz), ${end}::timestamptz
        FROM (SELECT max(period_end) AS period_end FROM email_digest_runs WHERE frequency = ${frequency}) last
        WHERE coalesce(last.period_end, ${usualStart}::timestamptz) < ${end}::timestamptz
        ON CONFLICT DO NOTHING
        RETURNING period_start`.execute(tx);
      const run = runs[0];
      if (!run) return;
      const periodStart = new Date(run.period_start);
      const { rows } = await sql<{ id: number }>`
        INSERT INTO email_digests (address_id, frequency, period_start, period_end)
        SELECT DISTINCT s.address_id, ${frequency}, ${periodStart}::timestamptz, ${end}::timestamptz
        FROM email_subscriptions s JOIN email_addresses a ON a.id = s.address_id
        WHERE s.confirmed_at IS NOT NULL AND a.suspended_at IS NULL AND s.frequency = ${frequency}
        ORDER BY 1
        ON CONFLICT (address_id, frequency, period_end) DO NOTHING
        RETURNING id`.execute(tx);
      await enqueueBatches(tx, EMAIL_SEND_DIGESTS, rows.map((r) => Number(r.id)));
      const late = periodStart < usualStart;
      context.log.info(
        { event: 'email_digest_run', frequency, periodStart: periodStart.toISOString(), periodEnd: end.toISOString(), digests: rows.length, catchUp: late },
        `${frequency} digest ${late ? 'catching up since the last one sent, ' : ''}${periodStart.toISOString()} to ${end.toISOString()}: ${rows.length} queued`,
      );
    });
  }
};

/** `email:send-digests` { ids }: each digest row of the batch still queued, claimed then sent. */
export const sendDigests: JobHandler = async (payload, context, job) => {
  const ids = Array.isArray(payload.ids) ? payload.ids.map(Number).filter(Number.isSafeInteger) : [];
  const secret = await siteSecretOf(context.db);
  const siteName = (await readSiteSettings(context.db)).name;
  const settings = await readEmailSettings(context.db);
  for (const id of ids) await sendOneDigest(context, job, secret, siteName, settings, id);
};

/** "Saturday, 5 December 2026 at 08:00 (Europe/London)": when a longer period than usual began. */
function periodStartText(at: Date, timeZone: string): string {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `${format.format(at)} (${timeZone})`;
}

async function sendOneDigest(context: JobContext, job: JobInfo, secret: string, siteName: string, settings: EmailSettings, digestId: number): Promise<void> {
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
  // A period longer than usual (a catch-up after downtime, or the digest time moved later) says so.
  const frequency = claimed.frequency === 'weekly' ? 'weekly' : 'daily';
  const usualStart = latestDigestTime(claimed.period_end, settings, frequency).usualStart;
  const email = digestEmail(groups, {
    frequency: claimed.frequency,
    siteName,
    ...(claimed.period_start < usualStart ? { since: periodStartText(claimed.period_start, settings.timeZone) } : {}),
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
      .orderBy('posts.published_at', 'desc')
      .limit(DIGEST_POSTS_PER_SUBSCRIPTION);
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
    const posts = (await q.execute()).reverse().filter((p) => !seen.has(p.id));
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
