// Feed validators. The ETag comes from the data (a fingerprint of what the feed shows, and its
// Last-Modified, which the feed's <updated> repeats), so it is known before anything is built and a
// matching request gets 304 at once. Evaluation of the request's conditions: conditional-get.ts.
import { createHash } from 'node:crypto';

/** Bump when the builder's output changes, so cached copies and ETags from older code expire. */
export const FEED_FORMAT_VERSION = 3;

export function etagFor(url: string, fingerprint: string): string {
  const hash = createHash('sha256').update(`${FEED_FORMAT_VERSION}\n${url}\n${fingerprint}`).digest('base64url');
  return `"${hash.slice(0, 32)}"`;
}

/** The newest of some instants, none later than `now` (a Last-Modified is never in the future), to the second. */
export function lastChange(now: Date, ...instants: Array<Date | null | undefined>): Date {
  let newest = 0;
  for (const d of instants) if (d && d.getTime() > newest) newest = d.getTime();
  return new Date(Math.floor(Math.min(newest, now.getTime()) / 1000) * 1000);
}
