// A bounded LRU of built feed bodies, keyed by the feed's URL and the fingerprint of its data. A feed
// is built once per change of what it shows; readers polling an unchanged feed cost one cheap query.
// In process on purpose: each app server keeps its own, and a stale entry is impossible because the
// key changes with the data. Each body is kept with its Brotli and gzip forms, made once when it is built.
import type { CompressedForms } from '../compression.js';

export interface CachedFeed {
  body: string;
  etag: string;
  lastModified: Date;
  /** The body in Brotli and gzip (undefined: too small to be worth it). */
  compressed?: CompressedForms | undefined;
}

/** Memory a stored feed takes, its compressed forms included. */
function sizeOf(feed: CachedFeed): number {
  return feed.body.length + (feed.compressed ? feed.compressed.br.length + feed.compressed.gzip.length : 0);
}

export class FeedCache {
  private readonly entries = new Map<string, CachedFeed>();
  private bytes = 0;
  /** Counters, for tests and logs: how often a feed was built vs. served from memory. */
  readonly stats = { builds: 0, hits: 0 };

  constructor(
    private readonly maxEntries = 500,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  get(key: string): CachedFeed | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      this.stats.hits++;
    }
    return hit;
  }

  set(key: string, value: CachedFeed): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= sizeOf(old);
    }
    if (sizeOf(value) > this.maxBytes) return;
    this.entries.set(key, value);
    this.bytes += sizeOf(value);
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      const evicted = this.entries.get(oldest.value);
      this.bytes -= evicted ? sizeOf(evicted) : 0;
      this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
