import { describe, expect, it } from 'vitest';
import { parseDocument, DomUtils } from 'htmlparser2';
import {
  excerptFromHtml,
  makeUrlsAbsolute,
  renderCommentHtml,
  renderPostHtml,
} from '../../server/markdown/render.js';
import { FEED_PROFILE, safetyProblems } from './fixtures/html-safety.js';

const BASE = 'https://blogs.example.gov/';
const PAGE = 'https://blogs.example.gov/p/team/hello';

/** [tag, attribute, value] for every href/src in the output, via a real parse. */
function urls(html: string): [string, string, string][] {
  return DomUtils.findAll(() => true, parseDocument(html).children).flatMap((el) =>
    (['href', 'src'] as const).flatMap((a): [string, string, string][] =>
      el.attribs[a] === undefined ? [] : [[el.name, a, el.attribs[a]]],
    ),
  );
}

describe('excerptFromHtml', () => {
  it('strips tags and decodes entities', () => {
    expect(excerptFromHtml('<p>Fish &amp; chips &lt;3 &quot;ok&quot; &#x263A;</p>')).toBe('Fish & chips <3 "ok" ☺');
  });

  it('separates block elements but not inline ones', () => {
    expect(excerptFromHtml('<h1>Title</h1><p>Body</p><ul><li>a</li><li>b</li></ul>')).toBe('Title Body a b');
    expect(excerptFromHtml('<p>foo<em>bar</em> baz</p>')).toBe('foobar baz');
  });

  it('collapses whitespace, including newlines and no-break spaces', () => {
    expect(excerptFromHtml('<p>  a\n\n\tb&nbsp;&nbsp;c  </p>\n<p> d </p>')).toBe('a b c d');
  });

  it('returns short text unchanged, without an ellipsis', () => {
    expect(excerptFromHtml('<p>short</p>')).toBe('short');
    expect(excerptFromHtml('<p>12345</p>', 5)).toBe('12345');
    expect(excerptFromHtml('')).toBe('');
  });

  it('cuts at a word boundary and appends an ellipsis', () => {
    const html = '<p>The quick brown fox jumps over the lazy dog</p>';
    expect(excerptFromHtml(html, 20)).toBe('The quick brown fox…');
    expect(excerptFromHtml(html, 18)).toBe('The quick brown…');
  });

  it('never exceeds maxChars (ellipsis included)', () => {
    const html = '<p>The quick brown fox jumps over the lazy dog, again and again.</p>';
    for (let max = 1; max <= 70; max++) {
      const excerpt = excerptFromHtml(html, max);
      expect(Array.from(excerpt).length, `max=${max}`).toBeLessThanOrEqual(max);
    }
  });

  it('hard-cuts a single word longer than the limit', () => {
    expect(excerptFromHtml('<p>Supercalifragilistic</p>', 10)).toBe('Supercali…');
  });

  it('drops punctuation left dangling before the ellipsis', () => {
    expect(excerptFromHtml('<p>Hello, world and more</p>', 7)).toBe('Hello…');
  });

  it('defaults to 200 characters', () => {
    const long = `<p>${'word '.repeat(100)}</p>`;
    const excerpt = excerptFromHtml(long);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerpt.length).toBeLessThanOrEqual(200);
    expect(excerpt.length).toBeGreaterThan(190);
  });

  it('does not split surrogate pairs', () => {
    expect(excerptFromHtml(`<p>${'😀'.repeat(10)}</p>`, 5)).toBe('😀😀😀😀…');
  });

  it('returns plain text: markup-looking text comes back decoded (callers escape it)', () => {
    expect(excerptFromHtml('<p>a &lt;b&gt;</p>')).toBe('a <b>');
  });

  it('ignores script/style content if handed unsanitized HTML', () => {
    expect(excerptFromHtml('<p>a</p><script>evil()</script><style>p{}</style>')).toBe('a');
  });

  it('works on rendered posts', () => {
    const html = renderPostHtml('# Title\n\nSome *text* with [link](/x) &amp; more.\n\n```js\ncode()\n```');
    expect(excerptFromHtml(html)).toBe('Title Some text with link & more. code()');
  });
});

describe('makeUrlsAbsolute', () => {
  it('makes site-relative href and src absolute against baseUrl', () => {
    const html = '<p><a href="/about">a</a> <img src="/u/a.png" alt="" loading="lazy" /></p>';
    expect(urls(makeUrlsAbsolute(html, BASE))).toEqual([
      ['a', 'href', 'https://blogs.example.gov/about'],
      ['img', 'src', 'https://blogs.example.gov/u/a.png'],
    ]);
  });

  it('resolves path-relative URLs against baseUrl, including a base with a path', () => {
    expect(urls(makeUrlsAbsolute('<a href="docs/x?y=1">d</a>', BASE))).toEqual([
      ['a', 'href', 'https://blogs.example.gov/docs/x?y=1'],
    ]);
    expect(urls(makeUrlsAbsolute('<a href="x">x</a><a href="/y">y</a>', 'https://example.gov/blogs/'))).toEqual([
      ['a', 'href', 'https://example.gov/blogs/x'],
      ['a', 'href', 'https://example.gov/y'],
    ]);
  });

  it('resolves fragment-only links against pageUrl, and leaves them alone without one', () => {
    const html = '<a href="#section-goals">g</a>';
    expect(urls(makeUrlsAbsolute(html, BASE, PAGE))).toEqual([
      ['a', 'href', 'https://blogs.example.gov/p/team/hello#section-goals'],
    ]);
    expect(urls(makeUrlsAbsolute(html, BASE))).toEqual([['a', 'href', '#section-goals']]);
  });

  it('makes protocol-relative URLs absolute with the base scheme', () => {
    expect(urls(makeUrlsAbsolute('<a href="//cdn.example.org/x" rel="noopener">c</a>', BASE))).toEqual([
      ['a', 'href', 'https://cdn.example.org/x'],
    ]);
  });

  it('leaves absolute http(s) and mailto URLs exactly as they were', () => {
    const html =
      '<a href="https://Example.org/A?b=1#c" rel="noopener">a</a>' +
      '<a href="http://example.org" rel="noopener">b</a>' +
      '<a href="mailto:team@example.gov">m</a>' +
      '<img src="https://img.example.org/x.png" loading="lazy" />';
    expect(makeUrlsAbsolute(html, BASE, PAGE)).toBe(html);
  });

  it('keeps rel, heading ids and code classes', () => {
    const comment = renderCommentHtml('[home](/)');
    expect(makeUrlsAbsolute(comment, BASE)).toContain(
      '<a href="https://blogs.example.gov/" rel="nofollow ugc noopener">home</a>',
    );
    const post = renderPostHtml('# Goals\n\n```js\nx\n```');
    expect(makeUrlsAbsolute(post, BASE)).toBe(post.replace(' tabindex="0" role="region" aria-label="Code example 1"', ''));
  });

  it('drops the scroll regions of code blocks and tables (keyboard aids of a page, not content)', () => {
    const post = renderPostHtml('```\ncode\n```\n\n| a |\n|---|\n| 1 |');
    expect(post).toContain('role="region"');
    const feed = makeUrlsAbsolute(post, BASE);
    expect(feed).not.toMatch(/role=|tabindex=|aria-label=|<div/);
    expect(feed).toContain('<table>');
    expect(feed).toContain('<pre><code>');
  });

  it('is idempotent', () => {
    const once = makeUrlsAbsolute(renderPostHtml('[a](/a) ![i](i.png) [f](#x)'), BASE, PAGE);
    expect(makeUrlsAbsolute(once, BASE, PAGE)).toBe(once);
  });

  it('keeps its output sanitized even for hostile input', () => {
    const hostile =
      '<a href="javascript:alert(1)" onclick="x()">a</a><img src="data:image/svg+xml,x" onerror="y()">' +
      '<script>z()</script><iframe src="/x"></iframe><p style="color:red" id="main">p</p>';
    const out = makeUrlsAbsolute(hostile, BASE, PAGE);
    expect(safetyProblems(out, FEED_PROFILE)).toEqual([]);
    expect(out).not.toContain('z()');
  });

  it('handles a whole rendered post', () => {
    const html = renderPostHtml('# T\n\n[rel](/r) [ext](https://x.org) [top](#section-t) ![i](/i.png)');
    expect(urls(makeUrlsAbsolute(html, BASE, PAGE))).toEqual([
      ['a', 'href', 'https://blogs.example.gov/r'],
      ['a', 'href', 'https://x.org'],
      ['a', 'href', 'https://blogs.example.gov/p/team/hello#section-t'],
      ['img', 'src', 'https://blogs.example.gov/i.png'],
    ]);
  });
});
