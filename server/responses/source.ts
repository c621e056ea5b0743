// Reading a webmention's source page: does it really link to our post, and what does it say? Pure
// functions (HTML text in, facts out), so every hostile case is tested without a network.
//   - "Links to the target" means a real link in the document: an <a>/<link>/<area> href, an <img>,
//     <video>, <audio> or <source> src, or an mf2 u-* property; text in HTML comments, <script>,
//     <style>, <template>, <textarea>, escaped markup and plain text does not count (htmlparser2 treats
//     comments and raw-text elements as the browser does).
//   - microformats2 (microformats-parser): the first h-entry gives the kind (reply, like, repost,
//     bookmark, else mention), the author (name, url), the content or summary as plain text, and the
//     published date. Everything is plain text here; it reaches a page only through the comment renderer.
import { Parser } from 'htmlparser2';
import { mf2 } from 'microformats-parser';
import type { WebmentionKind } from '../db/schema.js';

export interface SourceFacts {
  linksToTarget: boolean;
  kind: WebmentionKind;
  authorName: string | null;
  authorUrl: string | null;
  /** Plain text, at most EXCERPT_CHARS characters. */
  excerpt: string;
  published: Date | null;
}

export const EXCERPT_CHARS = 600;

/** A URL compared as the specification asks: resolved, without its fragment. */
export function comparableUrl(raw: string, base?: string): string | undefined {
  try {
    const url = new URL(raw.trim(), base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

const LINKING_ATTRIBUTES: Record<string, string> = { a: 'href', link: 'href', area: 'href', img: 'src', video: 'src', audio: 'src', source: 'src' };

/** Every URL the document really links to (resolved against the source URL and any <base href>). */
export function linkedUrls(html: string, sourceUrl: string): Set<string> {
  const found = new Set<string>();
  let base = sourceUrl;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'base' && attributes.href) base = comparableUrl(attributes.href, sourceUrl) ?? base;
        const attribute = LINKING_ATTRIBUTES[name];
        const value = attribute ? attributes[attribute] : undefined;
        if (value === undefined) return;
        const url = comparableUrl(value, base);
        if (url) found.add(url);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return found;
}

type Mf2Item = { type?: string[]; properties?: Record<string, unknown[]>; children?: Mf2Item[]; value?: unknown; html?: string };

function firstEntry(items: Mf2Item[]): Mf2Item | undefined {
  for (const item of items) {
    if (item.type?.includes('h-entry')) return item;
  }
  for (const item of items) {
    const nested = item.children ? firstEntry(item.children) : undefined;
    if (nested) return nested;
  }
  return undefined;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Mf2Item & { value?: unknown };
    if (typeof v.value === 'string') return v.value;
    const name = v.properties?.name?.[0];
    if (typeof name === 'string') return name;
  }
  return null;
}

function urlsOf(entry: Mf2Item, property: string, base: string): string[] {
  return (entry.properties?.[property] ?? [])
    .map((v) => {
      if (typeof v === 'string') return comparableUrl(v, base);
      const url = (v as Mf2Item).properties?.url?.[0];
      if (typeof url === 'string') return comparableUrl(url, base);
      const value = (v as Mf2Item).value;
      return typeof value === 'string' ? comparableUrl(value, base) : undefined;
    })
    .filter((u): u is string => u !== undefined);
}

/** One line of plain text from remote text: control characters dropped, spaces folded, cut to a length. */
export function plainLine(raw: string | null | undefined, max: number): string {
  if (!raw) return '';
  const cleaned = raw.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(cleaned);
  return chars.length > max ? `${chars.slice(0, max - 1).join('').trimEnd()}…` : cleaned;
}

function webUrl(raw: string | null, base: string): string | null {
  return raw ? (comparableUrl(raw, base) ?? null) : null;
}

/** What a source page says about our target. `targetUrl` is compared without its fragment. */
export function readSource(html: string, sourceUrl: string, targetUrl: string): SourceFacts {
  const target = comparableUrl(targetUrl) ?? targetUrl;
  const links = linkedUrls(html, sourceUrl);
  let parsed: { items: Mf2Item[] };
  try {
    parsed = mf2(html, { baseUrl: sourceUrl }) as unknown as { items: Mf2Item[] };
  } catch {
    parsed = { items: [] };
  }
  const entry = firstEntry(parsed.items);
  const linksByMf2 = entry ? Object.keys(entry.properties ?? {}).some((p) => urlsOf(entry, p, sourceUrl).includes(target)) : false;
  const linksToTarget = links.has(target) || linksByMf2;

  let kind: WebmentionKind = 'mention';
  let authorName: string | null = null;
  let authorUrl: string | null = null;
  let excerpt = '';
  let published: Date | null = null;
  if (entry) {
    const has = (p: string) => urlsOf(entry, p, sourceUrl).includes(target);
    kind = has('in-reply-to') ? 'reply' : has('like-of') ? 'like' : has('repost-of') ? 'repost' : has('bookmark-of') ? 'bookmark' : 'mention';
    const author = entry.properties?.author?.[0] ?? parsed.items.find((i) => i.type?.includes('h-card'));
    if (typeof author === 'string') {
      if (comparableUrl(author)) authorUrl = webUrl(author, sourceUrl);
      else authorName = author;
    } else if (author && typeof author === 'object') {
      const card = author as Mf2Item;
      authorName = text(card.properties?.name?.[0] ?? null);
      authorUrl = webUrl(text(card.properties?.url?.[0] ?? null), sourceUrl);
    }
    const props = entry.properties ?? {};
    excerpt = text(props.content?.[0] ?? null) ?? text(props.summary?.[0] ?? null) ?? text(props.name?.[0] ?? null) ?? '';
    const when = text(props.published?.[0] ?? null);
    if (when) {
      const date = new Date(when);
      if (!Number.isNaN(date.getTime()) && date.getUTCFullYear() > 1990 && date.getUTCFullYear() < 3000) published = date;
    }
  }
  if (!excerpt) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
    excerpt = title ? decodeBasicEntities(title) : '';
  }
  return {
    linksToTarget,
    kind,
    authorName: plainLine(authorName, 100) || null,
    authorUrl,
    excerpt: plainLine(excerpt, EXCERPT_CHARS),
    published,
  };
}

function decodeBasicEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '');
}
