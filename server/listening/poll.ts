// Polling watched feeds, politely. One job per source in the product's job queue (jobKey per source, so
// a source never has two waiting polls), queued on a queue named after the feed's host name, so one host
// gets one request at a time; a process-wide limit (LISTEN_MAX_CONCURRENT_FETCHES) caps the fetches
// this server makes at once however many sources and job slots there are. After each poll the job
// queues itself again: the configured interval when the feed answered, doubling after each error (up to
// a day), and never sooner than a 429/503's Retry-After. Conditional GET (ETag, Last-Modified): a 304
// costs one row update. A permanent redirect updates the source's address; 410 stops the source.
// A feed that declares a WebSub hub is also subscribed to (websub.ts); while that subscription is
// verified, the interval is PUSH_POLL_FACTOR times longer.
// Everything a feed can do wrong is recorded on the source in plain words; nothing here throws for it.
import type { Db, Tx } from '../db/create-db.js';
import { enqueue } from '../jobs/queue.js';
import type { JobContext } from '../jobs/worker.js';
import { excerptFromHtml, sanitizeRemoteHtml } from '../markdown/render.js';
import { fetchOutbound, mediaType, OutboundError, type OutboundResponse } from '../outbound/http.js';
import { FeedProblem, parseFeedBody, type ParsedFeed } from './parse.js';
import { looksLikeHtml } from './discover.js';
import { findSource, findSourceByUrl, insertNewItems, updateSourceAfterPoll, type NewItem, type SourceRow } from './queries.js';
import { cancelSubscription, discoverHub, PUSH_POLL_FACTOR, reconcileSubscription } from './websub.js';
import { pushActive } from './websub-queries.js';

export const POLL_TASK = 'listen:poll';
export const FEED_TIMEOUT_MS = 15_000;
export const FEED_MAX_BYTES = 5 * 1024 * 1024;
export const MAX_BACKOFF_SECONDS = 24 * 3600;
/** A Retry-After longer than this is read as this (a site cannot park a source for a year). */
export const MAX_RETRY_AFTER_SECONDS = 7 * 24 * 3600;

export const pollJobKey = (sourceId: number) => `listen:source:${sourceId}`;
export const POLL_JOB_KEY_PREFIX = 'listen:source:';

/** The job queue a source's polls run in: one per host name, so a host gets one request at a time. */
export function hostQueue(feedUrl: string): string {
  try {
    return `listen-host:${new URL(feedUrl).hostname}`.slice(0, 200);
  } catch {
    return 'listen-host:unknown';
  }
}

/** Queues (or moves) the source's next poll. */
export async function schedulePoll(db: Db | Tx, source: { id: number; url: string }, delaySeconds: number): Promise<void> {
  await enqueue(db, POLL_TASK, { sourceId: source.id }, { jobKey: pollJobKey(source.id), delaySeconds: Math.max(0, Math.round(delaySeconds)), queueName: hostQueue(source.url), maxAttempts: 3 });
}

// ------------------------------------------------------------------------------------------ the limit

/** At most `max` callers inside run() at once; the rest wait their turn in order. */
export class FetchLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(readonly max: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

// One limiter per server (per configuration object: tests build several apps in one process).
const limiters = new WeakMap<object, FetchLimiter>();
export function limiterFor(config: { listenMaxConcurrentFetches: number }): FetchLimiter {
  let limiter = limiters.get(config);
  if (!limiter) {
    limiter = new FetchLimiter(config.listenMaxConcurrentFetches);
    limiters.set(config, limiter);
  }
  return limiter;
}

// ------------------------------------------------------------------------------------------ fetching

const ACCEPT = 'application/atom+xml, application/rss+xml, application/rdf+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5';

export type FetchOutcome =
  | { kind: 'feed'; response: OutboundResponse; feed: ParsedFeed }
  | { kind: 'not-modified'; response: OutboundResponse }
  | { kind: 'gone'; response: OutboundResponse }
  | { kind: 'slow-down'; response: OutboundResponse; retryAfterSeconds: number | null; message: string }
  | { kind: 'html'; response: OutboundResponse }
  | { kind: 'error'; message: string; response?: OutboundResponse };

/** Seconds from a Retry-After header (seconds or an HTTP date), or null. */
export function retryAfterSeconds(header: string | string[] | undefined, now: Date): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  if (/^\s*\d+\s*$/.test(value)) return Math.min(Number(value), MAX_RETRY_AFTER_SECONDS);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, Math.round((at - now.getTime()) / 1000)), MAX_RETRY_AFTER_SECONDS);
}

function statusMessage(status: number): string {
  if (status === 404) return 'The feed was not found at this address (404 Not Found).';
  if (status === 401 || status === 403) return `The site refused to give us the feed (${status}).`;
  if (status >= 500) return `The site had a problem answering (${status}); we will try again later.`;
  return `The site answered with an unexpected status (${status}).`;
}

/** One conditional GET of a feed, read and judged; never throws for anything the site does. */
export async function fetchFeed(url: string, options: { etag?: string | null; lastModified?: string | null; allowPrivate: boolean; now: Date }): Promise<FetchOutcome> {
  const headers: Record<string, string> = { accept: ACCEPT };
  if (options.etag) headers['if-none-match'] = options.etag;
  if (options.lastModified) headers['if-modified-since'] = options.lastModified;
  let response: OutboundResponse;
  try {
    response = await fetchOutbound(url, { headers, timeoutMs: FEED_TIMEOUT_MS, maxBytes: FEED_MAX_BYTES, maxRedirects: 5, allowPrivate: options.allowPrivate });
  } catch (err) {
    if (err instanceof OutboundError) return { kind: 'error', message: err.message };
    return { kind: 'error', message: 'The feed could not be fetched.' };
  }
  const { status } = response;
  if (status === 304) return { kind: 'not-modified', response };
  if (status === 410) return { kind: 'gone', response };
  if (status === 429 || status === 503) {
    const seconds = retryAfterSeconds(response.headers['retry-after'], options.now);
    const why = status === 429 ? 'The site asked us to slow down (429 Too Many Requests)' : 'The site is unavailable for now (503)';
    return { kind: 'slow-down', response, retryAfterSeconds: seconds, message: seconds === null ? `${why}.` : `${why}; it asked us to wait ${describeSeconds(seconds)}.` };
  }
  if (status < 200 || status >= 300) return { kind: 'error', message: statusMessage(status), response };
  if (looksLikeHtml(mediaType(response), response.body)) return { kind: 'html', response };
  try {
    return { kind: 'feed', response, feed: parseFeedBody(response.body, String(response.headers['content-type'] ?? ''), response.url) };
  } catch (err) {
    if (err instanceof FeedProblem) return { kind: 'error', message: err.message, response };
    return { kind: 'error', message: 'The feed could not be read.', response };
  }
}

export function describeSeconds(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} minutes`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} hours`;
  return `${Math.round(seconds / 86_400)} days`;
}

/** A parsed feed's items, sanitized for storage. */
export function itemsToStore(feed: ParsedFeed): NewItem[] {
  return feed.items.map((item) => {
    const contentHtml = sanitizeRemoteHtml(item.contentHtml, item.url ?? undefined);
    return {
      guid: item.guid,
      url: item.url,
      title: item.title,
      author: item.author,
      contentHtml,
      contentText: excerptFromHtml(contentHtml, 20_000),
      publishedAt: item.publishedAt,
    };
  });
}

/** Stores a fetched feed's new items and what the fetch taught us; returns how many items were new. */
export async function applyFeed(db: Db | Tx, source: Pick<SourceRow, 'id' | 'projectId'>, outcome: Extract<FetchOutcome, { kind: 'feed' }>, now: Date): Promise<number> {
  const added = await insertNewItems(db, source.projectId, source.id, itemsToStore(outcome.feed), now);
  const header = (name: string) => {
    const v = outcome.response.headers[name];
    return typeof v === 'string' && v.length <= 500 ? v : null;
  };
  await updateSourceAfterPoll(db, source.id, {
    ...(outcome.feed.title ? { title: outcome.feed.title } : {}),
    siteUrl: outcome.feed.siteUrl,
    etag: header('etag'),
    lastModified: header('last-modified'),
    lastFetchedAt: now,
    ...(added > 0 ? { lastNewItemAt: now } : {}),
    lastError: null,
    lastErrorAt: null,
    errorCount: 0,
  });
  // A feed that declares a WebSub hub is subscribed to (queued); one that stopped declaring it, cancelled.
  await reconcileSubscription(db, source.id, discoverHub(outcome.feed, outcome.response), now);
  return added;
}

// ------------------------------------------------------------------------------------------ the job

/** Polls one source (the listen:poll task): fetch, store, record, queue the next poll. */
export async function pollSource(context: JobContext, sourceId: number): Promise<void> {
  const { db, config, clock } = context;
  const source = await findSource(db, sourceId);
  if (!source || source.status !== 'active') return;
  const outcome = await limiterFor(config).run(() => fetchFeed(source.url, { etag: source.etag, lastModified: source.lastModified, allowPrivate: config.allowPrivateFetch, now: clock.now() }));
  const now = clock.now();
  // While the hub pushes updates (a verified WebSub subscription), polling is only the fallback.
  const interval = config.listenPollMinutes * 60 * ((await pushActive(db, source.id, now)) ? PUSH_POLL_FACTOR : 1);
  let delay = interval;

  // A permanent move (every hop 301/308) is remembered, unless the project already watches the new address.
  let url = source.url;
  if (outcome.response?.permanentlyMoved && outcome.response.url !== source.url && outcome.kind !== 'error') {
    const taken = await findSourceByUrl(db, source.projectId, outcome.response.url);
    if (!taken) {
      url = outcome.response.url;
      await updateSourceAfterPoll(db, source.id, { url });
    }
  }

  const failed = async (message: string, seconds: number) => {
    await updateSourceAfterPoll(db, source.id, { lastFetchedAt: now, lastError: message, lastErrorAt: now, errorCount: source.errorCount + 1, nextPollAt: new Date(now.getTime() + seconds * 1000) });
  };

  switch (outcome.kind) {
    case 'feed':
      await db.transaction().execute((tx) => applyFeed(tx, source, outcome, now));
      break;
    case 'not-modified':
      await updateSourceAfterPoll(db, source.id, { lastFetchedAt: now, lastError: null, lastErrorAt: null, errorCount: 0 });
      break;
    case 'gone':
      await updateSourceAfterPoll(db, source.id, {
        status: 'gone',
        lastFetchedAt: now,
        lastError: 'The site says this feed is gone for good (410 Gone), so we stopped checking it. Remove it, or resume it if it comes back.',
        lastErrorAt: now,
        nextPollAt: null,
      });
      await cancelSubscription(db, source.id, now);
      return;
    case 'slow-down':
      delay = Math.max(interval, outcome.retryAfterSeconds ?? Math.min(interval * 2 ** (source.errorCount + 1), MAX_BACKOFF_SECONDS));
      await failed(outcome.message, delay);
      break;
    case 'html':
      delay = Math.min(interval * 2 ** (source.errorCount + 1), MAX_BACKOFF_SECONDS);
      await failed('The address now gives a web page, not a feed.', delay);
      break;
    case 'error':
      delay = Math.min(interval * 2 ** (source.errorCount + 1), MAX_BACKOFF_SECONDS);
      await failed(outcome.message, delay);
      break;
  }
  if (outcome.kind === 'feed' || outcome.kind === 'not-modified') await updateSourceAfterPoll(db, source.id, { nextPollAt: new Date(now.getTime() + delay * 1000) });
  await schedulePoll(db, { id: source.id, url }, delay);
}
