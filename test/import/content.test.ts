// WordPress content → Markdown, piece by piece: the paragraph restoring (wpautop's job) on the shapes
// that real exports hold (classic-editor HTML without <p>, block-editor HTML with its comments), checked
// on the Markdown that comes out, since that is what the team edits afterwards.
import { describe, expect, test } from 'vitest';
import { convertPostContent, restoreParagraphs } from '../../server/import/content.js';

const md = (html: string) => convertPostContent(html).markdown;

describe('restoring paragraphs', () => {
  test('a heading keeps its own text (classic and block editor)', () => {
    expect(md('<h2>Colour</h2>')).toBe('## Colour');
    expect(md('<!-- wp:heading -->\n<h2 class="wp-block-heading">Colour</h2>\n<!-- /wp:heading -->\n\n<!-- wp:paragraph -->\n<p>A paragraph.</p>\n<!-- /wp:paragraph -->')).toBe(
      '## Colour\n\nA paragraph.',
    );
    expect(md('Intro\n<h3>Next</h3>\nAfter')).toBe('Intro\n\n### Next\n\nAfter');
  });

  test('blank lines make paragraphs, single newlines make line breaks', () => {
    expect(restoreParagraphs('one\ntwo\n\nthree')).toBe('<p>one<br>\ntwo</p>\n<p>three</p>');
    expect(md('one\ntwo\n\nthree')).toBe('one  \ntwo\n\nthree');
  });

  test('a paragraph already written as <p> is not wrapped again', () => {
    expect(restoreParagraphs('<p>Already</p>')).toBe('<p>Already</p>');
  });

  test('lists and tables keep their structure: newlines beside their tags are layout, not breaks', () => {
    expect(md('<ul>\n<li>one</li>\n<li>two</li>\n</ul>')).toBe('-   one\n-   two');
    const table = md('<table>\n<thead>\n<tr>\n<th>A</th>\n<th>B</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>');
    expect(table).toBe('| A | B |\n| --- | --- |\n| 1 | 2 |');
  });

  test('text inside a container becomes its paragraphs, not a stray empty heading or break', () => {
    const out = md('<blockquote>Quoted\n\nSecond</blockquote>\n<div>\nIn a div\n</div>');
    expect(out).toContain('> Quoted');
    expect(out).toContain('> Second');
    expect(out).toContain('In a div');
    expect(out).not.toMatch(/^#+\s*$/m);
    expect(out).not.toContain('<br');
  });

  test('<pre> keeps its newlines exactly', () => {
    expect(md('Code:\n\n<pre>a\n\nb\n  c</pre>')).toBe('Code:\n\n```\na\n\nb\n  c\n```');
  });
});
