// Conditional GET (RFC 9110 §13.1, §13.2.2), one evaluation for every path that answers one: the feed
// routes, the page cache's hits and its misses. No Fastify, no clock of its own.
//
//   - If-None-Match, when present, decides alone (weak comparison, as GET allows); If-Modified-Since is
//     then ignored.
//   - Otherwise If-Modified-Since, when the response has a Last-Modified: "not modified" when the last
//     change, to the second (HTTP dates have no finer precision), is no later than the date sent. A date
//     that cannot be parsed, or is later than the server's clock (RFC 9110 §13.1.3), is ignored.

export interface Validators {
  /** The response's ETag, if it has one. */
  etag?: string | undefined;
  /** The response's Last-Modified: a Date, or the header as sent (an HTTP date). */
  lastModified?: Date | string | undefined;
}

/** Whole seconds, as an HTTP date carries them. */
export function toSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** An HTTP date (IMF-fixdate), to the second. */
export function httpDate(date: Date): string {
  return toSecond(date).toUTCString();
}

/** True when `inm` (an If-None-Match value: `*` or a list, weak or strong tags) names `etag`. */
export function etagMatches(inm: string | undefined, etag: string): boolean {
  if (!inm) return false;
  if (inm.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return inm.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/** RFC 9110 §13.2.2 for GET and HEAD: true when the answer is 304 Not Modified. */
export function isNotModified(
  headers: { 'if-none-match'?: string | string[] | undefined; 'if-modified-since'?: string | string[] | undefined },
  validators: Validators,
  now: Date,
): boolean {
  const inm = single(headers['if-none-match']);
  if (inm !== undefined && inm.trim() !== '') return validators.etag !== undefined && etagMatches(inm, validators.etag);
  const ims = single(headers['if-modified-since']);
  if (ims === undefined || ims.trim() === '' || validators.lastModified === undefined) return false;
  const since = Date.parse(ims);
  if (Number.isNaN(since) || since > now.getTime()) return false;
  const last = typeof validators.lastModified === 'string' ? Date.parse(validators.lastModified) : validators.lastModified.getTime();
  if (Number.isNaN(last)) return false;
  return Math.floor(last / 1000) * 1000 <= since;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
