// Conditional GET for feeds: ETag and Last-Modified come from the data (a fingerprint of what the feed
// shows), so they are known before anything is built, and a matching request gets 304 at once.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** Bump when the builder's output changes, so cached copies and ETags from older code expire. */
export const FEED_FORMAT_VERSION = 1;

export function etagFor(url: string, fingerprint: string): string {
  const hash = createHash('sha256').update(`${FEED_FORMAT_VERSION}\n${url}\n${fingerprint}`).digest('base64url');
  return `"${hash.slice(0, 32)}"`;
}

/** HTTP dates have whole seconds. */
export function httpDate(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toUTCString();
}

/**
 * RFC 9110 §13.1: If-None-Match wins when present (weak comparison); otherwise If-Modified-Since
 * compares at one-second precision.
 */
export function isNotModified(request: FastifyRequest, etag: string, lastModified: Date): boolean {
  const inm = request.headers['if-none-match'];
  if (typeof inm === 'string' && inm.trim() !== '') {
    if (inm.trim() === '*') return true;
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    return inm.split(',').some((tag) => opaque(tag) === opaque(etag));
  }
  const ims = request.headers['if-modified-since'];
  if (typeof ims === 'string' && ims.trim() !== '') {
    const since = Date.parse(ims);
    if (Number.isNaN(since)) return false;
    return Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
  }
  return false;
}
