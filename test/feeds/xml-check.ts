// Test helpers for feeds: RELAX NG validation with libxml2's xmllint (RFC 4287 Appendix B in
// test/feeds/atom.rng) and a tiny XML tree for the checks the schema cannot make. xmllint runs as
// WebAssembly (xmllint-wasm), so `npm test` needs no system package.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser } from 'htmlparser2';
import { validateXML } from 'xmllint-wasm';

export const ATOM_RNG = path.join(path.dirname(fileURLToPath(import.meta.url)), 'atom.rng');

/** Validates XML against a RELAX NG schema (by default the RFC 4287 one): xmllint's messages, none if valid. */
export async function xmllintErrors(xml: string, schema = ATOM_RNG): Promise<string[]> {
  const result = await validateXML({
    xml: { fileName: 'feed.xml', contents: xml },
    schema: { fileName: path.basename(schema), contents: readFileSync(schema, 'utf8') },
    extension: 'relaxng',
  });
  if (result.valid) return [];
  const errors = result.errors.map((e) => e.rawMessage).filter((line) => line.trim() && !/fails to validate$/.test(line));
  return errors.length > 0 ? errors : [result.rawOutput || 'invalid, without a message'];
}

/** Well-formedness only (RSS 2.0 and OPML have no official schema). */
export async function xmlWellFormedErrors(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: { fileName: 'feed.xml', contents: xml }, normalization: 'format' });
  if (result.valid) return [];
  const errors = result.errors.map((e) => e.rawMessage).filter(Boolean);
  return errors.length > 0 ? errors : [result.rawOutput || 'not well-formed, without a message'];
}

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        const node: XmlNode = { name, attrs, children: [], text: '' };
        stack[stack.length - 1]!.children.push(node);
        stack.push(node);
      },
      ontext(text) {
        stack[stack.length - 1]!.text += text;
      },
      onclosetag() {
        stack.pop();
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.end(xml);
  const top = root.children[0];
  if (!top) throw new Error('no root element');
  return top;
}

export const kids = (node: XmlNode, name: string) => node.children.filter((c) => c.name === name);
export const kid = (node: XmlNode, name: string) => kids(node, name)[0];
export const textOf = (node: XmlNode, name: string) => kid(node, name)?.text;

/**
 * What RFC 4287 asks beyond the schema, and what we promise: absolute ids, RFC 3339 dates, an author
 * for every entry, the feed's updated no earlier than its newest entry's (it is when the feed last
 * changed, entries taken out included), rel=self = the URL it was served at,
 * rel=alternate absolute. Returns the parsed feed for further checks.
 */
export async function checkAtomSemantics(xml: string, servedAt: string): Promise<XmlNode> {
  const errors = await xmllintErrors(xml);
  if (errors.length) throw new Error(`not valid Atom (RFC 4287) at ${servedAt}:\n${errors.join('\n')}\n\n${xml.slice(0, 2000)}`);
  const feed = parseXml(xml);
  const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
  const must = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`${servedAt}: ${what}`);
  };
  const isAbsolute = (uri: string | undefined) => !!uri && /^[a-z][a-z0-9+.-]*:/i.test(uri) && !!new URL(uri);
  must(isAbsolute(textOf(feed, 'id')), 'feed id is not absolute');
  const links = kids(feed, 'link');
  must(links.find((l) => l.attrs.rel === 'self')?.attrs.href === servedAt, `rel=self is ${links.find((l) => l.attrs.rel === 'self')?.attrs.href}, not ${servedAt}`);
  const alternate = links.find((l) => l.attrs.rel === 'alternate');
  must(isAbsolute(alternate?.attrs.href), 'no absolute rel=alternate');
  const updated = textOf(feed, 'updated') ?? '';
  must(rfc3339.test(updated), `feed updated ${updated} is not RFC 3339`);
  const entries = kids(feed, 'entry');
  let newest = '';
  const ids = new Set<string>();
  for (const e of entries) {
    const id = textOf(e, 'id');
    must(isAbsolute(id), `entry id ${id} is not absolute`);
    must(!ids.has(id!), `duplicate entry id ${id}`);
    ids.add(id!);
    must(kids(e, 'author').length > 0 && kids(e, 'author').every((a) => !!textOf(a, 'name')?.trim()), `entry ${id} has no author`);
    const eu = textOf(e, 'updated') ?? '';
    const ep = textOf(e, 'published') ?? '';
    must(rfc3339.test(eu) && rfc3339.test(ep), `entry ${id} dates are not RFC 3339`);
    must(Date.parse(eu) >= Date.parse(ep), `entry ${id} updated before published`);
    must(isAbsolute(kids(e, 'link').find((l) => (l.attrs.rel ?? 'alternate') === 'alternate')?.attrs.href), `entry ${id} has no absolute alternate link`);
    must(!!textOf(e, 'summary')?.trim(), `entry ${id} has no summary`);
    must(kid(e, 'content')?.attrs.type === 'html', `entry ${id} has no html content`);
    if (eu > newest) newest = eu;
  }
  if (entries.length) must(Date.parse(updated) >= Date.parse(newest), `feed updated ${updated} is before the newest entry's ${newest}`);
  return feed;
}

/** RSS 2.0: required channel and item elements, RFC 822 dates, guid isPermaLink=false for tag: ids. */
export async function checkRss(xml: string, servedAt: string): Promise<XmlNode> {
  const wf = await xmlWellFormedErrors(xml);
  if (wf.length) throw new Error(`RSS at ${servedAt} is not well-formed XML:\n${wf.join('\n')}`);
  const rss = parseXml(xml);
  const must = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`${servedAt}: ${what}`);
  };
  must(rss.name === 'rss' && rss.attrs.version === '2.0', 'root is not <rss version="2.0">');
  const channels = kids(rss, 'channel');
  must(channels.length === 1, 'not exactly one channel');
  const channel = channels[0]!;
  for (const name of ['title', 'link', 'description']) must(!!textOf(channel, name)?.trim(), `channel has no ${name}`);
  must(/^https?:\/\//.test(textOf(channel, 'link')!), 'channel link is not absolute');
  const rfc822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d (GMT|[+-]\d{4})$/;
  const lbd = textOf(channel, 'lastBuildDate');
  if (lbd !== undefined) must(rfc822.test(lbd), `lastBuildDate ${lbd} is not RFC 822`);
  must(kids(channel, 'atom:link').some((l) => l.attrs.rel === 'self' && l.attrs.href === servedAt), 'no atom:link rel=self to the served URL');
  for (const item of kids(channel, 'item')) {
    must(!!(textOf(item, 'title') || textOf(item, 'description')), 'item without title or description');
    must(/^https?:\/\//.test(textOf(item, 'link') ?? ''), 'item link is not absolute');
    const guid = kid(item, 'guid');
    must(!!guid?.text, 'item without guid');
    if (guid!.text.startsWith('tag:')) must(guid!.attrs.isPermaLink === 'false', 'tag: guid without isPermaLink="false"');
    must(rfc822.test(textOf(item, 'pubDate') ?? ''), `pubDate ${textOf(item, 'pubDate')} is not RFC 822`);
  }
  return rss;
}
