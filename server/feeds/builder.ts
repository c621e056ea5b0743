// The feed builder: a pure function from a feed model to Atom 1.0 (RFC 4287) or RSS 2.0 XML. No
// database, no HTTP, no clock: the same model always gives the same bytes, so it can be cached by a
// fingerprint of its data and tested on its own.
//
// We write the XML ourselves rather than through the `feed` package: that package writes titles as
// type="html" verbatim (a title with "<" becomes markup in readers), puts HTML into CDATA (which breaks
// on "]]>"), escapes only "&" in attributes, cannot put rel="alternate" type on entry links or a label on
// categories, and uses "now" for a missing updated. Each of those is a line here.
import { escapeHtml } from '../markdown/render.js';
import { XML_DECLARATION, element, emptyElement, rssText, textElement } from './xml.js';

export interface FeedPerson {
  name: string;
  /** Absolute URL of the person's (or project's) page. */
  uri?: string;
}

export interface FeedCategory {
  /** The tag slug. */
  term: string;
  /** The tag name people see. */
  label?: string;
  /** Absolute URL of the scheme (the project's tag space). */
  scheme?: string;
}

export interface FeedEntry {
  /** Absolute and permanent: a tag: URI minted at first publication. */
  id: string;
  title: string;
  /** Absolute URL of the HTML page. */
  url: string;
  published: Date;
  /** Last real change. */
  updated: Date;
  /** At least one. */
  authors: FeedPerson[];
  /** Plain text. */
  summary: string;
  /** Sanitized HTML whose links are already absolute. */
  contentHtml: string;
  categories: FeedCategory[];
}

export interface FeedModel {
  /** Absolute, permanent. */
  id: string;
  title: string;
  subtitle?: string;
  /** The absolute URL the feed is served at. */
  selfUrl: string;
  /** The absolute URL of the HTML page the feed follows. */
  alternateUrl: string;
  /** The WebSub hub that pushes this feed's updates (rel="hub"), when there is one. */
  hubUrl?: string;
  /** Feed-level author, so the feed is valid even when it has no entries. */
  author: FeedPerson;
  /**
   * When the feed last changed (its Last-Modified): entries added, changed or taken out. Never "now" for
   * its own sake; when nothing ever happened, when the feed began (its project was created…).
   */
  updated: Date;
  /** Newest first. */
  entries: FeedEntry[];
}

export const GENERATOR = 'Project blogs';

/** RFC 3339, to the second, in UTC. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 822 (with a four-digit year, as RFC 1123 and every RSS reader expect). */
export function rfc822(date: Date): string {
  return date.toUTCString();
}

/** The feed's updated: when it last changed, and never before its newest entry's. */
export function feedUpdated(model: Pick<FeedModel, 'entries' | 'updated'>): Date {
  let newest = model.updated;
  for (const e of model.entries) if (e.updated > newest) newest = e.updated;
  return newest;
}

function atomPerson(tag: 'author', person: FeedPerson): string {
  return element(tag, [textElement('name', person.name), ...(person.uri ? [textElement('uri', person.uri)] : [])]);
}

export function buildAtom(model: FeedModel): string {
  const head = [
    textElement('id', model.id),
    textElement('title', model.title, { type: 'text' }),
    ...(model.subtitle ? [textElement('subtitle', model.subtitle, { type: 'text' })] : []),
    textElement('updated', rfc3339(feedUpdated(model))),
    emptyElement('link', { rel: 'self', type: 'application/atom+xml', href: model.selfUrl }),
    ...(model.hubUrl ? [emptyElement('link', { rel: 'hub', href: model.hubUrl })] : []),
    emptyElement('link', { rel: 'alternate', type: 'text/html', href: model.alternateUrl }),
    atomPerson('author', model.author),
    textElement('generator', GENERATOR),
  ];
  const entries = model.entries.map((e) =>
    element('entry', [
      textElement('id', e.id),
      textElement('title', e.title, { type: 'text' }),
      emptyElement('link', { rel: 'alternate', type: 'text/html', href: e.url }),
      textElement('published', rfc3339(e.published)),
      textElement('updated', rfc3339(e.updated)),
      ...e.authors.map((a) => atomPerson('author', a)),
      ...e.categories.map((c) => emptyElement('category', { term: c.term, scheme: c.scheme, label: c.label })),
      textElement('summary', e.summary, { type: 'text' }),
      textElement('content', e.contentHtml, { type: 'html' }),
    ]),
  );
  return `${XML_DECLARATION}<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n${[...head, ...entries].join('\n')}\n</feed>\n`;
}

export function buildRss(model: FeedModel): string {
  const channel = [
    // Plain text that readers may show as HTML: see rssText.
    textElement('title', rssText(model.title)),
    textElement('link', model.alternateUrl),
    textElement('description', rssText(model.subtitle || model.title)),
    textElement('language', 'en'),
    textElement('lastBuildDate', rfc822(feedUpdated(model))),
    textElement('generator', GENERATOR),
    textElement('docs', 'https://www.rssboard.org/rss-specification'),
    emptyElement('atom:link', { href: model.selfUrl, rel: 'self', type: 'application/rss+xml' }),
    ...(model.hubUrl ? [emptyElement('atom:link', { href: model.hubUrl, rel: 'hub' })] : []),
  ];
  const items = model.entries.map((e) =>
    element('item', [
      textElement('title', rssText(e.title)),
      textElement('link', e.url),
      // tag: ids are not URLs a browser can open.
      textElement('guid', e.id, { isPermaLink: /^https?:\/\//.test(e.id) ? 'true' : 'false' }),
      textElement('pubDate', rfc822(e.published)),
      ...e.authors.map((a) => textElement('dc:creator', rssText(a.name))),
      ...e.categories.map((c) => textElement('category', rssText(c.label ?? c.term), c.scheme ? { domain: c.scheme } : {})),
      // RSS descriptions are HTML: the plain-text summary is escaped as HTML first, then as XML.
      textElement('description', escapeHtml(e.summary)),
      textElement('content:encoded', e.contentHtml),
    ]),
  );
  return (
    `${XML_DECLARATION}<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n` +
    `<channel>\n${[...channel, ...items].join('\n')}\n</channel>\n</rss>\n`
  );
}
