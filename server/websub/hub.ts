// The built-in WebSub hub (W3C WebSub, the hub part) and, with WEBSUB_HUB_URL, the pings to an
// external hub instead. Every step that talks to a subscriber is a job:
//   - websub:verify   verification of intent: GET the callback with hub.challenge; only an echo of the
//                     challenge (2xx, exactly that body) stores (subscribe) or deletes (unsubscribe) the
//                     subscription. A callback that does not echo is refused and stored nowhere. This job
//                     never throws, so its payload (which carries the subscriber's hub.secret) is deleted
//                     from the queue when it ends, whatever happened.
//   - websub:publish  a post became public, changed or was withdrawn (a PostChangeListener): the feeds it
//                     shows in are the changed topics; one delivery job per subscriber of each.
//   - websub:comment-feed  a comment feed changed (a comment became public or stopped being public):
//                     queued by the comments trigger of migration 0020, one per feed (job key, 10 s,
//                     coalesced); then the same pings or delivery jobs as websub:publish.
//   - websub:deliver  POST the topic's current feed to one subscriber (X-Hub-Signature: sha256=HMAC when
//                     it gave a secret, Link rel=hub/self); a failure is retried with backoff, then dropped;
//                     every subscriber has its own job, so one failing callback blocks nobody.
//   - websub:ping     with an external hub: hub.mode=publish&hub.url=topic to that hub.
//   - websub:expire   hourly: subscriptions past their lease are deleted.
import { createHmac, randomBytes } from 'node:crypto';
import type { Db, Tx } from '../db/create-db.js';
import { enqueue } from '../jobs/queue.js';
import type { JobContext, JobHandler } from '../jobs/worker.js';
import { fetchOutbound, OutboundError } from '../outbound/http.js';
import type { PostChange } from '../posts/events.js';
import { urls } from '../urls.js';
import { websubHub } from '../responses/links.js';

export const WEBSUB_VERIFY = 'websub:verify';
export const WEBSUB_PUBLISH = 'websub:publish';
/** Queued by the comments trigger (migration 0020), not by app code: the name is frozen there. */
export const WEBSUB_COMMENT_FEED = 'websub:comment-feed';
export const WEBSUB_DELIVER = 'websub:deliver';
export const WEBSUB_PING = 'websub:ping';
export const WEBSUB_EXPIRE = 'websub:expire';

export const LEASE_DEFAULT_SECONDS = 10 * 86_400;
export const LEASE_MIN_SECONDS = 3_600;
export const LEASE_MAX_SECONDS = 30 * 86_400;
export const DELIVERY_ATTEMPTS = 6;
const CALLBACK_TIMEOUT_MS = 10_000;

const FEED_PATH = /^\/(?:feed\.(?:atom|rss)|[a-z0-9-]+\/feed\.(?:atom|rss)|[a-z0-9-]+\/tags\/[^/]+\/feed\.(?:atom|rss)|people\/[a-z0-9-]+\/feed\.(?:atom|rss)|[a-z0-9-]+\/comments\.atom|[a-z0-9-]+\/posts\/[a-z0-9-]+\/comments\.atom|search\/feed\.atom)$/;

export interface SubscriptionRequest {
  mode: 'subscribe' | 'unsubscribe';
  callback: string;
  topic: string;
  /** The path of the topic on this site. */
  topicPath: string;
  leaseSeconds: number;
  secret: string | null;
}

/** hub.* parameters checked; a reason in plain words when refused (400). The topic's existence is checked by the caller. */
export function readSubscriptionRequest(body: Record<string, unknown>, publicUrl: string): SubscriptionRequest | { problem: string } {
  const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
  const mode = text('hub.mode');
  if (mode !== 'subscribe' && mode !== 'unsubscribe') return { problem: 'hub.mode must be "subscribe" or "unsubscribe".' };
  const callbackRaw = text('hub.callback');
  let callback: URL;
  try {
    callback = new URL(callbackRaw);
  } catch {
    return { problem: 'hub.callback must be the full http(s) address of your callback.' };
  }
  if ((callback.protocol !== 'http:' && callback.protocol !== 'https:') || callback.username || callback.password || callbackRaw.length > 2000) {
    return { problem: 'hub.callback must be an http(s) address without a user name or password, of 2,000 characters or fewer.' };
  }
  const topicRaw = text('hub.topic');
  let topic: URL;
  try {
    topic = new URL(topicRaw);
  } catch {
    return { problem: 'hub.topic must be the full address of one of this site’s feeds.' };
  }
  const ours = new URL(publicUrl);
  if (topic.host.toLowerCase() !== ours.host.toLowerCase() || !FEED_PATH.test(topic.pathname)) return { problem: `hub.topic must be one of the feeds of ${ours.host} (this hub serves no other site).` };
  const leaseRaw = text('hub.lease_seconds');
  let leaseSeconds = LEASE_DEFAULT_SECONDS;
  if (leaseRaw !== '') {
    if (!/^\d{1,10}$/.test(leaseRaw)) return { problem: 'hub.lease_seconds must be a whole number of seconds.' };
    leaseSeconds = Math.min(LEASE_MAX_SECONDS, Math.max(LEASE_MIN_SECONDS, Number(leaseRaw)));
  }
  const secret = text('hub.secret') || null;
  if (secret !== null && Buffer.byteLength(secret) >= 200) return { problem: 'hub.secret must be shorter than 200 bytes.' };
  return { mode, callback: callback.href, topic: topic.href, topicPath: `${topic.pathname}${topic.search}`, leaseSeconds, secret };
}

/** Queues the verification of intent (the request is answered 202 at once). */
export async function queueVerification(db: Db, request: SubscriptionRequest): Promise<void> {
  await enqueue(db, WEBSUB_VERIFY, { ...request }, { maxAttempts: 1 });
}

export const verifyIntent: JobHandler = async (payload, context) => {
  const request = payload as unknown as SubscriptionRequest;
  try {
    const challenge = randomBytes(24).toString('base64url');
    const url = new URL(request.callback);
    url.searchParams.set('hub.mode', request.mode);
    url.searchParams.set('hub.topic', request.topic);
    url.searchParams.set('hub.challenge', challenge);
    if (request.mode === 'subscribe') url.searchParams.set('hub.lease_seconds', String(request.leaseSeconds));
    const response = await fetchOutbound(url.href, { timeoutMs: CALLBACK_TIMEOUT_MS, maxBytes: 64 * 1024, maxRedirects: 0, allowPrivate: context.config.allowPrivateFetch });
    const echoed = response.status >= 200 && response.status < 300 && response.body.toString('utf8') === challenge;
    if (!echoed) {
      context.log.info({ event: 'websub_refused', callbackHost: url.host, status: response.status }, 'WebSub callback did not confirm: nothing stored');
      return;
    }
    const now = context.clock.now();
    if (request.mode === 'unsubscribe') {
      await context.db.deleteFrom('websub_subscriptions').where('topic', '=', request.topic).where('callback', '=', request.callback).execute();
      return;
    }
    const expires = new Date(now.getTime() + request.leaseSeconds * 1000);
    await context.db
      .insertInto('websub_subscriptions')
      .values({ topic: request.topic, callback: request.callback, secret: request.secret, lease_seconds: request.leaseSeconds, expires_at: expires, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['topic', 'callback']).doUpdateSet({ secret: request.secret, lease_seconds: request.leaseSeconds, expires_at: expires, updated_at: now }))
      .execute();
  } catch (error) {
    // Never rethrown: a failed verification is a refusal, and the payload (with its secret) must not stay queued.
    context.log.info({ event: 'websub_refused', reason: error instanceof OutboundError ? error.kind : 'error' }, 'WebSub verification failed: nothing stored');
  }
};

/** The feeds a post shows in, and the comment feeds of it (as absolute topic URLs), whatever its state now. */
async function topicsOfPost(db: Db | Tx, publicUrl: string, postId: number): Promise<string[]> {
  const post = await db
    .selectFrom('posts')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select(['posts.slug', 'projects.slug as project'])
    .where('posts.id', '=', postId)
    .executeTakeFirst();
  if (!post) return [];
  const [tags, authors] = await Promise.all([
    db.selectFrom('post_tags').innerJoin('tags', 'tags.id', 'post_tags.tag_id').select('tags.slug').where('post_tags.post_id', '=', postId).execute(),
    db.selectFrom('post_authors').innerJoin('people', 'people.id', 'post_authors.person_id').select('people.handle').where('post_authors.post_id', '=', postId).execute(),
  ]);
  // Its comment feed and its project's: their entries carry the post's title, and its comments leave
  // them when it is withdrawn.
  const paths: string[] = [urls.postCommentsFeed(post.project, post.slug), urls.projectCommentsFeed(post.project)];
  for (const kind of ['atom', 'rss'] as const) {
    paths.push(urls.siteFeed(kind), urls.projectFeed(post.project, kind));
    for (const t of tags) paths.push(urls.tagFeed(post.project, t.slug, kind));
    for (const a of authors) paths.push(urls.personFeed(a.handle, kind));
  }
  return paths.map((p) => new URL(p, `${publicUrl}/`).href);
}

/** PostChangeListener: a post that is or was public changed; its feeds are announced. */
export async function websubOnPostChange(tx: Tx, change: PostChange): Promise<void> {
  if (!change.everPublic) return;
  await enqueue(tx, WEBSUB_PUBLISH, { postId: change.postId }, { jobKey: `websub-publish:${change.postId}` });
}

export const publishChange: JobHandler = async (payload, context) => {
  const postId = Number(payload.postId);
  if (!Number.isSafeInteger(postId)) return;
  const topics = await topicsOfPost(context.db, context.config.publicUrl, postId);
  await announce(context, topics, { withSearchFeeds: true });
};

/**
 * The changed topics go out: pinged to the external hub (WEBSUB_HUB_URL), or one delivery job per live
 * subscription of the built-in hub. Job keys per topic / per subscription: a change that comes while a
 * ping or a delivery is still waiting joins it (the delivery reads the feed when it runs).
 */
async function announce(context: JobContext, topics: string[], options: { withSearchFeeds: boolean }): Promise<void> {
  if (context.config.websubHubUrl) {
    for (const topic of topics) await enqueue(context.db, WEBSUB_PING, { topic }, { jobKey: `websub-ping:${topic}`, maxAttempts: DELIVERY_ATTEMPTS });
    return;
  }
  const searchPrefix = new URL('/search/feed.atom', `${context.config.publicUrl}/`).href;
  const now = context.clock.now();
  const subscribers = await context.db
    .selectFrom('websub_subscriptions')
    .select('id')
    .where((eb) =>
      eb.or([
        eb('topic', 'in', topics.length > 0 ? topics : ['-']),
        ...(options.withSearchFeeds ? [eb('topic', 'like', `${searchPrefix.replace(/[%_\\]/g, '\\$&')}%`)] : []),
      ]),
    )
    .where('expires_at', '>', now)
    .execute();
  for (const s of subscribers) await enqueue(context.db, WEBSUB_DELIVER, { id: s.id }, { jobKey: `websub-deliver:${s.id}`, maxAttempts: DELIVERY_ATTEMPTS });
}

/**
 * A comment feed changed: a comment became public or stopped being public, or a public one was edited.
 * Queued by the comments trigger of migration 0020 (every path that changes a comment, in its
 * transaction), one job per post with a job key and a 10 s delay that later changes do not push back:
 * a burst of comments is one distribution. Payload: { postId }: that post's comment feed and its
 * project's. Slugs are read now, so a renamed post is announced at its
 * current address.
 */
export const publishCommentFeed: JobHandler = async (payload, context) => {
  const postId = Number(payload.postId);
  const projectId = Number(payload.projectId);
  const paths: string[] = [];
  if (Number.isSafeInteger(postId) && postId > 0) {
    const post = await context.db
      .selectFrom('posts')
      .innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.slug', 'projects.slug as project'])
      .where('posts.id', '=', postId)
      .executeTakeFirst();
    if (post) paths.push(urls.postCommentsFeed(post.project, post.slug), urls.projectCommentsFeed(post.project));
  } else if (Number.isSafeInteger(projectId) && projectId > 0) {
    // Jobs queued before the trigger named posts only (none shipped), kept so such a payload still works.
    const project = await context.db.selectFrom('projects').select('slug').where('id', '=', projectId).executeTakeFirst();
    if (project) paths.push(urls.projectCommentsFeed(project.slug));
  }
  if (paths.length === 0) return; // deleted meanwhile: its feed is gone, nothing to announce
  await announce(context, paths.map((path) => new URL(path, `${context.config.publicUrl}/`).href), { withSearchFeeds: false });
};

export function signature(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export const deliverContent: JobHandler = async (payload, context, job) => {
  const id = Number(payload.id);
  if (!Number.isSafeInteger(id)) return;
  const sub = await context.db.selectFrom('websub_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!sub) return;
  const now = context.clock.now();
  if (sub.expires_at <= now) {
    await context.db.deleteFrom('websub_subscriptions').where('id', '=', id).execute();
    return;
  }
  if (!context.readOwnPage) throw new Error('no way to read the feed in this process');
  const topic = new URL(sub.topic);
  const feed = await context.readOwnPage(`${topic.pathname}${topic.search}`);
  if (feed.status !== 200) return; // the feed is gone (a deleted project): nothing to deliver
  const headers: Record<string, string> = {
    'content-type': feed.contentType || 'application/atom+xml',
    link: `<${websubHub(context.config)}>; rel="hub", <${sub.topic}>; rel="self"`,
  };
  if (sub.secret) headers['x-hub-signature'] = signature(sub.secret, feed.body);
  try {
    const response = await fetchOutbound(sub.callback, { method: 'POST', headers, body: feed.body, timeoutMs: CALLBACK_TIMEOUT_MS, maxBytes: 64 * 1024, maxRedirects: 0, allowPrivate: context.config.allowPrivateFetch });
    if (response.status === 410) {
      // The subscriber says it is gone for good.
      await context.db.deleteFrom('websub_subscriptions').where('id', '=', id).execute();
      return;
    }
    if (response.status < 200 || response.status > 299) throw new Error(`the callback answered HTTP ${response.status}`);
  } catch (error) {
    if (job.lastAttempt) {
      context.log.warn({ event: 'websub_dropped', subscription: id }, `WebSub delivery dropped after ${job.attempts} tries: ${(error as Error).message}`);
      return;
    }
    throw error instanceof OutboundError ? new Error(`delivery failed: ${error.message}`) : error;
  }
};

export const pingExternalHub: JobHandler = async (payload, context) => {
  const topic = typeof payload.topic === 'string' ? payload.topic : undefined;
  const hub = context.config.websubHubUrl;
  if (!topic || !hub) return;
  const response = await fetchOutbound(hub, {
    method: 'POST',
    body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }),
    timeoutMs: CALLBACK_TIMEOUT_MS,
    maxBytes: 64 * 1024,
    maxRedirects: 0,
    allowPrivate: context.config.allowPrivateFetch,
  });
  if (response.status < 200 || response.status > 299) throw new Error(`the hub answered HTTP ${response.status}`);
};

export const expireSubscriptions: JobHandler = async (_payload, context: JobContext) => {
  await context.db.deleteFrom('websub_subscriptions').where('expires_at', '<=', context.clock.now()).execute();
};
