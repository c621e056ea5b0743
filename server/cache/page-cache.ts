// The store behind the page cache: rendered public responses keyed by URL, each tagged with the project
// it shows (or none: site-wide pages such as the home page, people, search, site feeds), bounded in bytes
// (least recently used out first) and in time. No Fastify and no database here, so it is easy to reason
// about; plugin.ts decides what may be stored and listener.ts says when to drop it.
import { createHash } from 'node:crypto';
import type { CompressedForms } from '../compression.js';
import type { CompressedTemplate } from './compressed-template.js';

export interface CachedPage {
  /** Body with CSRF tokens replaced by CSRF_PLACEHOLDER when `csrf` is true. */
  body: string;
  /** The body encoded once, for pages without a CSRF token (most of them): no encoding per response. */
  encoded: Buffer | undefined;
  /**
   * For pages with per-visitor values: the body encoded once, split at each placeholder, and which
   * value goes in each gap. A response is then a Buffer.concat, not a search-and-replace of the page.
   */
  template?: { parts: Buffer[]; slots: Array<'csrf' | 'stamp'> };
  /** `encoded` in Brotli and gzip, made once when stored (undefined: too small to be worth it). */
  compressed?: CompressedForms | undefined;
  /** `template` in Brotli and gzip, made once when stored: filled by concatenation too (compressed-template.ts). */
  compressedTemplate?: CompressedTemplate;
  /** For pages whose only per-response value is the render stamp: the body with the current one, in each encoding asked for. */
  stamped?: { stamp: string; body: Buffer; br?: Buffer; gzip?: Buffer };
  /** Strong ETag of the body; undefined when each response differs (a fresh CSRF token per visitor). */
  etag: string | undefined;
  /** Response headers to replay (no Set-Cookie, Content-Length, Content-Encoding nor ETag). */
  headers: Record<string, string>;
  statusCode: number;
  projectId: number | null;
  /** The page must get a fresh CSRF token for each visitor (and is then private). */
  csrf: boolean;
  /** Milliseconds since the epoch, on the app clock. */
  expiresAt: number;
  bytes: number;
}

/** Stands in for a visitor's CSRF token in a stored page. Never valid as a token itself. */
export const CSRF_PLACEHOLDER = '\u0000pb-csrf\u0000';
/** Stands in for the signed render time (reply.renderStamp) in a stored page: each copy gets a fresh one. */
export const STAMP_PLACEHOLDER = '\u0000pb-stamp\u0000';

/** Splits a stored body at its placeholders, once, when it is stored. */
export function splitTemplate(body: string): { parts: Buffer[]; slots: Array<'csrf' | 'stamp'> } {
  const parts: Buffer[] = [];
  const slots: Array<'csrf' | 'stamp'> = [];
  const pattern = /\u0000pb-(csrf|stamp)\u0000/g;
  let last = 0;
  for (let m = pattern.exec(body); m; m = pattern.exec(body)) {
    parts.push(Buffer.from(body.slice(last, m.index)));
    slots.push(m[1] as 'csrf' | 'stamp');
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(body.slice(last)));
  return { parts, slots };
}

/** A stored template with its gaps filled (each value encoded once, however many gaps it fills). */
export function fillTemplate(template: { parts: Buffer[]; slots: Array<'csrf' | 'stamp'> }, values: { csrf?: string; stamp: string }): Buffer {
  const encoded = { csrf: Buffer.from(values.csrf ?? ''), stamp: Buffer.from(values.stamp) };
  const chunks: Buffer[] = [template.parts[0]!];
  template.slots.forEach((slot, i) => chunks.push(encoded[slot], template.parts[i + 1]!));
  return Buffer.concat(chunks);
}

export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

export class PageCache {
  private readonly entries = new Map<string, CachedPage>();
  private readonly byProject = new Map<number, Set<string>>();
  private readonly siteWide = new Set<string>();
  private bytes = 0;
  /** Bumped on every invalidation: a render that started before it must not be stored after it. */
  generation = 0;

  constructor(private readonly maxBytes: number) {}

  get size() {
    return this.entries.size;
  }
  get totalBytes() {
    return this.bytes;
  }

  get(key: string, now: number): CachedPage | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    // Refresh its place in the LRU order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /**
   * A stored page even if it has expired (by at most `maxStaleMs`), for when the database cannot be
   * reached: a page a few minutes old beats an error. Neither refreshes nor removes the entry.
   */
  getStale(key: string, now: number, maxStaleMs: number): CachedPage | undefined {
    const entry = this.entries.get(key);
    return entry && now - entry.expiresAt < maxStaleMs ? entry : undefined;
  }

  /** Stores unless an invalidation happened since `startedAt` (the generation when rendering began). */
  set(key: string, entry: CachedPage, startedAt: number): boolean {
    if (startedAt !== this.generation || entry.bytes > this.maxBytes / 4) return false;
    this.delete(key);
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    if (entry.projectId !== null) {
      let keys = this.byProject.get(entry.projectId);
      if (!keys) this.byProject.set(entry.projectId, (keys = new Set()));
      keys.add(key);
    } else {
      this.siteWide.add(key);
    }
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
    return true;
  }

  /**
   * A write touched one project ('all': every project). Site-wide pages list posts of every project,
   * so they go too.
   */
  invalidate(scope: number | 'all') {
    this.generation++;
    if (scope === 'all') return this.clear();
    for (const key of this.byProject.get(scope) ?? []) this.delete(key);
    this.byProject.delete(scope);
    for (const key of this.siteWide) this.delete(key);
  }

  clear() {
    this.generation++;
    this.entries.clear();
    this.byProject.clear();
    this.siteWide.clear();
    this.bytes = 0;
  }

  private delete(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    if (entry.projectId !== null) this.byProject.get(entry.projectId)?.delete(key);
    else this.siteWide.delete(key);
  }
}
