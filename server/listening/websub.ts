// The WebSub subscriber side of the listening desk (W3C WebSub, https://www.w3.org/TR/websub/): a watched
// feed that declares a hub (HTTP Link headers first, then <link rel="hub"> / rel="self" in the document,
// or a JSON Feed's hubs) is subscribed to, so its updates arrive when published; polling goes on as the
// fallback, at a longer interval while the subscription is verified (PUSH_POLL_FACTOR).
//
//   listen:websub-subscribe   { sourceId, hub, topic }: POST hub.mode=subscribe to the hub with a callback
//                             on this site carrying an unguessable per-source token
//                             (/listening/websub/<token>) and a hub.secret of its own. Also renews.
//   listen:websub-unsubscribe { id }: POST hub.mode=unsubscribe (a source removed or paused).
//   listen:websub-renew       hourly cron: subscriptions whose lease ends soon are renewed; cancellations a
//                             hub never confirmed (a day) and leftovers of removed sources are deleted.
//
// The callback (routes.ts) answers the hub's verification of intent only for what we asked (the mode
// we asked, the topic we asked, for a live row) and 404 otherwise; content distribution is accepted only
// with a valid X-Hub-Signature (sha1/sha256/sha384/sha512 HMAC of the body with our secret), else
// acknowledged 202 and dropped, as the spec allows. A verified body is stored (listen_websub_pushes,
// once per source and body: a hub that retries adds nothing) and the hub answered 202 at once; the
// listen:websub-push job reads it like a poll's (same parser, same sanitizer, same dedupe of items; key
// terms matched by the database trigger). Reading a feed near its 5 MB cap takes a second or more of
// CPU (docs/SOCIAL-WEB.md), which a hub's request should not wait for. A source with
// MAX_WAITING_PUSHES bodies not yet read gets 429 (the hub tries again later).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db, Tx } from '../db/create-db.js';
import { enqueue } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/worker.js';
import { fetchOutbound, OutboundError, type OutboundResponse } from '../outbound/http.js';
import { absoluteUrl } from '../urls.js';
import { FeedProblem, linkHeaderRels, parseFeedBody, type ParsedFeed } from './parse.js';
import { findSource, insertNewItems, updateSourceAfterPoll } from './queries.js';
import { itemsToStore } from './poll.js';
import {
  deleteStaleWebsub,
  deleteWebsub,
  findWebsubById,
  findWebsubBySource,
  findWebsubByToken,
  listWebsubToRenew,
  countWaitingPushes,
  deletePush,
  findPush,
  markUnsubscribing,
  storePush,
  updateWebsub,
  upsertWebsubRequest,
  type WebsubRow,
} from './websub-queries.js';

export const WEBSUB_SUBSCRIBE_TASK = 'listen:websub-subscribe';
export const WEBSUB_UNSUBSCRIBE_TASK = 'listen:websub-unsubscribe';
export const WEBSUB_RENEW_TASK = 'listen:websub-renew';
export const WEBSUB_PUSH_TASK = 'listen:websub-push';
/** Pushed bodies of one source waiting to be read; past this the hub is asked to retry later (429). */
export const MAX_WAITING_PUSHES = 20;
/** The lease we ask for; hubs may grant another. */
export const REQUESTED_LEASE_SECONDS = 10 * 86_400;
/** A lease a hub grants is read as at least an hour and at most a year. */
const MIN_LEASE = 3_600;
const MAX_LEASE = 365 * 86_400;
/** While a subscription is verified, polls come this many times less often. */
export const PUSH_POLL_FACTOR = 12;
/** A pushed body larger than this is refused (413), as a polled feed larger than FEED_MAX_BYTES is. */
export const PUSH_MAX_BYTES = 5 * 1024 * 1024;
/** A failed subscription is tried again after this long (at a poll that still finds the hub). */
const RETRY_FAILED_MS = 86_400_000;
const HUB_TIMEOUT_MS = 10_000;

export const callbackPath = (token: string) => `/listening/websub/${token}`;
const subscribeJobKey = (sourceId: number) => `listen:websub:${sourceId}`;

/** The hub and topic a fetched feed declares: Link headers first (as the spec says), then the document. */
export function discoverHub(feed: ParsedFeed, response: Pick<OutboundResponse, 'headers' | 'url'>): { hub: string; topic: string } | null {
  const fromHeaders = linkHeaderRels(response.headers.link, response.url);
  const hub = fromHeaders.hub ?? feed.hub;
  if (!hub) return null;
  const topic = (fromHeaders.hub ? fromHeaders.self : null) ?? feed.self ?? fromHeaders.self ?? response.url;
  return { hub, topic };
}

/**
 * After a fetch that gave a feed: subscribe when it declares a hub we are not (or no longer, or not yet
 * successfully) subscribed at; cancel when it stopped declaring one. Queued, never done inline.
 */
export async function reconcileSubscription(db: Db | Tx, sourceId: number, declared: { hub: string; topic: string } | null, now: Date): Promise<void> {
  const row = await findWebsubBySource(db, sourceId);
  if (!declared) {
    if (row && row.state !== 'unsubscribing' && row.state !== 'failed') await cancelSubscription(db, sourceId, now);
    return;
  }
  const changed = !row || row.hub !== declared.hub || row.topic !== declared.topic;
  const retry = row?.state === 'failed' && now.getTime() - row.requested_at.getTime() >= RETRY_FAILED_MS;
  if (changed || retry || row?.state === 'unsubscribing') {
    await enqueue(db, WEBSUB_SUBSCRIBE_TASK, { sourceId, hub: declared.hub, topic: declared.topic }, { jobKey: subscribeJobKey(sourceId), maxAttempts: 3 });
  }
}

/** A source removed or paused: its subscription (if any) is cancelled at the hub, through the queue. */
export async function cancelSubscription(db: Db | Tx, sourceId: number, now: Date): Promise<void> {
  const id = await markUnsubscribing(db, sourceId, now);
  if (id !== undefined) await enqueue(db, WEBSUB_UNSUBSCRIBE_TASK, { id }, { jobKey: `listen:websub-cancel:${id}`, maxAttempts: 3 });
}

async function askHub(hub: string, params: Record<string, string>, allowPrivate: boolean): Promise<string | null> {
  try {
    const response = await fetchOutbound(hub, { method: 'POST', body: new URLSearchParams(params), timeoutMs: HUB_TIMEOUT_MS, maxBytes: 64 * 1024, maxRedirects: 0, allowPrivate });
    if (response.status >= 200 && response.status < 300) return null;
    const said = response.body.toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 200);
    return `The hub refused the request (HTTP ${response.status})${said ? `: ${said}` : '.'}`;
  } catch (err) {
    return err instanceof OutboundError ? `The hub could not be reached: ${err.message}` : 'The hub could not be reached.';
  }
}

export const subscribeTask: JobHandler = async (payload, context) => {
  const sourceId = Number(payload.sourceId);
  const hub = typeof payload.hub === 'string' ? payload.hub : '';
  const topic = typeof payload.topic === 'string' ? payload.topic : '';
  if (!Number.isSafeInteger(sourceId) || !hub || !topic) return;
  const { db, config, clock } = context;
  const source = await findSource(db, sourceId);
  if (!source || source.status !== 'active') return;
  const now = clock.now();
  const existing = await findWebsubBySource(db, sourceId);
  // A renewal keeps its token and secret (a push already on its way stays valid) and its verified state.
  const renewal = existing !== undefined && existing.hub === hub && existing.topic === topic && existing.state !== 'failed';
  const keepsState = renewal && existing.state === 'subscribed' && existing.expires_at !== null && existing.expires_at > now;
  const row = await upsertWebsubRequest(db, {
    sourceId,
    hub,
    topic,
    token: renewal ? existing.token : randomBytes(32).toString('base64url'),
    secret: renewal ? existing.secret : randomBytes(32).toString('base64url'),
    state: keepsState ? 'subscribed' : 'subscribing',
    now,
  });
  // Committed before the request: a hub may verify before it answers.
  const problem = await askHub(
    hub,
    {
      'hub.mode': 'subscribe',
      'hub.topic': topic,
      'hub.callback': absoluteUrl(config.publicUrl, callbackPath(row.token)),
      'hub.secret': row.secret,
      'hub.lease_seconds': String(REQUESTED_LEASE_SECONDS),
    },
    config.allowPrivateFetch,
  );
  if (problem) {
    await updateWebsub(db, Number(row.id), keepsState ? { last_error: problem } : { state: 'failed', last_error: problem });
    context.log.info({ event: 'listen_websub_failed', source: sourceId }, problem);
  }
};

export const unsubscribeTask: JobHandler = async (payload, context, job) => {
  const id = Number(payload.id);
  if (!Number.isSafeInteger(id)) return;
  const row = await findWebsubById(context.db, id);
  if (!row || row.state !== 'unsubscribing') return;
  const problem = await askHub(row.hub, { 'hub.mode': 'unsubscribe', 'hub.topic': row.topic, 'hub.callback': absoluteUrl(context.config.publicUrl, callbackPath(row.token)) }, context.config.allowPrivateFetch);
  if (!problem) return; // deleted when the hub verifies (or by the renew sweep a day later)
  if (job.lastAttempt) {
    await deleteWebsub(context.db, id);
    return;
  }
  throw new Error(problem);
};

export const renewTask: JobHandler = async (_payload, context) => {
  const now = context.clock.now();
  const due = await listWebsubToRenew(context.db, now, 1_000);
  for (const r of due) await enqueue(context.db, WEBSUB_SUBSCRIBE_TASK, { sourceId: r.sourceId, hub: r.hub, topic: r.topic }, { jobKey: subscribeJobKey(r.sourceId), maxAttempts: 3 });
  const removed = await deleteStaleWebsub(context.db, now);
  if (due.length > 0 || removed > 0) context.log.info({ event: 'listen_websub_renew', renewed: due.length, removed }, `WebSub: ${due.length} subscriptions renewed, ${removed} stale rows removed`);
};

// ------------------------------------------------------------------------------------------ the callback

export interface CallbackAnswer {
  status: number;
  body: string;
  /** Seconds, for a 429. */
  retryAfter?: number;
}

const notOurs: CallbackAnswer = { status: 404, body: 'No such subscription.\n' };

/** The hub's GET to the callback: verification of intent (subscribe, unsubscribe) or a denial. */
export async function answerVerification(db: Db, token: string, query: Record<string, unknown>, now: Date): Promise<CallbackAnswer> {
  const text = (k: string) => (typeof query[k] === 'string' ? (query[k] as string) : '');
  const row = /^[A-Za-z0-9_-]{32,100}$/.test(token) ? await findWebsubByToken(db, token) : undefined;
  const mode = text('hub.mode');
  if (!row || text('hub.topic') !== row.topic) return notOurs;
  if (mode === 'denied') {
    if (row.state === 'unsubscribing') return notOurs;
    await updateWebsub(db, Number(row.id), { state: 'failed', last_error: `The hub refused the subscription${text('hub.reason') ? `: ${text('hub.reason').slice(0, 200)}` : '.'}`, expires_at: null });
    return { status: 200, body: '' };
  }
  const challenge = text('hub.challenge');
  if (!challenge || challenge.length > 500) return notOurs;
  if (mode === 'subscribe') {
    if (row.source_id === null || (row.state !== 'subscribing' && row.state !== 'subscribed')) return notOurs;
    const source = await findSource(db, Number(row.source_id));
    if (!source || source.status !== 'active') return notOurs;
    const asked = /^\d{1,10}$/.test(text('hub.lease_seconds')) ? Number(text('hub.lease_seconds')) : REQUESTED_LEASE_SECONDS;
    const lease = Math.min(MAX_LEASE, Math.max(MIN_LEASE, asked));
    await updateWebsub(db, Number(row.id), { state: 'subscribed', verified_at: now, lease_seconds: lease, expires_at: new Date(now.getTime() + lease * 1000), last_error: null });
    return { status: 200, body: challenge };
  }
  if (mode === 'unsubscribe') {
    if (row.state !== 'unsubscribing') return notOurs;
    await deleteWebsub(db, Number(row.id));
    return { status: 200, body: challenge };
  }
  return notOurs;
}

/** X-Hub-Signature: "method=hex" with method sha1, sha256, sha384 or sha512 (WebSub §8), compared in constant time. */
export function signatureValid(header: string | string[] | undefined, secret: string, body: Buffer): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^\s*(sha1|sha256|sha384|sha512)=([0-9a-f]+)\s*$/i.exec(value ?? '');
  if (!match) return false;
  const expected = createHmac(match[1]!.toLowerCase(), secret).update(body).digest();
  const given = Buffer.from(match[2]!.toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The hub's POST to the callback: content distribution, verified here, stored, and read by a job. */
export async function acceptPush(db: Db, token: string, input: { headers: Record<string, string | string[] | undefined>; body: Buffer }, now: Date, log: { info: (obj: object, msg: string) => void }): Promise<CallbackAnswer> {
  const row = /^[A-Za-z0-9_-]{32,100}$/.test(token) ? await findWebsubByToken(db, token) : undefined;
  if (!row) return notOurs;
  const live = row.source_id !== null && row.verified_at !== null && (row.state === 'subscribed' || row.state === 'subscribing') && row.expires_at !== null && row.expires_at > now;
  const source = live ? await findSource(db, Number(row.source_id)) : undefined;
  // 410: the subscription is over (cancelled, expired, the source paused or removed); the hub may drop it.
  if (!source || source.status !== 'active') return { status: 410, body: 'This subscription is not active.\n' };
  if (!signatureValid(input.headers['x-hub-signature'], row.secret, input.body)) {
    // Acknowledged and ignored (WebSub §8: a 2xx, so a forger learns nothing).
    log.info({ event: 'listen_websub_bad_signature', source: source.id }, 'WebSub push with a missing or wrong signature ignored');
    return { status: 202, body: '' };
  }
  if ((await countWaitingPushes(db, source.id)) >= MAX_WAITING_PUSHES) return { status: 429, body: 'Too many updates waiting to be read; try again later.\n', retryAfter: 60 };
  const contentType = String(input.headers['content-type'] ?? '');
  const sha256 = createHash('sha256').update(input.body).digest('hex');
  await db.transaction().execute(async (tx) => {
    const id = await storePush(tx, { sourceId: source.id, websubId: Number(row.id), body: input.body, sha256, contentType, now });
    if (id !== undefined) await enqueue(tx, WEBSUB_PUSH_TASK, { id }, { jobKey: `listen:websub-push:${id}`, maxAttempts: 5 });
    await updateWebsub(tx, Number(row.id), { last_push_at: now });
  });
  return { status: 202, body: '' };
}

/**
 * `listen:websub-push` { id }: reads a stored push as a poll's result is read, then deletes it. A body
 * that is not a readable feed is recorded on the subscription (shown on the sources page) and dropped.
 */
export const pushTask: JobHandler = async (payload, context) => {
  const id = Number(payload.id);
  if (!Number.isSafeInteger(id)) return;
  const { db } = context;
  const push = await findPush(db, id);
  if (!push) return;
  const row = await findWebsubById(db, Number(push.websub_id));
  const source = await findSource(db, Number(push.source_id));
  // Paused or removed since: nothing is added (a removed source took its pushes with it).
  if (!row || !source || source.status !== 'active') return void (await deletePush(db, id));
  let feed: ParsedFeed;
  try {
    feed = parseFeedBody(push.body, push.content_type, row.topic);
  } catch (err) {
    const message = err instanceof FeedProblem ? err.message : 'The pushed feed could not be read.';
    context.log.info({ event: 'listen_websub_unreadable_push', source: source.id }, message);
    await db.transaction().execute(async (tx) => {
      await updateWebsub(tx, Number(row.id), { last_error: `The last pushed update could not be read: ${message}`.slice(0, 500) });
      await deletePush(tx, id);
    });
    return;
  }
  const now = context.clock.now();
  await db.transaction().execute(async (tx) => {
    const added = await insertNewItems(tx, source.projectId, source.id, itemsToStore(feed), now);
    if (added > 0) await updateSourceAfterPoll(tx, source.id, { lastNewItemAt: now });
    await updateWebsub(tx, Number(row.id), { last_error: null });
    await deletePush(tx, id);
  });
};

export type { WebsubRow };
