// "A site address is accepted and its advertised feed found": the feeds a web page advertises with
// <link rel="alternate" type="application/rss+xml | atom+xml | feed+json" href="…">, in page order.
import { Parser } from 'htmlparser2';

const FEED_TYPES = new Set(['application/rss+xml', 'application/atom+xml', 'application/rdf+xml', 'application/feed+json', 'application/json']);

/** Looks like an HTML page rather than a feed (by media type, else by its first bytes). */
export function looksLikeHtml(mediaType: string, body: Buffer): boolean {
  if (mediaType === 'text/html' || mediaType === 'application/xhtml+xml') return true;
  const head = body.subarray(0, 512).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

/** The feed addresses a page advertises, absolute, http(s) only. */
export function advertisedFeeds(html: string, pageUrl: string): string[] {
  const found: string[] = [];
  let base = pageUrl;
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'base' && attribs.href) {
          try {
            base = new URL(attribs.href, pageUrl).href;
          } catch {
            /* keep the page's own address */
          }
        }
        if (name !== 'link') return;
        const rels = (attribs.rel ?? '').toLowerCase().split(/\s+/);
        const type = (attribs.type ?? '').toLowerCase().split(';')[0]!.trim();
        if (!rels.includes('alternate') || !FEED_TYPES.has(type) || !attribs.href) return;
        try {
          const url = new URL(attribs.href, base);
          if ((url.protocol === 'http:' || url.protocol === 'https:') && !found.includes(url.href)) found.push(url.href);
        } catch {
          /* not an address */
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html.slice(0, 500_000));
  return found;
}
