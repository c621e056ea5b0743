// Email delivery through the one job queue (server/jobs). The chain:
//   post:changed (firstTime) → emailOnPostChange queues `email:fan-out` in the same transaction;
//   `email:fan-out` inserts one email_deliveries row per (address, post) — UNIQUE, so at most once,
//     whatever the retries, servers or crashes — and queues `email:send` jobs of SEND_BATCH rows, all
//     in one transaction (rows and jobs both, or neither);
//   `email:send` claims its rows CLAIM_CHUNK at a time, each chunk in one committed statement (queued →
//     sending, with a claim token), checks that the post is still public and the subscriptions still
//     there, sends the chunk over the pooled SMTP connections, then marks the sent rows in one UPDATE.
//     A temporary failure puts that row back to queued and throws (the queue retries the job with
//     backoff; the retry claims only what is queued); a 5xx is recorded as failed and counts as a
//     hard bounce (HARD_BOUNCE_LIMIT suspends the address).
//   A row left `sending` by a worker that died is never sent again (it may have reached the SMTP
//     server: at most once wins); `email:sweep-claims` marks such rows `unknown` for the site admin.
//   Digests (daily, weekly) live in ./digests.ts and share enqueueBatches and recordHardBounce.
//   `email:confirm` sends the double opt-in email for a subscription; one the mail server refuses (or
//     that no try could deliver) is recorded (email_confirmation_refusals) and listed at /admin/email.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import { DEFAULT_MAX_ATTEMPTS, enqueue } from '../jobs/queue.js';
import type { JobContext, JobHandler, JobInfo } from '../jobs/worker.js';
import type { PostChangeListener } from '../posts/events.js';
import { isPostPublic } from '../db/sql-helpers.js';
import { readSettings } from '../projects/settings.js';
import { resolveSearch } from '../search/params.js';
import { whereSearchMatches } from '../search/queries.js';
import { readSiteSettings } from '../site/settings.js';
import { absoluteUrl, urls } from '../urls.js';
import { alreadySubscribedEmail, confirmationEmail, postEmailComposer } from './messages.js';
import { clearConfirmationRefusals, listSubscriptions, recordConfirmationRefusal } from './queries.js';
import { CONFIRM_LINK_HOURS, signToken, siteSecretOf } from './tokens.js';
import { deliver, failureText, isPermanentFailure } from './transport.js';

export const EMAIL_CONFIRM = 'email:confirm';
export const EMAIL_FAN_OUT = 'email:fan-out';
export const EMAIL_SEND = 'email:send';
export const EMAIL_SWEEP_CLAIMS = 'email:sweep-claims';

/** Rows per `email:send` job. */
export const SEND_BATCH = 100;
/** Hard bounces (5xx) after which an address is suspended. */
export const HARD_BOUNCE_LIMIT = 3;
/** A claim older than this belongs to a worker that stopped (SMTP timeouts are far shorter). */
export const STALE_CLAIM_MINUTES = 15;

/** Listens for posts that became public for the first time (server/job-list.ts wires it). */
export const emailOnPostChange: PostChangeListener = async (tx, change) => {
  if (!change.firstTime) return;
  await enqueue(tx, EMAIL_FAN_OUT, { postId: change.postId }, { jobKey: `email-fan-out:${change.postId}` });
};

/** `email:confirm` { subscriptionId }: the opt-in email (or, if confirmed already, where to manage it). */
export const sendConfirmation: JobHandler = async (payload, context, job) => {
  const id = Number(payload.subscriptionId);
  if (!Number.isSafeInteger(id)) return;
  const [sub] = await listSubscriptions(context.db, { ids: [id] });
  if (!sub) return;
  const address = await context.db.selectFrom('email_addresses').select(['address', 'suspended_at']).where('id', '=', sub.addressId).executeTakeFirst();
  if (!address || address.suspended_at) return;
  const secret = await siteSecretOf(context.db);
  const siteName = (await readSiteSettings(context.db)).name;
  const publicUrl = context.config.publicUrl;
  const now = context.clock.now();
  const email = sub.confirmed
    ? alreadySubscribedEmail({ description: sub.description, siteName, manageUrl: absoluteUrl(publicUrl, urls.emailManage(signToken(secret, 'manage', sub.addressId))) })
    : confirmationEmail({
        description: sub.description,
        siteName,
        hours: CONFIRM_LINK_HOURS,
        confirmUrl: absoluteUrl(publicUrl, urls.emailConfirm(signToken(secret, 'confirm', sub.id, new Date(now.getTime() + CONFIRM_LINK_HOURS * 3_600_000)))),
      });
  try {
    await deliver(context.db, context.config, { to: address.address, fromName: sub.projectTitle ?? siteName, ...email });
  } catch (err) {
    const permanent = isPermanentFailure(err);
    if (permanent || job.lastAttempt) {
      // Recorded for site admins (/admin/email); the person who filled in the form was already told
      // the one same answer, so nothing is revealed about whether the address exists.
      const reason = permanent ? failureText(err) : `gave up after ${job.attempts} tries: ${failureText(err)}`;
      context.log.warn({ event: 'email_confirmation_refused', subscriptionId: id, reason }, 'a confirmation email did not reach its address; listed for site admins');
      await recordConfirmationRefusal(context.db, { addressId: sub.addressId, description: sub.description, reason, at: now });
      return;
    }
    throw err;
  }
  await clearConfirmationRefusals(context.db, sub.addressId);
};

/** `email:fan-out` { postId }: one delivery row per subscribed address, and their send jobs. */
export const fanOut: JobHandler = async (payload, context) => {
  const postId = Number(payload.postId);
  if (!Number.isSafeInteger(postId)) return;
  const now = context.clock.now();
  const post = await context.db.selectFrom('posts').select(['id', 'project_id', 'status', 'published_at', 'deleted_at']).where('id', '=', postId).executeTakeFirst();
  if (!post || !isPostPublic(post, now)) return;
  const searchKeys = await matchingSearchKeys(context.db, postId, now);
  await context.db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ id: number }>`
      INSERT INTO email_deliveries (address_id, post_id)
      SELECT DISTINCT s.address_id, ${postId}::bigint
      FROM email_subscriptions s JOIN email_addresses a ON a.id = s.address_id
      WHERE s.confirmed_at IS NOT NULL AND a.suspended_at IS NULL AND s.frequency = 'each' AND (
        (s.kind = 'project' AND s.project_id = ${post.project_id})
        OR (s.kind = 'tag' AND s.tag_id IN (SELECT tag_id FROM post_tags WHERE post_id = ${postId}))
        OR (s.kind = 'person' AND s.person_id IN (SELECT person_id FROM post_authors WHERE post_id = ${postId}))
        OR (s.kind = 'search' AND s.target_key = ANY(${searchKeys}::text[]))
      )
      ORDER BY 1
      ON CONFLICT (address_id, post_id) DO NOTHING
      RETURNING id`.execute(tx);
    const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    await enqueueBatches(tx, EMAIL_SEND, ids);
    context.log.info({ event: 'email_fan_out', postId, deliveries: ids.length }, `post ${postId}: ${ids.length} emails queued`);
  });
};

/**
 * Queues the send jobs of SEND_BATCH ids each in one statement (graphile-worker's add_jobs, the bulk
 * twin of the add_job that server/jobs/queue.ts uses): 500 round trips were most of the fan-out's time
 * for 50,000 subscribers.
 */
export async function enqueueBatches(tx: Tx, task: string, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  const specs: Array<Record<string, unknown>> = [];
  for (let i = 0; i < ids.length; i += SEND_BATCH) specs.push({ identifier: task, payload: { ids: ids.slice(i, i + SEND_BATCH) }, max_attempts: DEFAULT_MAX_ATTEMPTS, priority: 0 });
  await sql`SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(SELECT s FROM json_populate_recordset(NULL::graphile_worker.job_spec, ${JSON.stringify(specs)}::json) s))`.execute(tx);
}

// The search subscriptions (each post, confirmed) that this post matches.
async function matchingSearchKeys(db: Db, postId: number, now: Date): Promise<string[]> {
  const searches = await db
    .selectFrom('email_subscriptions')
    .select(['target_key', 'search'])
    .distinctOn('target_key')
    .where('kind', '=', 'search')
    .where('frequency', '=', 'each')
    .where('confirmed_at', 'is not', null)
    .execute();
  const keys: string[] = [];
  for (const s of searches) {
    if (!s.search) continue;
    const resolved = await resolveSearch(db, { q: s.search.q ?? '', project: s.search.project, tag: s.search.tag, author: s.search.author });
    if (!resolved.ok) continue;
    const hit = await whereSearchMatches(db.selectFrom('posts').select('posts.id').where('posts.id', '=', postId), now, resolved.filter).executeTakeFirst();
    if (hit) keys.push(s.target_key);
  }
  return keys;
}

interface PostRow {
  id: number;
  title: string;
  summary: string;
  body_html: string;
  body_md: string;
  slug: string;
  status: import('../db/schema.js').PostStatus;
  published_at: Date | null;
  deleted_at: Date | null;
  project_slug: string;
  project_title: string;
  project_settings: Record<string, unknown>;
}

async function loadPost(db: Db, postId: number): Promise<PostRow | undefined> {
  return db
    .selectFrom('posts')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select(['posts.id', 'posts.title', 'posts.summary', 'posts.body_html', 'posts.body_md', 'posts.slug', 'posts.status', 'posts.published_at', 'posts.deleted_at', 'projects.slug as project_slug', 'projects.title as project_title', 'projects.settings as project_settings'])
    .where('posts.id', '=', postId)
    .executeTakeFirst();
}

async function authorNames(db: Db, postId: number): Promise<string[]> {
  const rows = await db.selectFrom('post_authors').innerJoin('people', 'people.id', 'post_authors.person_id').select('people.display_name').where('post_authors.post_id', '=', postId).orderBy('post_authors.position').execute();
  return rows.map((r) => r.display_name);
}

/**
 * `email:send` { ids }: sends the rows of the batch that are still queued, CLAIM_CHUNK at a time. Each
 * chunk is claimed in one committed UPDATE … RETURNING (queued → sending, with a claim token) before
 * anything is sent: a row is sent by one worker only, and a worker that dies after sending leaves
 * `sending` behind, never `queued` (at most CLAIM_CHUNK rows per job in flight, so at most that many
 * end `unknown` after a crash). The post, its authors and its rendered body are read once per job; the
 * addresses and matching subscriptions once per chunk; the chunk's emails go out at once over the
 * pooled SMTP connections; the results are recorded with one UPDATE per outcome.
 */
export const sendBatch: JobHandler = async (payload, context, job) => {
  const ids = Array.isArray(payload.ids) ? payload.ids.map(Number).filter(Number.isSafeInteger) : [];
  if (ids.length === 0) return;
  const secret = await siteSecretOf(context.db);
  const posts = new Map<number, PreparedPost | undefined>();
  for (let i = 0; i < ids.length; i += CLAIM_CHUNK) await sendChunk(context, job, secret, ids.slice(i, i + CLAIM_CHUNK), posts);
};

/** Delivery rows claimed, sent and recorded together. */
export const CLAIM_CHUNK = 20;

interface PreparedPost {
  row: PostRow;
  compose: ReturnType<typeof postEmailComposer>;
}

async function preparePost(context: JobContext, postId: number): Promise<PreparedPost | undefined> {
  const row = await loadPost(context.db, postId);
  if (!row) return undefined;
  const publicUrl = context.config.publicUrl;
  const compose = postEmailComposer(
    {
      title: row.title,
      summary: row.summary,
      bodyHtml: row.body_html,
      bodyMd: row.body_md,
      url: absoluteUrl(publicUrl, urls.post(row.project_slug, row.slug)),
      projectTitle: row.project_title,
      authors: await authorNames(context.db, row.id),
      publishedAt: row.published_at ?? context.clock.now(),
    },
    { fullText: readSettings(row.project_settings).emailFullText, publicUrl },
  );
  return { row, compose };
}

async function sendChunk(context: JobContext, job: JobInfo, secret: string, ids: number[], posts: Map<number, PreparedPost | undefined>): Promise<void> {
  const { db, config } = context;
  const claim = randomUUID();
  // One statement claims every row of the chunk that is still queued. A row another server is claiming
  // at the same moment waits for it, then is re-checked (status = 'queued' no longer holds): never both.
  const { rows: claimed } = await sql<{ id: string | number; address_id: string | number; post_id: string | number }>`
    UPDATE email_deliveries SET status = 'sending', claim_token = ${claim}, claimed_at = now()
    WHERE id = ANY(${ids}::bigint[]) AND status = 'queued'
    RETURNING id, address_id, post_id`.execute(db);
  if (claimed.length === 0) return;
  const rows = claimed.map((r) => ({ id: Number(r.id), addressId: Number(r.address_id), postId: Number(r.post_id) })).sort((a, b) => a.id - b.id);
  const finish = async (status: 'sent' | 'failed' | 'skipped' | 'queued', deliveryIds: number[], lastError: string | null) => {
    if (deliveryIds.length === 0) return;
    await db
      .updateTable('email_deliveries')
      .set({ status, last_error: lastError, sent_at: status === 'sent' ? sql`now()` : null, ...(status === 'queued' ? { claim_token: null, claimed_at: null } : {}) })
      .where('id', 'in', deliveryIds)
      .where('claim_token', '=', claim)
      .execute();
  };

  const addresses = new Map(
    (await db.selectFrom('email_addresses').select(['id', 'address', 'suspended_at']).where('id', 'in', [...new Set(rows.map((r) => r.addressId))]).execute()).map((a) => [Number(a.id), a]),
  );
  const skipped = new Map<string, number[]>();
  const skip = (reason: string, id: number) => skipped.set(reason, [...(skipped.get(reason) ?? []), id]);
  const outgoing: Array<{ id: number; addressId: number; to: string; post: PreparedPost; sub: { id: number; description: string } }> = [];
  for (const postId of new Set(rows.map((r) => r.postId))) {
    if (!posts.has(postId)) posts.set(postId, await preparePost(context, postId));
    const post = posts.get(postId);
    const ofPost = rows.filter((r) => r.postId === postId);
    // Public now (the app clock): never after it was unpublished, deleted or moved back to the future.
    if (!post || !isPostPublic(post.row, context.clock.now())) {
      for (const r of ofPost) skip('the post was not public when its email was due', r.id);
      continue;
    }
    const live = ofPost.filter((r) => {
      const address = addresses.get(r.addressId);
      if (address && !address.suspended_at) return true;
      skip('the address was suspended', r.id);
      return false;
    });
    const subs = await matchingEachSubscriptions(db, live.map((r) => r.addressId), postId);
    for (const r of live) {
      const sub = subs.get(r.addressId);
      if (!sub) skip('no subscription for this post any more', r.id);
      else outgoing.push({ id: r.id, addressId: r.addressId, to: addresses.get(r.addressId)!.address, post, sub });
    }
  }
  for (const [reason, skippedIds] of skipped) await finish('skipped', skippedIds, reason);

  const publicUrl = config.publicUrl;
  const results = await Promise.allSettled(
    outgoing.map(({ to, post, sub, addressId }) =>
      deliver(db, config, {
        to,
        fromName: post.row.project_title,
        ...post.compose({
          why: sub.description,
          manageUrl: absoluteUrl(publicUrl, urls.emailManage(signToken(secret, 'manage', addressId))),
          unsubscribeUrl: absoluteUrl(publicUrl, urls.emailUnsubscribe(signToken(secret, 'unsubscribe', sub.id))),
        }),
      }),
    ),
  );
  const sent: number[] = [];
  const temporary: Array<{ id: number; err: unknown }> = [];
  for (const [i, result] of results.entries()) {
    const { id, addressId } = outgoing[i]!;
    if (result.status === 'fulfilled') sent.push(id);
    else if (isPermanentFailure(result.reason)) {
      await finish('failed', [id], failureText(result.reason));
      await recordHardBounce(db, addressId, failureText(result.reason));
    } else temporary.push({ id, err: result.reason });
  }
  await finish('sent', sent, null);
  if (temporary.length === 0) return;
  const first = temporary[0]!.err;
  if (job.lastAttempt) return void (await finish('failed', temporary.map((t) => t.id), `gave up after ${job.attempts} tries: ${failureText(first)}`));
  // Back to queued: the queue retries the job with backoff, and the retry claims only what is queued.
  await finish('queued', temporary.map((t) => t.id), failureText(first));
  throw first;
}

// For each address, its confirmed each-post subscription that this post matches (for "why" and the
// unsubscribe link): a project or tag or person one first, then a search (the fan-out checked it).
async function matchingEachSubscriptions(db: Db, addressIds: number[], postId: number): Promise<Map<number, { id: number; description: string }>> {
  if (addressIds.length === 0) return new Map();
  const { rows } = await sql<{ id: string | number; address_id: string | number }>`
    SELECT DISTINCT ON (s.address_id) s.id, s.address_id FROM email_subscriptions s
    WHERE s.address_id = ANY(${addressIds}::bigint[]) AND s.confirmed_at IS NOT NULL AND s.frequency = 'each' AND (
      (s.kind = 'project' AND s.project_id = (SELECT project_id FROM posts WHERE id = ${postId}))
      OR (s.kind = 'tag' AND s.tag_id IN (SELECT tag_id FROM post_tags WHERE post_id = ${postId}))
      OR (s.kind = 'person' AND s.person_id IN (SELECT person_id FROM post_authors WHERE post_id = ${postId}))
      OR s.kind = 'search'
    ) ORDER BY s.address_id, s.kind = 'search', s.id`.execute(db);
  const views = new Map((await listSubscriptions(db, { ids: rows.map((r) => Number(r.id)) })).map((v) => [v.id, v]));
  const found = new Map<number, { id: number; description: string }>();
  for (const r of rows) {
    const view = views.get(Number(r.id));
    if (view) found.set(Number(r.address_id), { id: view.id, description: view.description });
  }
  return found;
}

export async function recordHardBounce(db: Db | Tx, addressId: number, reason: string): Promise<void> {
  await db
    .updateTable('email_addresses')
    .set({
      hard_bounces: sql`hard_bounces + 1`,
      last_bounce: reason,
      suspended_at: sql`CASE WHEN hard_bounces + 1 >= ${HARD_BOUNCE_LIMIT} AND suspended_at IS NULL THEN now() ELSE suspended_at END`,
    })
    .where('id', '=', addressId)
    .execute();
}

/** `email:sweep-claims`: rows left `sending` by a worker that stopped become `unknown` (not resent). */
export const sweepClaims: JobHandler = async (_payload, context) => {
  const reason = 'claimed by a worker that stopped before recording the result; not sent again (at most once)';
  for (const table of ['email_deliveries', 'email_digests'] as const) {
    const result = await context.db
      .updateTable(table)
      .set({ status: 'unknown', last_error: reason })
      .where('status', '=', 'sending')
      .where('claimed_at', '<', sql<Date>`now() - make_interval(mins => ${STALE_CLAIM_MINUTES})`)
      .executeTakeFirst();
    const n = Number(result.numUpdatedRows);
    if (n > 0) context.log.warn({ event: 'email_unknown_deliveries', table, count: n }, `${n} emails may or may not have been sent (a worker stopped mid-send); listed at /admin/email`);
  }
};
