import { describe, expect, it } from 'vitest';
import { parseDocument, DomUtils } from 'htmlparser2';
import { MAX_HTML_DEPTH, MAX_RENDER_CHARS, RENDERER_VERSION, escapeHtml, nestsDeeperThan, renderCommentHtml, renderPost, renderPostHtml } from '../../server/markdown/render.js';
import { COMMENT_CASES, POST_CASES } from './fixtures/markdown-cases.js';

const elements = (html: string) => DomUtils.findAll(() => true, parseDocument(html).children);

describe('renderPostHtml: ordinary Markdown', () => {
  it.each(POST_CASES)('$name', ({ input, expected }) => {
    expect(renderPostHtml(input).trim()).toBe(expected);
  });

  it('heading ids restart for every document', () => {
    expect(renderPostHtml('# Goals')).toContain('id="section-goals"');
    expect(renderPostHtml('# Goals')).toContain('id="section-goals"');
  });

  it('renders empty input as empty output', () => {
    expect(renderPostHtml('')).toBe('');
  });
});

describe('renderPostHtml: code blocks and tables are named, focusable scroll regions (issue 14)', () => {
  const regions = (html: string) => elements(html).filter((el) => el.attribs['role'] !== undefined || el.attribs['tabindex'] !== undefined || el.attribs['aria-label'] !== undefined);

  it('every pre is a region with tabindex 0 and a numbered name; every table is wrapped in one', () => {
    const html = renderPostHtml('```js\nlet x = 1;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n    indented\n\n<table><tr><td>raw</td></tr></table>');
    const found = regions(html).map((el) => `${el.name} ${el.attribs['role']} ${el.attribs['tabindex']} ${el.attribs['aria-label']}`);
    expect(found).toEqual(['pre region 0 Code example 1', 'div region 0 Table 1', 'pre region 0 Code example 2', 'div region 0 Table 2']);
    // The table keeps its own semantics inside the region.
    for (const table of elements(html).filter((el) => el.name === 'table')) {
      expect((table.parent as { attribs?: Record<string, string> }).attribs?.['class']).toBe('table-region');
      expect(table.attribs['role']).toBeUndefined();
    }
  });

  it('what an author writes cannot add role, tabindex or aria-label anywhere, nor change the ones given', () => {
    const html = renderPostHtml(
      [
        '<div role="region" tabindex="0" aria-label="Fake"><p tabindex="0" role="button" aria-label="Click">text</p></div>',
        '<a href="/x" tabindex="1" role="button">link</a> <img src="/i.png" alt="i" tabindex="0" role="presentation">',
        '<pre tabindex="-1" role="button" aria-label="Not this">code</pre>',
        '<table role="presentation" tabindex="3"><tr><td role="button" tabindex="0">cell</td></tr></table>',
        '<h2 role="tab" tabindex="0" aria-label="x">Heading</h2>',
      ].join('\n\n'),
    );
    const found = regions(html).map((el) => `${el.name} ${el.attribs['role']} ${el.attribs['tabindex']} ${el.attribs['aria-label']}`);
    expect(found).toEqual(['pre region 0 Code example 1', 'div region 0 Table 1']);
  });

  it('comments get none (they have no wide blocks of their own), and feeds drop them again', () => {
    expect(renderCommentHtml('```\ncode\n```')).not.toContain('tabindex');
  });
});

describe('renderCommentHtml: ordinary Markdown', () => {
  it.each(COMMENT_CASES)('$name', ({ input, expected }) => {
    expect(renderCommentHtml(input).trim()).toBe(expected);
  });

  it('produces only the comment element set, and every link has nofollow ugc noopener', () => {
    const all = COMMENT_CASES.map((c) => c.input).join('\n\n');
    const found = elements(renderCommentHtml(all));
    const names = new Set(found.map((el) => el.name));
    for (const forbidden of ['img', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'hr', 'b', 'script']) {
      expect(names.has(forbidden), forbidden).toBe(false);
    }
    const links = found.filter((el) => el.name === 'a');
    expect(links.length).toBeGreaterThan(0);
    for (const a of links) expect(a.attribs['rel']).toBe('nofollow ugc noopener');
  });
});

describe('escapeHtml', () => {
  it('escapes text and attribute metacharacters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('leaves other text alone', () => {
    expect(escapeHtml('plain text, ünïcode 😀')).toBe('plain text, ünïcode 😀');
  });
});

describe('RENDERER_VERSION', () => {
  it('is a positive integer', () => {
    expect(Number.isInteger(RENDERER_VERSION) && RENDERER_VERSION > 0).toBe(true);
  });
});

describe('renderPost: bounded work', () => {
  it('raw HTML nested deeper than MAX_HTML_DEPTH is shown as text, and says so', () => {
    const deep = renderPost(`Intro **bold**\n\n${'<b>'.repeat(MAX_HTML_DEPTH + 1)}x`);
    expect(deep.limited).toBe('too-deep');
    expect(deep.html).toContain('<strong>bold</strong>');
    expect(deep.html).toContain('&lt;b&gt;&lt;b&gt;');
    expect(elements(deep.html).filter((e) => 'name' in e && e.name === 'b')).toEqual([]);
  });

  it('ordinary nesting, closed tags and long flat HTML render as written', () => {
    const nested = renderPost(`${'<b>'.repeat(40)}x${'</b>'.repeat(40)}`);
    expect(nested.limited).toBeUndefined();
    expect(nested.html).toBe(`<p>${'<b>'.repeat(40)}x${'</b>'.repeat(40)}</p>\n`);
    const flat = renderPost('<b>x</b> '.repeat(5_000));
    expect(flat.limited).toBeUndefined();
    expect(flat.html.match(/<b>/g)).toHaveLength(5_000);
  });

  it('counts depth as the parser sees it: stray end tags close nothing, "<b/>" opens, void elements do not', () => {
    expect(nestsDeeperThan('<b></i>'.repeat(200), 128)).toBe(true);
    expect(nestsDeeperThan('<b/>'.repeat(200), 128)).toBe(true);
    expect(nestsDeeperThan('<B>'.repeat(200), 128)).toBe(true);
    expect(nestsDeeperThan('<br><img src=x><hr>'.repeat(200), 128)).toBe(false);
    expect(nestsDeeperThan('<b><i></b>'.repeat(200), 128)).toBe(false); // </b> closes the <i> opened inside it
    expect(nestsDeeperThan('&lt;b&gt;'.repeat(200), 128)).toBe(false);
  });

  it('text longer than MAX_RENDER_CHARS is not rendered at all', () => {
    const long = renderPost('a'.repeat(MAX_RENDER_CHARS + 1));
    expect(long).toEqual({ html: '', limited: 'too-long' });
    expect(renderPostHtml('a'.repeat(MAX_RENDER_CHARS + 1))).toBe('');
  });
});
