import { describe, expect, it } from 'vitest';
import { makeUrlsAbsolute, renderCommentHtml, renderPostHtml } from '../../server/markdown/render.js';
import { XSS_VECTORS } from './fixtures/xss-vectors.js';
import { COMMENT_PROFILE, FEED_PROFILE, POST_PROFILE, safetyProblems } from './fixtures/html-safety.js';

describe('XSS corpus', () => {
  it('has at least 60 distinct vectors', () => {
    expect(XSS_VECTORS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(XSS_VECTORS.map((v) => v.input)).size).toBe(XSS_VECTORS.length);
  });

  describe.each(XSS_VECTORS)('$name', ({ input }) => {
    it('renderPostHtml output is safe', () => {
      expect(safetyProblems(renderPostHtml(input), POST_PROFILE)).toEqual([]);
    });

    it('renderCommentHtml output is safe', () => {
      expect(safetyProblems(renderCommentHtml(input), COMMENT_PROFILE)).toEqual([]);
    });

    it('stays safe through makeUrlsAbsolute (feeds)', () => {
      const feedHtml = makeUrlsAbsolute(renderPostHtml(input), 'https://blogs.example.gov/', 'https://blogs.example.gov/p/1');
      expect(safetyProblems(feedHtml, FEED_PROFILE)).toEqual([]);
    });

    it('raw input itself is never trusted: makeUrlsAbsolute sanitizes it', () => {
      expect(safetyProblems(makeUrlsAbsolute(input, 'https://blogs.example.gov/'), FEED_PROFILE)).toEqual([]);
    });
  });
});

describe('safety checker self-test (it must catch what it claims to)', () => {
  it.each([
    ['<script>alert(1)</script>', 'element <script>'],
    ['<p onclick="x">a</p>', 'event handler'],
    ['<p style="color:red">a</p>', 'style attribute'],
    ['<a href="jav&#x61;script:alert(1)">a</a>', 'dangerous URL'],
    ['<a href="java\tscript:alert(1)">a</a>', 'dangerous URL'],
    ['<h2 id="x">a</h2>', 'unprefixed id'],
    ['<a href="https://x.org">a</a>', 'has rel='],
    ['<!-- x -->', 'comment'],
  ])('%s', (html, problem) => {
    expect(safetyProblems(html, POST_PROFILE).join('\n')).toContain(problem);
  });
});
