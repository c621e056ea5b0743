import { describe, expect, it } from 'vitest';
import { parseDocument, DomUtils } from 'htmlparser2';
import { RENDERER_VERSION, escapeHtml, renderCommentHtml, renderPostHtml } from '../../server/markdown/render.js';
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
