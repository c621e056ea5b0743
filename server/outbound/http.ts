// The one way this server talks to other sites (webmention sources and endpoints, WebSub hubs and
// callbacks, watched feeds, imported media). Another site is slow, huge or hostile until proven
// otherwise, and a URL someone typed may point inside our network (SSRF), so every request here has:
//   - an address check after DNS, on every connection, so every redirect hop is checked too
//     (request-filtering-agent): no private, loopback, link-local (cloud metadata) or unspecified
//     addresses unless ALLOW_PRIVATE_FETCH=1 (tests on loopback, closed networks);
//   - http and https only, no credentials in the URL;
//   - one deadline for the whole exchange (connect, headers, body, every redirect);
//   - a cap on the body's size, after decompression (gzip/deflate/br bombs stop at the cap);
//   - a redirect limit; loops end there; each hop and whether it was permanent is reported.
// Errors are OutboundError with a plain-words message that can be shown to a team ("the site did not
// answer within 10 seconds"), never a stack trace.
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

export type OutboundErrorKind =
  | 'bad-url'
  | 'blocked-address'
  | 'timeout'
  | 'too-large'
  | 'too-many-redirects'
  | 'network'
  | 'bad-encoding';

export class OutboundError extends Error {
  constructor(
    public readonly kind: OutboundErrorKind,
    message: string,
    public readonly url: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

export interface OutboundOptions {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  /** A form body (sent as application/x-www-form-urlencoded) or raw bytes with their own content-type header. */
  body?: URLSearchParams | string | Buffer;
  /** The whole exchange, redirects included. */
  timeoutMs?: number;
  /** Decoded body bytes kept; more is an error (`too-large`). */
  maxBytes?: number;
  /** Redirects followed (GET/HEAD only; a POST is never re-sent elsewhere). 0 = none. */
  maxRedirects?: number;
  /** Loopback and private addresses allowed (ALLOW_PRIVATE_FETCH=1). */
  allowPrivate?: boolean;
}

export interface Redirect {
  status: number;
  from: string;
  to: string;
  permanent: boolean;
}

export interface OutboundResponse {
  /** The URL that finally answered (after redirects). */
  url: string;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  redirects: Redirect[];
  /** Every redirect on the way was permanent (301/308): a poller may remember `url` instead. */
  permanentlyMoved: boolean;
}

export const OUTBOUND_DEFAULTS = { timeoutMs: 10_000, maxBytes: 2 * 1024 * 1024, maxRedirects: 5 } as const;
const USER_AGENT = 'project-blogs (+https://github.com/project-blogs; fetches feeds, webmentions and media for the sites it hosts)';

// Agents keep no state per request; one pair per setting for the whole process.
const guardedAgents = {
  http: new RequestFilteringHttpAgent({ keepAlive: false }),
  https: new RequestFilteringHttpsAgent({ keepAlive: false }),
};
const openAgents = {
  http: new http.Agent({ keepAlive: false }),
  https: new https.Agent({ keepAlive: false }),
};

/** A URL we will fetch: absolute http(s), no credentials, a hostname. Otherwise `bad-url`. */
export function checkOutboundUrl(raw: string, base?: string): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new OutboundError('bad-url', 'The address is not a valid URL.', raw);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundError('bad-url', 'Only http and https addresses can be fetched.', raw);
  if (url.username || url.password) throw new OutboundError('bad-url', 'Addresses with a user name or password are not fetched.', raw);
  if (!url.hostname) throw new OutboundError('bad-url', 'The address has no host.', raw);
  url.hash = '';
  return url;
}

/** Fetches a URL under every guard above. Resolves for any HTTP status; rejects with OutboundError. */
export async function fetchOutbound(target: string, options: OutboundOptions = {}): Promise<OutboundResponse> {
  const timeoutMs = options.timeoutMs ?? OUTBOUND_DEFAULTS.timeoutMs;
  const maxBytes = options.maxBytes ?? OUTBOUND_DEFAULTS.maxBytes;
  const maxRedirects = options.maxRedirects ?? OUTBOUND_DEFAULTS.maxRedirects;
  const deadline = AbortSignal.timeout(timeoutMs);
  const redirects: Redirect[] = [];
  let url = checkOutboundUrl(target);
  for (;;) {
    const response = await requestOnce(url, options, deadline, timeoutMs, maxBytes);
    const location = response.headers.location;
    const method = options.method ?? 'GET';
    if (response.status >= 300 && response.status < 400 && response.status !== 304 && location && method !== 'POST') {
      if (redirects.length >= maxRedirects) {
        throw new OutboundError('too-many-redirects', `The site redirected more than ${maxRedirects} times.`, url.href);
      }
      const next = checkOutboundUrl(location, url.href);
      redirects.push({ status: response.status, from: url.href, to: next.href, permanent: response.status === 301 || response.status === 308 });
      url = next;
      continue;
    }
    return {
      url: url.href,
      status: response.status,
      headers: response.headers,
      body: response.body,
      redirects,
      permanentlyMoved: redirects.length > 0 && redirects.every((r) => r.permanent),
    };
  }
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function requestOnce(url: URL, options: OutboundOptions, deadline: AbortSignal, timeoutMs: number, maxBytes: number): Promise<RawResponse> {
  const isHttps = url.protocol === 'https:';
  const agents = options.allowPrivate ? openAgents : guardedAgents;
  const headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    'accept-encoding': 'gzip, deflate, br',
    ...options.headers,
  };
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    if (options.body instanceof URLSearchParams) {
      payload = Buffer.from(options.body.toString());
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else {
      payload = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    }
    headers['content-length'] = String(payload.length);
  }
  return new Promise<RawResponse>((resolve, reject) => {
    if (deadline.aborted) {
      reject(new OutboundError('timeout', `The site did not answer within ${Math.round(timeoutMs / 1000)} seconds.`, url.href));
      return;
    }
    const request = (isHttps ? https : http).request(url, {
      method: options.method ?? 'GET',
      headers,
      agent: isHttps ? agents.https : agents.http,
      signal: deadline,
    });
    const fail = (err: unknown) => reject(toOutboundError(err, url.href, timeoutMs, deadline));
    request.on('error', fail);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        // A redirect's body is never read; drop it.
        response.resume();
        resolve({ status, headers: response.headers, body: Buffer.alloc(0) });
        return;
      }
      if ((options.method ?? 'GET') === 'HEAD') {
        response.resume();
        resolve({ status, headers: response.headers, body: Buffer.alloc(0) });
        return;
      }
      const declared = Number(response.headers['content-length'] ?? NaN);
      const encoding = String(response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (Number.isFinite(declared) && declared > maxBytes && encoding === 'identity') {
        response.destroy();
        reject(tooLarge(url.href, maxBytes));
        return;
      }
      let stream: Readable = response;
      if (encoding === 'gzip' || encoding === 'x-gzip') stream = response.pipe(zlib.createGunzip());
      else if (encoding === 'deflate') stream = response.pipe(zlib.createInflate());
      else if (encoding === 'br') stream = response.pipe(zlib.createBrotliDecompress());
      else if (encoding !== 'identity') {
        response.destroy();
        reject(new OutboundError('bad-encoding', `The site sent its answer in an encoding we cannot read (${encoding.slice(0, 40)}).`, url.href));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          response.destroy();
          stream.destroy();
          reject(tooLarge(url.href, maxBytes));
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', (err) => {
        if (size > maxBytes) return;
        if (stream !== response && !(err as NodeJS.ErrnoException).code?.startsWith('ERR_STREAM')) {
          reject(new OutboundError('bad-encoding', 'The site sent a compressed answer that could not be decompressed.', url.href));
          return;
        }
        fail(err);
      });
      response.on('error', fail);
      stream.on('end', () => resolve({ status, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.end(payload);
  });
}

function tooLarge(url: string, maxBytes: number) {
  return new OutboundError('too-large', `The answer was larger than ${formatBytes(maxBytes)}, the most we read.`, url);
}

function formatBytes(n: number) {
  return n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MB` : `${Math.round(n / 1024)} KB`;
}

function toOutboundError(err: unknown, url: string, timeoutMs: number, deadline: AbortSignal): OutboundError {
  if (err instanceof OutboundError) return err;
  const e = err as NodeJS.ErrnoException;
  if (deadline.aborted || e.name === 'AbortError' || e.code === 'ABORT_ERR') {
    return new OutboundError('timeout', `The site did not answer within ${Math.round(timeoutMs / 1000)} seconds.`, url);
  }
  if (/is not allowed\. Because/.test(e.message ?? '')) {
    return new OutboundError('blocked-address', 'The address points to a private or local network, which this server does not fetch from.', url);
  }
  switch (e.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new OutboundError('network', 'The site\u2019s name could not be found (DNS).', url);
    case 'ECONNREFUSED':
      return new OutboundError('network', 'The site refused the connection.', url);
    case 'ECONNRESET':
    case 'EPIPE':
      return new OutboundError('network', 'The site closed the connection before answering.', url);
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_HEADER_OVERFLOW':
      return new OutboundError('network', 'The site sent an answer that is not valid HTTP.', url);
    default:
      if (e.code?.startsWith('ERR_TLS') || e.code?.includes('CERT')) return new OutboundError('network', 'The site\u2019s secure connection (TLS certificate) could not be verified.', url);
      return new OutboundError('network', `The site could not be reached (${e.code ?? e.message ?? 'unknown error'}).`, url);
  }
}

/** The media type of a response, lower-case, without parameters ('' when absent). */
export function mediaType(response: Pick<OutboundResponse, 'headers'>): string {
  return String(response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}
