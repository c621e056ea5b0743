// The page cache: rendered public pages and feeds, served from memory to anonymous readers, kept
// correct across app servers by PostgreSQL LISTEN/NOTIFY. No route knows about it.
//
// What may be cached: a GET answered 200 with HTML or a feed, to a request that carries no personal
// cookie (pb_session, or any other pb_* cookie such as a commenter's "awaiting moderation" notice), when
// the response sets no cookie other than the CSRF one and the route did not say private/no-store.
// A page with a form carries the visitor's own CSRF token: the stored copy has a placeholder in its place
// and every visitor gets a fresh token of their own (so such a response is `private, no-store`). The
// public comment form has no such token (see commentFormTrusted): a post page is public, and its only
// per-response value, the signed render time (comments/render-stamp.ts), is put in once a second.
// Rule for other developers: a page that changes with a cookie must name that cookie pb_something (then
// it bypasses the cache), or set a cookie in its answer, or register its route with
// `config: { pageCache: false }`. A value minted per render must be substituted like the render stamp.
//
// While the database cannot be reached (and so the LISTEN connection is down too) the stored pages are
// kept, unused, and an anonymous reader whose page fails with "database unavailable" gets the stored
// copy (up to STALE_IF_ERROR_MS past its expiry) instead of the 503 page, marked `x-cache: stale` and
// `no-store` so that no CDN keeps it. Nothing can have changed meanwhile (no writes reach a database that
// is away); the store is emptied when LISTEN is back, as notifications may have been missed.
//
// When it is dropped: a committed write NOTIFYs pb_cache with its project (migration 0005); this app
// server drops that project's pages and every site-wide page. A write answered by this server drops them
// at once as well (read-your-writes without waiting for the notification). No entry outlives maxTtl nor
// the next scheduled publication (posts become visible by time alone). While the LISTEN connection is
// down the cache is bypassed, and it is emptied when the connection comes back.
//
// Independently of the in-memory store, public responses get an ETag and answer 304 to If-None-Match,
// with Cache-Control that lets a CDN hold them briefly; personal ones get `private, no-store`. A stored
// response with a Last-Modified (feeds) answers If-Modified-Since too, from memory, by the same rules as
// its route (conditional-get.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CacheListener } from './listener.js';
import { findStoreFacts } from './queries.js';
import { isNotModified } from '../conditional-get.js';
import { CSRF_PLACEHOLDER, etagOf, fillTemplate, PageCache, splitTemplate, STAMP_PLACEHOLDER, type CachedPage } from './page-cache.js';
import { brotliOf, compressBody, etagForEncoding, MIN_COMPRESS_BYTES, negotiateEncoding, varyWithAcceptEncoding, type CompressedForms, type Encoding } from '../compression.js';
import { offeredForms } from '../plugins/compression.js';
import { compressTemplate, fillCompressed } from './compressed-template.js';

export const PUBLIC_CACHE_CONTROL = 'public, max-age=60';
export const PRIVATE_CACHE_CONTROL = 'private, no-store';
/** How long past its expiry a stored page may still be served while the database is away. */
export const STALE_IF_ERROR_MS = 10 * 60_000;

/** The one rule for "this request is personal": any cookie of ours but the CSRF secret. */
export function hasPersonalCookie(cookies: Record<string, string | undefined> | undefined): boolean {
  if (!cookies) return false;
  for (const name in cookies) if (name.startsWith('pb_')) return true;
  return false;
}

const CACHEABLE_TYPE = /^(text\/html|application\/(atom|rss)\+xml|application\/xml|text\/xml)\b/;

export interface PageCacheOptions {
  /** Connection for LISTEN: must be the primary (replicas do not deliver NOTIFY). Unset: no in-memory cache. */
  listenUrl?: string;
  /** Longest an entry lives, in ms (default 60 s). */
  maxTtlMs?: number;
  /** Memory bound for stored bodies (default 32 MB, about 250 post pages: a full cache then stays inside the server's heap cap of 128 MB). */
  maxBytes?: number;
}

interface RequestState {
  hit: boolean;
  /** Cache generation when this request started; a fill is stored only if it has not moved. */
  generation: number;
  /** App-clock time when this request started: what the page shows was public at this time. */
  startedAt: Date;
  tokens: string[];
  /** Signed render times handed out (reply.renderStamp): replaced by a fresh one in every stored copy. */
  stamps: string[];
  /** Headers set before this plugin's hook (security headers, rate-limit counts): set again on every hit, so not stored. */
  preset: Record<string, unknown>;
}

const STATE = Symbol('pageCacheState');
type WithState = FastifyRequest & { [STATE]?: RequestState };

export interface PageCacheHandle {
  store: PageCache;
  listener: CacheListener | undefined;
  /** True when the in-memory cache is serving (listener connected). */
  readonly active: boolean;
  /**
   * Answers an anonymous GET with its stored copy, however old (within STALE_IF_ERROR_MS), when the
   * database cannot be reached. False when there is none (the caller answers 503).
   */
  serveStale(request: FastifyRequest, reply: FastifyReply): boolean;
  /** Calls `fn` whenever site-wide settings may have changed (NOTIFY 'all', or LISTEN back after a gap). */
  onSiteChange(fn: () => void): void;
}

async function pageCachePlugin(app: FastifyInstance, options: PageCacheOptions) {
  const maxTtl = options.maxTtlMs ?? 60_000;
  const store = new PageCache(options.maxBytes ?? 32 * 1024 * 1024);
  const slugToId = new Map<string, number>();
  const siteChangeListeners: Array<() => void> = [];
  const siteChanged = () => {
    for (const fn of siteChangeListeners) fn();
  };
  const listener = options.listenUrl
    ? new CacheListener(
        options.listenUrl,
        {
          onUp: () => {
            store.clear();
            siteChanged();
            app.readRouter?.primaryChanged(); // changes may have been missed meanwhile
          },
          // Kept, but served only as a stale copy while the database is away (serveStale).
          onDown: () => {},
          onInvalidate: (scope) => {
            store.invalidate(scope);
            if (scope === 'all') siteChanged();
            // With a replica: no refill from it until it has replayed this change (server/db/read-router.ts).
            app.readRouter?.primaryChanged();
          },
        },
        { log: (message, err) => app.log.warn({ err }, message) },
      )
    : undefined;
  const handle: PageCacheHandle = {
    store,
    listener,
    onSiteChange(fn) {
      siteChangeListeners.push(fn);
    },
    get active() {
      return listener?.connected ?? false;
    },
    serveStale(request, reply) {
      if (request.method !== 'GET' || hasPersonalCookie(request.cookies)) return false;
      const entry = store.getStale(request.url, app.clock.now().getTime(), STALE_IF_ERROR_MS);
      if (!entry) return false;
      reply.headers(entry.headers).header('x-cache', 'stale').header('cache-control', PRIVATE_CACHE_CONTROL);
      sendStored(request, reply, entry, undefined);
      return true;
    },
  };
  app.decorate('pageCache', handle);
  if (listener) {
    await listener.start();
    app.addHook('onClose', async () => listener.stop());
  }

  // A returning visitor's CSRF cookie maps to one token (a per-visitor token, as in any synchronizer
  // scheme): no unsigning and hashing on every page view. Bounded; cleared when full.
  const tokenByCookie = new Map<string, string>();
  function csrfTokenFor(request: FastifyRequest, reply: FastifyReply): string {
    const cookie = request.cookies._csrf;
    const known = cookie ? tokenByCookie.get(cookie) : undefined;
    if (known) return known;
    const token = reply.generateCsrf();
    // Only a genuine cookie is remembered (a forged one was just replaced by generateCsrf).
    if (cookie && app.unsignCookie(cookie).valid) {
      if (tokenByCookie.size >= 10_000) tokenByCookie.clear();
      tokenByCookie.set(cookie, token);
    }
    return token;
  }

  /**
   * Answers with a stored page in the encoding the reader accepts, from the copies made when it was
   * stored: concatenation at most, never compression. With `now` (a hit) it answers 304 when the
   * reader's copy is current; without (a stale copy while the database is away) it sends no ETag.
   */
  function sendStored(request: FastifyRequest, reply: FastifyReply, entry: CachedPage, now: Date | undefined) {
    const encoding = encodingFor(request, entry);
    if (now && entry.etag) {
      reply.header('etag', etagForEncoding(entry.etag, encoding));
      if (notModified(request, entry, now)) return void reply.code(304).send();
    }
    let body: Buffer | string;
    if (entry.template && !entry.csrf) {
      // A page whose only per-response value is the render stamp (the post page and its comment
      // form): the same bytes for every reader within a second, so built once a second (per encoding
      // asked for), not per response: gzip by concatenation, Brotli compressed (a Brotli stream cannot be
      // joined around the stamp: compressed-template.ts), once a second however many readers.
      const stamp = reply.renderStamp();
      if (entry.stamped?.stamp !== stamp) entry.stamped = { stamp, body: fillTemplate(entry.template, { stamp }) };
      const stamped = entry.stamped;
      if (encoding === 'identity') body = stamped.body;
      else if (encoding === 'gzip') body = stamped.gzip ??= fillCompressed(entry.compressedTemplate!, 'gzip', { stamp });
      else body = stamped.br ??= brotliOf(stamped.body);
    } else if (entry.template) {
      // One token and one stamp per response, however many forms the page has.
      const values = { csrf: entry.csrf ? csrfTokenFor(request, reply) : undefined, stamp: reply.renderStamp() };
      body = encoding === 'identity' ? fillTemplate(entry.template, values) : fillCompressed(entry.compressedTemplate!, encoding, values);
    } else {
      body = encoding === 'identity' ? (entry.encoded ?? entry.body) : entry.compressed![encoding];
    }
    if (encoding !== 'identity') reply.header('content-encoding', encoding);
    return void reply.code(entry.statusCode).send(body);
  }

  // A callback hook, not async: this runs on every request, and a hit is answered from here.
  app.addHook('onRequest', (request: WithState, reply, done) => {
    if (request.method !== 'GET' || hasPersonalCookie(request.cookies)) return done();
    const startedAt = app.clock.now();
    const entry = handle.active ? store.get(request.url, startedAt.getTime()) : undefined;
    const state: RequestState = { hit: entry !== undefined, generation: store.generation, startedAt, tokens: [], stamps: [], preset: entry ? {} : reply.getHeaders() };
    request[STATE] = state;
    if (entry) {
      reply.headers(entry.headers).header('x-cache', 'hit');
      return sendStored(request, reply, entry, startedAt);
    }
    // Learn which render stamps (comments/render-stamp.ts) and CSRF tokens this response hands out, to
    // keep them out of the stored copy: every copy gets fresh ones.
    const stampOf = reply.renderStamp;
    reply.renderStamp = function renderStamp(this: FastifyReply) {
      const stamp = stampOf.call(this);
      state.stamps.push(stamp);
      return stamp;
    };
    const generate = reply.generateCsrf;
    reply.generateCsrf = function generateCsrf(this: FastifyReply, ...args: Parameters<FastifyReply['generateCsrf']>) {
      const token = generate.apply(this, args);
      state.tokens.push(token);
      return token;
    };
    done();
  });

  app.addHook('onSend', (request: WithState, reply, payload, done) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      if (reply.statusCode < 400 && request.method !== 'OPTIONS' && request.routeOptions.config?.dropsPages !== false) invalidateForWrite(request);
      return done(null, payload);
    }
    const state = request[STATE];
    if (state?.hit) return done(null, payload);
    const type = String(reply.getHeader('content-type') ?? '');
    if (reply.statusCode !== 200 || !CACHEABLE_TYPE.test(type)) return done(null, payload);
    // Sent compressed or plain by Accept-Encoding (plugins/compression.ts), and so stored with that said.
    reply.header('vary', varyWithAcceptEncoding(reply.getHeader('vary')));
    const setCookie = reply.getHeader('set-cookie');
    const cookieNames = (Array.isArray(setCookie) ? setCookie : setCookie ? [String(setCookie)] : []).map((c) => c.split('=', 1)[0]);
    const routeSaid = String(reply.getHeader('cache-control') ?? '');
    const shareable =
      state !== undefined &&
      request.method === 'GET' &&
      (typeof payload === 'string' || Buffer.isBuffer(payload)) &&
      !/private|no-store/.test(routeSaid) &&
      request.routeOptions.config?.pageCache !== false &&
      cookieNames.every((name) => name === '_csrf' && state.tokens.length > 0);
    if (!shareable) {
      // Signed in, or a cookie of its own, or a stream: this answer is for this visitor only. A route that
      // said private itself keeps what it said (a private feed may be kept and revalidated by its reader).
      if (request.method === 'GET' && !/\bprivate\b/.test(routeSaid)) reply.header('cache-control', PRIVATE_CACHE_CONTROL);
      return done(null, payload);
    }
    const body = typeof payload === 'string' ? payload : (payload as Buffer).toString('utf8');
    const csrf = state.tokens.length > 0;
    // The page with its per-response values (CSRF tokens, render stamps) replaced by placeholders.
    let template = body;
    for (const token of state.tokens) template = template.replaceAll(token, CSRF_PLACEHOLDER);
    for (const stamp of state.stamps) template = template.replaceAll(stamp, STAMP_PLACEHOLDER);
    let etag: string | undefined;
    if (csrf) {
      reply.header('cache-control', PRIVATE_CACHE_CONTROL);
    } else {
      // Of what the page shows: a render stamp alone does not make it a different page.
      etag = String(reply.getHeader('etag') ?? etagOf(template));
      reply.header('etag', etag);
      if (!routeSaid) reply.header('cache-control', PUBLIC_CACHE_CONTROL);
    }
    if (handle.active) {
      reply.header('x-cache', 'miss');
      void fill(request, reply, template, offeredForms(reply, payload), etag, csrf, state);
    }
    if (etag !== undefined && isNotModified(request.headers, { etag, lastModified: headerText(reply.getHeader('last-modified')) }, state.startedAt)) {
      // The ETag of the copy this reader would have been sent.
      const encoding = Buffer.byteLength(body) >= MIN_COMPRESS_BYTES ? negotiateEncoding(request.headers['accept-encoding']) : 'identity';
      reply.header('etag', etagForEncoding(etag, encoding));
      reply.code(304);
      return done(null, '');
    }
    return done(null, payload);
  });

  async function fill(
    request: FastifyRequest,
    reply: FastifyReply,
    body: string,
    offered: CompressedForms | undefined,
    etag: string | undefined,
    csrf: boolean,
    state: RequestState,
  ) {
    const { startedAt, generation } = state;
    const perResponse = csrf || state.stamps.length > 0; // values to fill in for each response
    const slug = projectSlugOf(request);
    try {
      const { projectId, nextPublicationAt } = await findStoreFacts(app.readDb, slug, startedAt);
      if (slug && projectId !== null) slugToId.set(slug, projectId);
      const expiresAt = Math.min(startedAt.getTime() + maxTtl, nextPublicationAt?.getTime() ?? Infinity);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value === undefined || SET_PER_RESPONSE.has(name)) continue;
        if (state.preset[name] === value) continue; // set by an earlier hook on every request, the hit included
        headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
      }
      if (generation !== store.generation) return; // would not be stored: spare the compression
      // Every encoded copy is made here, once (a route that had them already, the feeds, offered them).
      const encoded = perResponse ? undefined : Buffer.from(body);
      const template = perResponse ? splitTemplate(body) : undefined;
      const compressed = encoded && (offered ?? compressBody(encoded));
      // Brotli by template only where a visitor's token makes each response differ (see sendStored).
      const compressedTemplate = template && encodedLength(template.parts) >= MIN_COMPRESS_BYTES ? compressTemplate(template, { brotli: csrf }) : undefined;
      store.set(
        request.url,
        {
          body,
          encoded,
          template,
          compressed,
          compressedTemplate,
          etag,
          headers,
          statusCode: 200,
          projectId,
          csrf,
          expiresAt,
          bytes: body.length * 4 + 512 + (compressed ? compressed.br.length + compressed.gzip.length : 0) + (compressedTemplate?.bytes ?? 0),
        },
        generation,
      );
    } catch (err) {
      request.log.debug({ err }, 'page cache fill failed');
    }
  }

  /** A write answered here: drop what it may change now, before the notification arrives. */
  function invalidateForWrite(request: FastifyRequest) {
    app.readRouter?.primaryChanged();
    const slug = projectSlugOf(request);
    const id = slug ? slugToId.get(slug) : undefined;
    if (!slug) store.invalidate('all');
    else if (id !== undefined) store.invalidate(id);
    else store.invalidate(-1); // nothing of this project is stored; site-wide pages still go
  }
}

/** Headers made for each response, never replayed from a stored one. */
const SET_PER_RESPONSE = new Set(['set-cookie', 'content-length', 'content-encoding', 'etag', 'x-cache']);

/** What a stored page can be sent as, for this reader. */
function encodingFor(request: FastifyRequest, entry: CachedPage): Encoding | 'identity' {
  // A stamp-only page has its Brotli copy made once a second (sendStored).
  if (entry.compressedTemplate) return negotiateEncoding(request.headers['accept-encoding'], entry.compressedTemplate.br || !entry.csrf ? 'both' : 'gzip');
  return entry.compressed ? negotiateEncoding(request.headers['accept-encoding']) : 'identity';
}

function encodedLength(parts: Buffer[]): number {
  return parts.reduce((n, p) => n + p.length, 0);
}

/** A stored response's validators against the request's (ETag and, when it has one, Last-Modified). */
function notModified(request: FastifyRequest, entry: CachedPage, now: Date): boolean {
  if (!entry.etag) return false; // each response differs (a CSRF token per visitor)
  return isNotModified(request.headers, { etag: entry.etag, lastModified: entry.headers['last-modified'] }, now);
}

function headerText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The project a route shows, when its URL starts with /:project. */
function projectSlugOf(request: FastifyRequest): string | undefined {
  if (!request.routeOptions.url?.startsWith('/:project')) return undefined;
  const params = request.params as { project?: unknown } | undefined;
  return typeof params?.project === 'string' ? params.project.toLowerCase() : undefined;
}

export default fp(pageCachePlugin, { name: 'page-cache' });

declare module 'fastify' {
  interface FastifyInstance {
    pageCache: PageCacheHandle;
  }
  interface FastifyContextConfig {
    /** false: never store this route's answers, even for anonymous readers. */
    pageCache?: boolean;
    /**
     * false: a successful write here does not drop this server's pages at once; the database's
     * notification does, when the write changed something public (a held comment changes nothing).
     */
    dropsPages?: boolean;
  }
}
