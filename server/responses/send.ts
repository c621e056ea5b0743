// Sending webmentions (W3C Webmention, sender): when a post that is or was public changes, every page
// it links to (and every page it linked to before: a removed link or an unpublished post gets a last
// webmention, so the receiver sees the change) is told, one job per link:
//   - endpoint discovery exactly as §3.1.2 says: fetch the target (following redirects); the first HTTP
//     Link header with rel="webmention" wins; else the first <link> or <a> element with rel webmention
//     and an href, in document order (htmlparser2, so HTML comments and escaped markup are not elements);
//     the URL is resolved against the final URL after redirects; an empty href is that page itself;
//     query strings are kept;
//   - POST source=<post URL>&target=<link> to it; the result per link is kept in webmention_sends and
//     shown in the editor.
// Links to this site itself are not sent.
import { createHash } from 'node:crypto';
import { Parser } from 'htmlparser2';
import type { Db, Tx } from '../db/create-db.js';
import { enqueue } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/worker.js';
import { fetchOutbound, mediaType, OutboundError } from '../outbound/http.js';
import type { PostChange } from '../posts/events.js';
import { isPostPublic } from '../db/sql-helpers.js';
import { urls } from '../urls.js';
import { comparableUrl } from './source.js';

export const SEND_WEBMENTIONS = 'webmention:send-post';
export const SEND_ONE_WEBMENTION = 'webmention:send';
const MAX_LINKS_PER_POST = 100;
const TIMEOUT_MS = 10_000;

/** rel values of one Link header value (`rel=webmention`, `rel="a webmention"`), lower case. */
function relsOf(params: string): string[] {
  const m = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))/i.exec(params);
  return (m?.[1] ?? m?.[2] ?? '').toLowerCase().split(/\s+/).filter(Boolean);
}

/** The first webmention endpoint in HTTP Link headers (joined by commas when several), unresolved. */
export function endpointFromLinkHeader(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  for (const m of text.matchAll(/<([^>]*)>([^<]*)/g)) {
    if (relsOf(m[2] ?? '').includes('webmention')) return m[1];
  }
  return undefined;
}

/** The first <link> or <a> with rel webmention and an href, in document order, unresolved. */
export function endpointFromHtml(html: string): string | undefined {
  let found: string | undefined;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (found !== undefined || (name !== 'link' && name !== 'a')) return;
        if (attributes.href === undefined) return;
        const rels = (attributes.rel ?? '').toLowerCase().split(/\s+/);
        if (rels.includes('webmention')) found = attributes.href;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return found;
}

/** Discovers a target's webmention endpoint (absolute), or undefined when it has none. Throws OutboundError. */
export async function discoverEndpoint(target: string, allowPrivate: boolean): Promise<string | undefined> {
  const response = await fetchOutbound(target, { headers: { accept: 'text/html, */*;q=0.5' }, timeoutMs: TIMEOUT_MS, maxBytes: 1024 * 1024, maxRedirects: 5, allowPrivate });
  const fromHeader = endpointFromLinkHeader(response.headers.link);
  const type = mediaType(response);
  const raw = fromHeader ?? (type === 'text/html' || type === 'application/xhtml+xml' ? endpointFromHtml(response.body.toString('utf8')) : undefined);
  if (raw === undefined) return undefined;
  // Resolved against the page that answered (after redirects); "" is that page itself. The fragment goes.
  try {
    const url = new URL(raw.trim(), response.url);
    url.hash = '';
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** The http(s) links of a post's rendered HTML (resolved against its URL), other sites only, deduplicated. */
export function outboundLinks(html: string, pageUrl: string, ownHost: string): string[] {
  const found = new Set<string>();
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name !== 'a' || !attributes.href) return;
        const url = comparableUrl(attributes.href, pageUrl);
        if (url && new URL(url).host.toLowerCase() !== ownHost) found.add(url);
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return [...found].slice(0, MAX_LINKS_PER_POST);
}

/** PostChangeListener: a post that is or was public changed; its links (old and new) are told. */
export async function webmentionsOnPostChange(tx: Tx, change: PostChange): Promise<void> {
  if (!change.everPublic) return;
  await enqueue(tx, SEND_WEBMENTIONS, { postId: change.postId }, { jobKey: `webmention-send-post:${change.postId}` });
}

/** Which links to tell for a post: its links now (if public) and those told before that are gone. */
export const sendPostWebmentions: JobHandler = async (payload, context) => {
  const postId = Number(payload.postId);
  if (!Number.isSafeInteger(postId)) return;
  const post = await context.db
    .selectFrom('posts')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select(['posts.id', 'posts.slug', 'posts.status', 'posts.published_at', 'posts.deleted_at', 'posts.body_html', 'projects.slug as project'])
    .where('posts.id', '=', postId)
    .executeTakeFirst();
  if (!post) return;
  const source = `${context.config.publicUrl}${urls.post(post.project, post.slug)}`;
  const ownHost = new URL(context.config.publicUrl).host.toLowerCase();
  const current = isPostPublic(post, context.clock.now()) ? outboundLinks(post.body_html, source, ownHost) : [];
  const before = await context.db.selectFrom('webmention_sends').select('target').where('post_id', '=', postId).where('still_linked', '=', true).execute();
  const gone = before.map((b) => b.target).filter((t) => !current.includes(t));
  for (const [target, stillLinked] of [...current.map((t) => [t, true] as const), ...gone.map((t) => [t, false] as const)]) {
    const key = createHash('sha256').update(target).digest('hex').slice(0, 24);
    await enqueue(context.db, SEND_ONE_WEBMENTION, { postId, source, target, stillLinked }, { jobKey: `webmention-send:${postId}:${key}`, maxAttempts: 3 });
  }
};

async function record(db: Db, postId: number, target: string, stillLinked: boolean, now: Date, result: { outcome: 'sent' | 'no-endpoint' | 'failed'; endpoint?: string; status?: number; message: string }) {
  const values = { still_linked: stillLinked, outcome: result.outcome, endpoint: result.endpoint ?? null, http_status: result.status ?? null, message: result.message.slice(0, 500), sent_at: now };
  await db
    .insertInto('webmention_sends')
    .values({ post_id: postId, target, ...values })
    .onConflict((oc) => oc.columns(['post_id', 'target']).doUpdateSet(values))
    .execute();
}

/** One link: discover its endpoint and send. Network trouble is retried; the result is recorded. */
export const sendOneWebmention: JobHandler = async (payload, context, job) => {
  const postId = Number(payload.postId);
  const { source, target } = payload as { source?: unknown; target?: unknown };
  if (!Number.isSafeInteger(postId) || typeof source !== 'string' || typeof target !== 'string') return;
  const stillLinked = payload.stillLinked !== false;
  const now = context.clock.now();
  const exists = await context.db.selectFrom('posts').select('id').where('id', '=', postId).executeTakeFirst();
  if (!exists) return;
  const allowPrivate = context.config.allowPrivateFetch;
  try {
    const endpoint = await discoverEndpoint(target, allowPrivate);
    if (!endpoint) return void (await record(context.db, postId, target, stillLinked, now, { outcome: 'no-endpoint', message: '' }));
    const response = await fetchOutbound(endpoint, { method: 'POST', body: new URLSearchParams({ source, target }), timeoutMs: TIMEOUT_MS, maxBytes: 64 * 1024, maxRedirects: 0, allowPrivate });
    const ok = response.status >= 200 && response.status < 300;
    await record(context.db, postId, target, stillLinked, now, {
      outcome: ok ? 'sent' : 'failed',
      endpoint,
      status: response.status,
      message: ok ? (response.status === 201 || response.status === 202 ? 'accepted for checking' : '') : 'the endpoint refused it',
    });
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    if ((error.kind === 'timeout' || error.kind === 'network') && !job.lastAttempt) throw error;
    await record(context.db, postId, target, stillLinked, now, { outcome: 'failed', message: error.message });
  }
};
