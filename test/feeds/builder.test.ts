// The feed builder on its own: data in, XML out, no database and no HTTP.
import { parseDocument, DomUtils } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { buildAtom, buildRss, type FeedModel } from '../../server/feeds/builder.js';
import { FeedCache } from '../../server/feeds/cache.js';
import { rssText } from '../../server/feeds/xml.js';
import { checkAtomSemantics, checkRss, kid, kids, parseXml, textOf, xmlWellFormedErrors } from './xml-check.js';

const base: FeedModel = {
  id: 'https://blogs.example.gov/p/feed.atom',
  title: 'A <b>bold</b> & "quoted" project',
  subtitle: 'Sub <script>',
  selfUrl: 'https://blogs.example.gov/p/feed.atom',
  alternateUrl: 'https://blogs.example.gov/p/',
  author: { name: 'The project', uri: 'https://blogs.example.gov/p/' },
  updated: new Date('2020-01-01T00:00:00Z'),
  entries: [
    {
      id: 'tag:blogs.example.gov,2024-03-01:post-2',
      title: 'Why x < y & "z" matters\u0001',
      url: 'https://blogs.example.gov/p/posts/why',
      published: new Date('2024-03-01T09:00:00Z'),
      updated: new Date('2024-03-05T10:30:00.123Z'),
      authors: [{ name: 'Ada & Co', uri: 'https://blogs.example.gov/people/ada' }],
      summary: 'A summary with <tags> ]]> inside',
      contentHtml: '<p>Body with <a href="https://blogs.example.gov/x">a link</a> and ]]> too</p>',
      categories: [{ term: 'data', label: 'Data & privacy', scheme: 'https://blogs.example.gov/p/tags/' }],
    },
    {
      id: 'tag:blogs.example.gov,2024-01-01:post-1',
      title: 'Older',
      url: 'https://blogs.example.gov/p/posts/older',
      published: new Date('2024-01-01T09:00:00Z'),
      updated: new Date('2024-01-02T09:00:00Z'),
      authors: [{ name: 'Bo' }],
      summary: 's',
      contentHtml: '<p>b</p>',
      categories: [],
    },
  ],
};

describe('feed builder', () => {
  it('writes valid Atom whose text stays text: titles escaped, control characters dropped', async () => {
    const xml = buildAtom(base);
    const feed = await checkAtomSemantics(xml, base.selfUrl);
    expect(textOf(feed, 'title')).toBe('A <b>bold</b> & "quoted" project');
    expect(kid(feed, 'title')!.attrs.type).toBe('text');
    const entry = kids(feed, 'entry')[0]!;
    expect(textOf(entry, 'title')).toBe('Why x < y & "z" matters');
    expect(textOf(entry, 'content')).toBe(base.entries[0]!.contentHtml);
    expect(kid(entry, 'category')!.attrs).toMatchObject({ term: 'data', label: 'Data & privacy' });
    expect(xml).not.toContain('CDATA');
  });

  it("the feed's updated is when it last changed, never before its newest entry's, to the second, never now", () => {
    const feed = parseXml(buildAtom(base));
    expect(textOf(feed, 'updated')).toBe('2024-03-05T10:30:00Z');
    // An entry left after the newest one was written: the feed changed then.
    const later = parseXml(buildAtom({ ...base, updated: new Date('2024-04-01T08:00:00.900Z') }));
    expect(textOf(later, 'updated')).toBe('2024-04-01T08:00:00Z');
    const empty = parseXml(buildAtom({ ...base, entries: [] }));
    expect(textOf(empty, 'updated')).toBe('2020-01-01T00:00:00Z');
  });

  it('an empty feed is still valid Atom (a feed-level author)', async () => {
    await checkAtomSemantics(buildAtom({ ...base, entries: [] }), base.selfUrl);
  });

  it('writes RSS 2.0 with RFC 822 dates and non-permalink guids for tag: ids', async () => {
    const self = 'https://blogs.example.gov/p/feed.rss';
    const rss = await checkRss(buildRss({ ...base, selfUrl: self }), self);
    const item = kids(kid(rss, 'channel')!, 'item')[0]!;
    expect(kid(item, 'guid')!.attrs.isPermaLink).toBe('false');
    expect(textOf(item, 'pubDate')).toBe('Fri, 01 Mar 2024 09:00:00 GMT');
    expect(textOf(kid(rss, 'channel')!, 'lastBuildDate')).toBe('Tue, 05 Mar 2024 10:30:00 GMT');
    // The plain-text summary is HTML-escaped inside the (HTML) description.
    expect(textOf(item, 'description')).toBe('A summary with &lt;tags&gt; ]]&gt; inside');
  });

  it('RSS plain text (titles, categories, creators) shows no markup to readers that render it as HTML, and the text to those that do not', async () => {
    const hostile = '<img src=x onerror=alert(1)> AT&T: x < y, I <3 N.Y. & <b>bold</b> &lt; <!-- c --> "q" \'a\'';
    const model: FeedModel = {
      ...base,
      title: hostile,
      subtitle: hostile,
      entries: [{ ...base.entries[0]!, title: hostile, authors: [{ name: hostile }], categories: [{ term: 't', label: hostile }] }],
    };
    const self = 'https://blogs.example.gov/p/feed.rss';
    const xml = buildRss({ ...model, selfUrl: self });
    const rss = await checkRss(xml, self);
    const channel = kid(rss, 'channel')!;
    const item = kid(channel, 'item')!;
    const texts = [textOf(channel, 'title'), textOf(channel, 'description'), textOf(item, 'title'), textOf(item, 'dc:creator'), textOf(item, 'category')];
    for (const text of texts) {
      // A reader that takes the text as HTML finds no element and no comment, and shows the original
      // (a character reference typed in the text, "&lt;", it decodes: text all the same, never markup).
      const doc = parseDocument(text!, { decodeEntities: true });
      expect(DomUtils.findAll(() => true, doc.children), text).toEqual([]);
      expect(doc.children.every((n) => n.type === 'text'), text).toBe(true);
      expect(DomUtils.textContent(doc), text).toBe(hostile.replace('&lt;', '<'));
      // A reader that takes it as text sees every character but the tag-like "<" as typed.
      expect(text).toBe(hostile.replace(/<(?=[A-Za-z/!?])/g, '&lt;'));
    }
    // Single "&", "<", ">" are hexadecimal character references (RSS Best Practices Profile).
    expect(xml).toContain('AT&#x26;T: x &#x3C; y, I &#x3C;3 N.Y. &#x26; &amp;lt;b&#x3E;bold&amp;lt;/b&#x3E;');
    // Atom is untouched: type="text" says what it is.
    const atom = parseXml(buildAtom(model));
    expect(textOf(atom, 'title')).toBe(hostile);
    expect(textOf(kid(atom, 'entry')!, 'title')).toBe(hostile);
  });

  it('rssText is well-formed in elements and attributes and drops what XML forbids', async () => {
    const text = rssText('a"b\'c<d>e&f\u0001g');
    const doc = `<?xml version="1.0"?><r a="${text.xml}" b='${text.xml}'>${text.xml}</r>`;
    expect(await xmlWellFormedErrors(doc)).toEqual([]);
    const r = parseXml(doc);
    expect(r.attrs.a).toBe('a"b\'c&lt;d>e&fg');
    expect(r.text).toBe('a"b\'c&lt;d>e&fg');
  });

  it('is a pure function: the same model gives the same bytes', () => {
    expect(buildAtom(base)).toBe(buildAtom(structuredClone(base)));
  });
});

describe('feed cache', () => {
  it('keeps at most its bound, evicting the least recently used', () => {
    const cache = new FeedCache(2);
    const v = (body: string) => ({ body, etag: '"x"', lastModified: new Date(0) });
    cache.set('a', v('1'));
    cache.set('b', v('2'));
    expect(cache.get('a')?.body).toBe('1');
    cache.set('c', v('3'));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.body).toBe('1');
    expect(cache.size).toBe(2);
  });

  it('is bounded in bytes too', () => {
    const cache = new FeedCache(100, 10);
    cache.set('a', { body: '123456', etag: '"a"', lastModified: new Date(0) });
    cache.set('b', { body: '123456', etag: '"b"', lastModified: new Date(0) });
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
  });
});
