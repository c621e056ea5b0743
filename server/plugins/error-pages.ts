// One error handler and one not-found handler for the whole app. Users get a real page with links
// back; 5xx details stay in the log; a database outage is a 503 with Retry-After, never a 500.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, isStorageFull, STORAGE_FULL_MESSAGE } from '../errors.js';
import { pingDatabase } from '../db/sql-helpers.js';
import { escapeHtml } from '../markdown/render.js';
import { securityHeaders } from './security-headers.js';
import { DEFAULT_SITE_SETTINGS } from '../site/settings.js';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Not allowed',
  404: 'Page not found',
  405: 'Method not allowed',
  408: 'Request timeout',
  409: 'Conflict',
  410: 'Page removed',
  413: 'Too large',
  415: 'Unsupported type',
  429: 'Too many requests',
  431: 'Request too large',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
};

export function registerErrorPages(app: FastifyInstance) {
  // During an outage every request fails the same way: one `database_unavailable` event with the error,
  // then one line every 10 s saying how many more, not thousands of stack traces; and one
  // `database_recovered` event (how long, how many requests failed) when a probe gets an answer again.
  const outage = new OutageWatch(app);
  app.addHook('onClose', async () => outage.stop());
  const outageLog = everyTenSeconds('warn', 'database unavailable: answering 503', { event: 'database_unavailable_ongoing' });
  const storageFullLog = everyTenSeconds('error', 'storage full: writes are refused with 503 until space is freed');
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    // A body nobody will read (no route takes this method here) is not worth an error of its own.
    if (request.is404 && error.code?.startsWith('FST_ERR_CTP_')) return notFoundOrNotAllowed(app, request, reply);
    // A URL parameter that fails its route schema (server/route-params.ts) names nothing we have: the
    // not-found page, as the hand checks it replaced answered, not a 400.
    if (error.code === 'FST_ERR_VALIDATION' && error.validationContext === 'params') return renderError(reply, 404, NOT_FOUND_MESSAGE);
    let status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    let message = error.message;
    if (isStorageFull(error)) {
      status = 503;
      reply.header('retry-after', '60');
      message = STORAGE_FULL_MESSAGE;
      storageFullLog(request.log, error);
    } else if (isDatabaseUnavailable(error)) {
      // Readers of a public page get the last copy this server had (see cache/plugin.ts).
      if (app.pageCache?.serveStale(request, reply)) return reply;
      status = 503;
      reply.header('retry-after', '5');
      message = 'The site is briefly unavailable. Please try again in a few seconds.';
      if (!outage.failed(request.log, error)) outageLog(request.log, error);
    } else if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      message = 'Something went wrong on our side. It has been logged; please try again later.';
    } else if (error.code === 'FST_CSRF_MISSING_SECRET' || error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_TOKEN') {
      message = 'This form has expired or did not come from this site. Go back, reload the page and try again.';
    } else if (status === 413) {
      message = 'What you sent is larger than this site accepts.';
    } else if (status === 429) {
      message = 'You have sent too many requests in a short time. Please wait a minute and try again.';
    } else if (error.validation || (status === 400 && !error.code?.startsWith('BLOG_ERR'))) {
      message = 'The address or form had something we could not understand.';
    }
    return renderError(reply, status, message);
  });

  app.setNotFoundHandler(async (request, reply) => notFoundOrNotAllowed(app, request, reply));
}

/** A logger for a failure that repeats on every request: the first line, then one per 10 s with a count. */
function everyTenSeconds(level: 'warn' | 'error', message: string, fields: Record<string, unknown> = {}) {
  let lastAt = 0;
  let suppressed = 0;
  return (log: FastifyBaseLogger, err: unknown) => {
    const now = Date.now();
    if (now - lastAt < 10_000) {
      suppressed++;
      return;
    }
    log[level]({ ...fields, err, alsoFailedSinceLastLine: suppressed }, message);
    lastAt = now;
    suppressed = 0;
  };
}

/**
 * A database outage as an operator reads it: the first failure (event `database_unavailable`), then a
 * probe (`SELECT 1` once a second, db/sql-helpers.ts: pingDatabase) until the database answers (event
 * `database_recovered`, with `outageMs` and `failedRequests`). Wall-clock time: it measures the outage, not
 * the product's clock.
 */
class OutageWatch {
  private since: number | undefined;
  private failedRequests = 0;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(private readonly app: FastifyInstance) {}

  /** Records a failed request; true when it began the outage (its event is then logged here). */
  failed(log: FastifyBaseLogger, err: unknown): boolean {
    this.failedRequests++;
    if (this.since !== undefined) return false;
    this.since = Date.now();
    this.failedRequests = 1;
    log.error({ event: 'database_unavailable', err }, 'database unavailable: answering 503 until it answers again');
    this.probe = setInterval(() => void this.check(), 1000);
    this.probe.unref();
    return true;
  }

  private async check(): Promise<void> {
    if (this.probing || this.since === undefined) return;
    this.probing = true;
    try {
      await pingDatabase(this.app.db);
      const outageMs = Date.now() - this.since;
      this.app.log.info({ event: 'database_recovered', outageMs, failedRequests: this.failedRequests }, `database recovered after ${Math.round(outageMs / 1000)} s`);
      this.stop();
    } catch {
      // still away: the next probe asks again
    } finally {
      this.probing = false;
    }
  }

  stop(): void {
    clearInterval(this.probe);
    this.probe = undefined;
    this.since = undefined;
  }
}

const NOT_FOUND_MESSAGE = 'We could not find that page. It may have moved, or the address may be mistyped.';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * No route for this method and address: a 405 with Allow when the address takes other methods (PUT or
 * DELETE on a page, POST to a page with no form), else a 404. Hooks run before this handler, so the
 * CSRF check skips 404s (plugins/forms.ts) and the answer here is never "this form has expired".
 */
async function notFoundOrNotAllowed(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const allow = METHODS.filter((method) => app.findRoute({ method, url: request.url }) !== null);
    if (allow.length > 0) {
      reply.header('allow', allow.join(', '));
      if (request.method === 'OPTIONS') return reply.code(204).header('cache-control', 'no-store').send();
      return renderError(reply, 405, `This address does not take ${request.method.length <= 20 ? request.method : 'that'} requests.`);
    }
  }
  return renderError(reply, 404, NOT_FOUND_MESSAGE);
}

export async function renderError(reply: FastifyReply, status: number, message: string) {
  reply.code(status).header('cache-control', 'no-store');
  if (reply.request.method === 'HEAD') return reply.send();
  const title = TITLES[status] ?? 'Error';
  const kept = keptFields(reply.request);
  // Errors raised before routing (a malformed URL) get a reply without our decorations.
  if (typeof reply.page === 'function') {
    try {
      return await reply.page('errors/error', { title, status, message, kept, noindex: true });
    } catch (err) {
      reply.request.log.error({ err }, 'error page failed');
    }
  }
  return reply.type('text/html; charset=utf-8').send(plainErrorPage(siteNameOf(reply.server), title, message, kept));
}

export interface KeptField {
  label: string;
  value: string;
}

// Never shown back: secrets and the form's own machinery.
const NOT_KEPT = /^_|csrf|password|passphrase|token|secret|^rendered_at$|^website$|^seen$|_id$|^id$/i;
const KEPT_MAX_CHARS = 200_000;

/**
 * What a refused form sent (a 503 while the database is away or the disk is full, an expired form, a
 * 500), so that nothing typed is lost: the error page shows each text field read-only, to copy.
 */
export function keptFields(request: FastifyRequest): KeptField[] {
  if (request.method === 'GET' || request.method === 'HEAD') return [];
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [];
  const kept: KeptField[] = [];
  let chars = 0;
  for (const [name, raw] of Object.entries(body as Record<string, unknown>)) {
    const value = typeof raw === 'string' ? raw : Array.isArray(raw) && raw.every((v) => typeof v === 'string') ? raw.join('\n') : undefined;
    if (value === undefined || value.trim() === '' || NOT_KEPT.test(name)) continue;
    if (chars + value.length > KEPT_MAX_CHARS || kept.length >= 20) break;
    chars += value.length;
    kept.push({ label: name.replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase()), value });
  }
  return kept;
}

const siteNameOf = (app: FastifyInstance | undefined) => app?.siteSettings?.current.name ?? DEFAULT_SITE_SETTINGS.name;

/** The error page with no template and no database: what is left when everything else failed. */
function plainErrorPage(siteName: string, title: string, message: string, kept: KeptField[] = []): string {
  const keptHtml = kept.length
    ? `<h2>What you sent</h2><p>It was not saved. Copy what you need before you leave this page.</p>${kept
        .map((f, i) => `<p><label for="kept-${i}">${escapeHtml(f.label)}</label><br><textarea id="kept-${i}" readonly rows="6" cols="60">${escapeHtml(f.value)}</textarea></p>`)
        .join('')}`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · ${escapeHtml(siteName)}</title><link rel="stylesheet" href="/static/css/site.css"></head><body><main id="main" class="wrap"><h1>${escapeHtml(title)}</h1><p class="lead">${escapeHtml(message)}</p>${keptHtml}<p><a href="/">See all projects</a></p></main></body></html>`;
}

const CLIENT_ERROR_MESSAGES: Record<number, string> = {
  400: 'Your browser sent a request this site could not understand. Check the address and try again.',
  408: 'The request took too long to arrive. Please try again.',
  431: 'The address or the headers of this request are too large for this site. Check the address, or clear this site’s cookies and try again.',
};

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refused (raw bytes or a control
 * character in the path, an unknown method, a request line or headers over Node's 16 KB) never reaches
 * Fastify, so it gets the plain error page here, written to the socket, instead of Node's JSON.
 */
export function answerClientError(publicUrl: string) {
  const headers = Object.entries(securityHeaders(publicUrl))
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return function (this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex) {
    // A reset connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    this.log.debug({ err }, 'client error');
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    // As Node does: only when no response on this connection has started, or the answer would corrupt it.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const body = plainErrorPage(siteNameOf(this), TITLES[status]!, CLIENT_ERROR_MESSAGES[status]!);
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `cache-control: no-store\r\n${headers}connection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  };
}
