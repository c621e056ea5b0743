// Reading a fetched feed: Atom, RSS 2.0, RSS 1.0/RDF through @rowanmanning/feed-parser (a well-kept
// library, not XML handling of our own), JSON Feed 1.x through the small reader below. Pure functions:
// bytes in, a plain model out, or a FeedProblem whose message can be shown to a team.
//
// Safety: a document that declares entities (<!ENTITY …>: external ones are XXE, internal ones can
// expand a few bytes into gigabytes) is refused before any parser sees it; the XML parser under
// feed-parser (fast-xml-parser) never fetches anything, and its internal-entity expansion is unbounded,
// so refusing declarations is what keeps it safe. Everything kept is cut to the column limits; HTML is
// sanitized later by the one sanitizer (server/markdown) when stored.
import { createHash } from 'node:crypto';
import { parseFeed } from '@rowanmanning/feed-parser';
import { XMLValidator } from 'fast-xml-parser';

export class FeedProblem extends Error {
  constructor(message: string) {
    // The message may quote the feed (the XML validator's words), and it is stored (last_error): a NUL
    // byte, which PostgreSQL text refuses, is written out instead.
    super(message.replaceAll('\u0000', '\\u0000'));
    this.name = 'FeedProblem';
  }
}

export interface ParsedItem {
  guid: string;
  url: string | null;
  title: string;
  author: string;
  /** As the feed gave it: NOT safe (sanitize before storing or showing). */
  contentHtml: string;
  publishedAt: Date | null;
}

export interface ParsedFeed {
  title: string;
  siteUrl: string | null;
  /** A WebSub hub the feed declares (rel="hub"), if any. */
  hub: string | null;
  /** The feed's own address as it declares it (rel="self"): the WebSub topic. */
  self: string | null;
  items: ParsedItem[];
}

/** Items read from one fetch at most: a feed with more is read up to here (newest first in practice). */
export const MAX_ITEMS_PER_FETCH = 200;

const cut = (text: string | null | undefined, max: number) => Array.from((text ?? '').replace(/\u0000/g, '')).slice(0, max).join('').trim();

function httpUrl(raw: unknown, base?: string | null): string | null {
  if (typeof raw !== 'string' || !raw.trim()) return null;
  try {
    const url = new URL(raw.trim(), base ?? undefined);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.href.length <= 2000 ? url.href : null;
  } catch {
    return null;
  }
}

function validDate(raw: unknown): Date | null {
  if (raw === null || raw === undefined || raw === '') return null;
  const d = raw instanceof Date ? raw : new Date(String(raw));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** An item's identity: its id, else its link, else a hash of what it says. */
function guidOf(id: unknown, url: string | null, title: string, content: string): string {
  if (typeof id === 'string' && id.trim()) return cut(id, 2000);
  if (url) return url;
  return `sha256:${createHash('sha256').update(`${title}\n${content}`).digest('hex')}`;
}

/** Bytes → text: UTF-8 (with or without BOM) unless the XML declaration or the header names another charset. */
export function decodeBody(body: Buffer, contentType: string): string {
  const fromHeader = /charset\s*=\s*"?([A-Za-z0-9_.:-]+)/i.exec(contentType)?.[1];
  const head = body.subarray(0, 200).toString('latin1');
  const fromDeclaration = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']/i.exec(head)?.[1];
  const label = (fromHeader ?? fromDeclaration ?? 'utf-8').toLowerCase();
  try {
    return new TextDecoder(label).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** Reads a feed body; throws FeedProblem in plain words for anything that is not a feed we can read. */
export function parseFeedBody(body: Buffer, contentType: string, feedUrl: string): ParsedFeed {
  const text = decodeBody(body, contentType);
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('{') || /json/.test(contentType)) return parseJsonFeed(start, feedUrl);
  return parseXmlFeed(start, feedUrl);
}

function parseXmlFeed(xml: string, feedUrl: string): ParsedFeed {
  if (/<!ENTITY/i.test(xml)) {
    throw new FeedProblem('The feed declares its own XML entities (<!ENTITY>), which this server refuses to read for safety.');
  }
  if (/^<!doctype\s+html|^<html/i.test(xml)) throw new FeedProblem('The address gave a web page, not a feed.');
  // feed-parser's XML reader is lenient (unclosed elements are read as closed); a feed that is not
  // well-formed XML is reported, with where it breaks, rather than half-read.
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new FeedProblem(`The feed could not be read: it is not valid RSS or Atom (not well-formed XML at line ${valid.err.line}: ${valid.err.msg.slice(0, 200)}).`);
  }
  let feed: ReturnType<typeof parseFeed>;
  try {
    feed = parseFeed(xml);
  } catch {
    throw new FeedProblem('The feed could not be read: it is not valid RSS or Atom.');
  }
  try {
    const siteUrl = httpUrl(feed.url, feedUrl);
    const items = feed.items.slice(0, MAX_ITEMS_PER_FETCH).map((item): ParsedItem => {
      const url = httpUrl(item.url, siteUrl ?? feedUrl);
      const title = cut(item.title, 1000);
      const contentHtml = item.content ?? item.description ?? '';
      return {
        guid: guidOf(item.id, url, title, contentHtml),
        url,
        title,
        author: cut(item.authors.map((a) => a.name ?? a.email ?? '').filter(Boolean).join(', '), 300),
        contentHtml,
        publishedAt: validDate(item.published ?? item.updated),
      };
    });
    return { title: cut(feed.title, 300), siteUrl, hub: linkOf(xml, 'hub', feedUrl), self: linkOf(xml, 'self', feedUrl), items };
  } catch {
    throw new FeedProblem('The feed could not be read: some of its entries are malformed.');
  }
}

// feed-parser does not expose <link rel="hub"> or rel="self"; the raw text is enough to find them.
function linkOf(xml: string, rel: 'hub' | 'self', feedUrl: string): string | null {
  const head = xml.slice(0, 20_000);
  const relPattern = new RegExp(`\\brel\\s*=\\s*["']${rel}["']`, 'i');
  for (const match of head.matchAll(/<(?:atom:)?link\b[^>]*>/gi)) {
    const tag = match[0];
    if (!relPattern.test(tag)) continue;
    const href = /\bhref\s*=\s*["']([^"']+)["']/i.exec(tag)?.[1];
    const url = httpUrl(href?.replace(/&amp;/g, '&'), feedUrl);
    if (url) return url;
  }
  return null;
}

// JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1): a small reader of the fields we keep.
function parseJsonFeed(text: string, feedUrl: string): ParsedFeed {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new FeedProblem('The feed could not be read: it is not valid JSON.');
  }
  const feed = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  if (typeof feed.version !== 'string' || !feed.version.startsWith('https://jsonfeed.org/version/') || !Array.isArray(feed.items)) {
    throw new FeedProblem('The feed could not be read: it is JSON, but not a JSON Feed.');
  }
  const siteUrl = httpUrl(feed.home_page_url, feedUrl);
  const hubs = Array.isArray(feed.hubs) ? feed.hubs : [];
  const hub = hubs.map((h) => (h && typeof h === 'object' && String((h as Record<string, unknown>).type).toLowerCase() === 'websub' ? httpUrl((h as Record<string, unknown>).url) : null)).find(Boolean) ?? null;
  const items = feed.items.slice(0, MAX_ITEMS_PER_FETCH).flatMap((raw): ParsedItem[] => {
    if (!raw || typeof raw !== 'object') return [];
    const item = raw as Record<string, unknown>;
    const url = httpUrl(item.url ?? item.external_url, siteUrl ?? feedUrl);
    const title = cut(typeof item.title === 'string' ? item.title : '', 1000);
    const contentHtml =
      typeof item.content_html === 'string'
        ? item.content_html
        : typeof item.content_text === 'string'
          ? `<p>${item.content_text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)}</p>`
          : typeof item.summary === 'string'
            ? item.summary.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)
            : '';
    const authors = Array.isArray(item.authors) ? item.authors : item.author ? [item.author] : [];
    const author = authors.map((a) => (a && typeof a === 'object' && typeof (a as Record<string, unknown>).name === 'string' ? String((a as Record<string, unknown>).name) : '')).filter(Boolean).join(', ');
    return [
      {
        guid: guidOf(typeof item.id === 'string' || typeof item.id === 'number' ? String(item.id) : undefined, url, title, contentHtml),
        url,
        title,
        author: cut(author, 300),
        contentHtml,
        publishedAt: validDate(item.date_published ?? item.date_modified),
      },
    ];
  });
  return { title: cut(typeof feed.title === 'string' ? feed.title : '', 300), siteUrl, hub, self: httpUrl(feed.feed_url, feedUrl), items };
}

/** rel="hub" and rel="self" of HTTP Link headers (RFC 8288), as WebSub discovery reads them first. */
export function linkHeaderRels(header: string | string[] | undefined, base: string): { hub: string | null; self: string | null } {
  const found: { hub: string | null; self: string | null } = { hub: null, self: null };
  const text = (Array.isArray(header) ? header.join(', ') : (header ?? '')).slice(0, 8_000);
  for (const match of text.matchAll(/<([^>]*)>((?:\s*;\s*[A-Za-z*-]+\s*=\s*(?:"[^"]*"|[^;,\s]*))*)/g)) {
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]*))/i.exec(match[2] ?? '');
    const names = (rels?.[1] ?? rels?.[2] ?? '').toLowerCase().split(/\s+/);
    for (const rel of ['hub', 'self'] as const) if (names.includes(rel) && !found[rel]) found[rel] = httpUrl(match[1], base);
  }
  return found;
}
