// The listening desk's rules beyond SQL: adding a watched feed from whatever address a person typed (a
// feed, or a site whose page advertises one), checking a key term, importing and exporting OPML.
import { Parser } from 'htmlparser2';
import type { Config } from '../config.js';
import type { Db } from '../db/create-db.js';
import { escapeHtml } from '../markdown/render.js';
import { checkOutboundUrl, OutboundError } from '../outbound/http.js';
import { cleanQueryText, MAX_QUERY_LENGTH, queryHasTerms } from '../search/queries.js';
import { advertisedFeeds } from './discover.js';
import { decodeBody } from './parse.js';
import { applyFeed, fetchFeed, schedulePoll, type FetchOutcome } from './poll.js';
import { findSourceByUrl, insertSource, type SourceMode } from './queries.js';

export type AddSourceResult = { ok: true; sourceId: number; title: string; newItems: number } | { ok: false; error: string };

/** "example.org/blog" → "https://example.org/blog"; anything else is checked as a fetchable address. */
export function normaliseAddress(raw: string): string {
  const trimmed = raw.trim();
  return /^[a-z][a-z0-9+.-]*:/i.test(trimmed) ? trimmed : `https://${trimmed}`;
}

function problemOf(outcome: Exclude<FetchOutcome, { kind: 'feed' }>): string {
  switch (outcome.kind) {
    case 'gone':
      return 'The site says this address is gone for good (410 Gone).';
    case 'slow-down':
      return `${outcome.message} Try again later.`;
    case 'html':
      return 'That page does not advertise a feed. Give the feed’s own address (it often ends in /feed, /rss, /atom.xml or /feed.json).';
    case 'not-modified':
      return 'The site answered “not modified” to a first request, which we cannot use. Try the feed’s own address.';
    case 'error':
      return outcome.message;
  }
}

/** Fetches the address (finding the feed a page advertises), then watches it and stores its items. */
export async function addSource(
  db: Db,
  config: Pick<Config, 'allowPrivateFetch' | 'listenPollMinutes'>,
  input: { projectId: number; address: string; mode: SourceMode; personId: number; now: Date },
): Promise<AddSourceResult> {
  if (!input.address.trim()) return { ok: false, error: 'Enter the address of a feed or of a site that has one.' };
  if (input.address.trim().length > 2000) return { ok: false, error: 'The address must be 2,000 characters or fewer.' };
  let url: string;
  try {
    url = checkOutboundUrl(normaliseAddress(input.address)).href;
  } catch (err) {
    return { ok: false, error: err instanceof OutboundError ? err.message : 'The address is not a valid URL.' };
  }
  const fetchOptions = { allowPrivate: config.allowPrivateFetch, now: input.now };
  let outcome = await fetchFeed(url, fetchOptions);
  if (outcome.kind === 'html') {
    const feeds = advertisedFeeds(decodeBody(outcome.response.body, String(outcome.response.headers['content-type'] ?? '')), outcome.response.url);
    if (feeds.length === 0) return { ok: false, error: problemOf(outcome) };
    url = feeds[0]!;
    outcome = await fetchFeed(url, fetchOptions);
    if (outcome.kind === 'html') return { ok: false, error: 'The page advertises a feed, but its address gives a web page, not a feed.' };
  }
  if (outcome.kind !== 'feed') return { ok: false, error: problemOf(outcome) };
  // A permanent move is followed now; a temporary one keeps the address asked for.
  const feedUrl = outcome.response.permanentlyMoved ? outcome.response.url : url;
  if (await findSourceByUrl(db, input.projectId, feedUrl)) return { ok: false, error: 'This project already watches that feed.' };
  const feed = outcome;
  return db.transaction().execute(async (tx): Promise<AddSourceResult> => {
    const sourceId = await insertSource(tx, { projectId: input.projectId, url: feedUrl, title: feed.feed.title, siteUrl: feed.feed.siteUrl, mode: input.mode, createdBy: input.personId, now: input.now });
    if (sourceId === undefined) return { ok: false, error: 'This project already watches that feed.' };
    const newItems = await applyFeed(tx, { id: sourceId, projectId: input.projectId }, feed, input.now);
    await schedulePoll(tx, { id: sourceId, url: feedUrl }, config.listenPollMinutes * 60);
    return { ok: true, sourceId, title: feed.feed.title || feedUrl, newItems };
  });
}

/** A key term as typed → the text to store, or what is wrong with it. */
export async function checkTerm(db: Db, raw: string): Promise<{ ok: true; query: string } | { ok: false; error: string }> {
  const query = cleanQueryText(raw).replace(/\s+/g, ' ');
  if (!query) return { ok: false, error: 'Enter a word or a phrase to listen for.' };
  if (Array.from(query).length > MAX_QUERY_LENGTH) return { ok: false, error: `A term must be ${MAX_QUERY_LENGTH} characters or fewer.` };
  if (!(await queryHasTerms(db, query))) return { ok: false, error: 'That term has no words we can search for (only very common words such as “the”).' };
  return { ok: true, query };
}

// ------------------------------------------------------------------------------------------ OPML

export function buildOpml(input: { title: string; sources: Array<{ url: string; title: string; siteUrl: string | null }>; now: Date }): string {
  const attr = (s: string) => escapeHtml(s).replace(/\n/g, '&#10;');
  const outlines = input.sources
    .map((s) => `    <outline type="rss" text="${attr(s.title || s.url)}" title="${attr(s.title || s.url)}" xmlUrl="${attr(s.url)}"${s.siteUrl ? ` htmlUrl="${attr(s.siteUrl)}"` : ''}/>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head>
    <title>${escapeHtml(input.title)}</title>
    <dateCreated>${input.now.toUTCString()}</dateCreated>
  </head>
  <body>
${outlines}
  </body>
</opml>
`;
}

export const MAX_OPML_FEEDS = 500;

/** The feed addresses (and titles) in an OPML document; entity declarations are refused. */
export function readOpml(text: string): { ok: true; feeds: Array<{ url: string; title: string }> } | { ok: false; error: string } {
  if (/<!ENTITY/i.test(text)) return { ok: false, error: 'The file declares XML entities, which we refuse to read for safety.' };
  if (!/<opml[\s>]/i.test(text)) return { ok: false, error: 'This is not an OPML file (no <opml> element).' };
  const feeds: Array<{ url: string; title: string }> = [];
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name.toLowerCase() !== 'outline') return;
        const raw = attribs.xmlUrl ?? attribs.xmlurl;
        if (!raw || feeds.length >= MAX_OPML_FEEDS) return;
        try {
          const url = checkOutboundUrl(raw.trim()).href;
          if (!feeds.some((f) => f.url === url)) feeds.push({ url, title: (attribs.title ?? attribs.text ?? '').trim().slice(0, 300) });
        } catch {
          /* not a feed address: skipped */
        }
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.end(text);
  if (feeds.length === 0) return { ok: false, error: 'The file lists no feed addresses (outline elements with an xmlUrl).' };
  return { ok: true, feeds };
}

/** Watches every feed of an OPML list not yet watched; each is fetched by its first poll, spread over a few minutes. */
export async function importOpml(db: Db, input: { projectId: number; feeds: Array<{ url: string; title: string }>; personId: number; now: Date }): Promise<{ added: number; skipped: number }> {
  return db.transaction().execute(async (tx) => {
    let added = 0;
    for (const [index, feed] of input.feeds.entries()) {
      const id = await insertSource(tx, { projectId: input.projectId, url: feed.url, title: feed.title, siteUrl: null, mode: 'all', createdBy: input.personId, now: input.now });
      if (id === undefined) continue;
      added++;
      await schedulePoll(tx, { id, url: feed.url }, index * 2);
    }
    return { added, skipped: input.feeds.length - added };
  });
}
