// WordPress content → Markdown, piece by piece: the paragraph restoring (wpautop's job) on the shapes
// that real exports hold (classic-editor HTML without <p>, block-editor HTML with its comments), checked
// on the Markdown that comes out, since that is what the team edits afterwards.
import { describe, expect, test } from 'vitest';
import { convertPostContent, restoreParagraphs } from '../../server/import/content.js';
import { renderPost } from '../../server/markdown/render.js';

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

  test('a <pre> written with <br> (the block editor\'s preformatted block) keeps its lines', () => {
    expect(md('<!-- wp:preformatted -->\n<pre class="wp-block-preformatted">line one<br>line <em>two</em><br/>\tline three</pre>\n<!-- /wp:preformatted -->')).toBe(
      '```\nline one\nline two\n\tline three\n```',
    );
  });

  test('a verse block is a poem: its lines and emphasis, not a code block', () => {
    expect(md('<pre class="wp-block-verse">Code is <em>poetry</em>\n  indented line\n\nSecond <a href="https://example.org/">stanza</a></pre>')).toBe(
      'Code is *poetry*  \n\u00a0\u00a0indented line\n\nSecond [stanza](https://example.org/)',
    );
  });

  test('a preformatted block holding a link stays a <pre> with the link', () => {
    expect(md('<pre class="wp-block-preformatted"><a href="https://example.org/?a=1&amp;b=2">Linked</a> &lt;text&gt;<br><strong>bold</strong><span>plain</span></pre>')).toBe(
      '<pre><a href="https://example.org/?a=1&amp;b=2">Linked</a> &lt;text&gt;\n<strong>bold</strong>plain</pre>',
    );
  });

  test('<pre> keeps its newlines exactly', () => {
    expect(md('Code:\n\n<pre>a\n\nb\n  c</pre>')).toBe('Code:\n\n```\na\n\nb\n  c\n```');
  });
});

describe('galleries', () => {
  test('[gallery] without ids lists the post\'s attached images; with ids, the named ones', () => {
    const children: Record<string, Array<{ id: string; url: string }>> = { '7': [{ id: '1', url: '/a.png' }, { id: '2', url: '/b.jpg' }] };
    const options = { postId: '7', childImages: (p: string) => children[p] ?? [], attachmentUrl: (id: string) => (id === '2' ? '/b.jpg' : undefined) };
    expect(convertPostContent('[gallery]', options).markdown).toBe('![](/a.png)\n\n![](/b.jpg)');
    expect(convertPostContent('[gallery order="DESC" exclude="2"]', options).markdown).toBe('![](/a.png)');
    const named = convertPostContent('[gallery ids="2,3"]', options);
    expect(named.markdown).toBe('![](/b.jpg)');
    expect(named.notes.unresolvedGalleryIds).toEqual(['3']);
    const none = convertPostContent('[gallery]', { ...options, postId: '8' });
    expect(none.notes).toMatchObject({ unknownShortcodes: [], emptyGalleries: ['8'] });
  });
});

describe('block editor figures', () => {
  test('video, audio and iframes (which the sanitizer would drop) become links to what they played', () => {
    expect(md('<figure class="wp-block-video"><video controls src="https://old.example.org/clip.mov"></video></figure>')).toBe('[https://old.example.org/clip.mov](https://old.example.org/clip.mov)');
    expect(md('<audio controls><source src="https://old.example.org/song.mp3" type="audio/mpeg"></audio>')).toBe('[https://old.example.org/song.mp3](https://old.example.org/song.mp3)');
    expect(md('Watch:\n<iframe title="A talk" width="720" src="https://www.youtube.com/embed/abc?feature=oembed"></iframe>')).toBe('Watch:\n\n[A talk](https://www.youtube.com/embed/abc?feature=oembed)');
    expect(md('<iframe src="javascript:alert(1)"></iframe><video src="ttps://broken"></video>')).toBe('');
  });

  test('a <figcaption> is the caption under its image, in italics like [caption]', () => {
    expect(md('<!-- wp:image -->\n<figure class="wp-block-image"><img src="https://old.example.org/a.jpg" alt="A mill"/><figcaption class="wp-element-caption">The mill at <a href="https://example.org/">dawn</a></figcaption></figure>\n<!-- /wp:image -->')).toBe(
      '![A mill](https://old.example.org/a.jpg)\n\n*The mill at [dawn](https://example.org/)*',
    );
    expect(md('<figure class="wp-block-image"><img src="/a.jpg" alt=""/><figcaption> </figcaption></figure>')).toBe('![](/a.jpg)');
  });
});

describe('footnotes', () => {
  test('the block editor\'s footnotes (text kept in post meta) become numbered references and a list', () => {
    const html = '<!-- wp:paragraph -->\n<p>A claim<sup data-fn="f-1" class="fn"><a href="#f-1" id="f-1-link">1</a></sup> and another<sup data-fn="f-2" class="fn"><a href="#f-2" id="f-2-link">2</a></sup>.</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:footnotes /-->\n\n<!-- wp:paragraph -->\n<p>After.</p>\n<!-- /wp:paragraph -->';
    const footnotes = [{ id: 'f-1', content: 'The <em>source</em>' }, { id: 'f-2', content: 'See <a href="https://example.org/">here</a>' }];
    expect(convertPostContent(html, { footnotes }).markdown).toBe('A claim<sup>1</sup> and another<sup>2</sup>.\n\n1.  The *source*\n2.  See [here](https://example.org/)\n\nAfter.');
    // Without the block, the notes still come across, at the end.
    expect(convertPostContent('<p>Claim<sup data-fn="f-1" class="fn"><a href="#f-1">1</a></sup></p>', { footnotes: footnotes.slice(0, 1) }).markdown).toBe('Claim<sup>1</sup>\n\n1.  The *source*');
  });
});

describe('quotes and their attribution', () => {
  test('a <cite> in a quote becomes its "— Name" line (classic quote, block quote, pullquote)', () => {
    expect(md('<blockquote>Words to live by.\n<cite>Ada Lovelace</cite></blockquote>')).toBe('> Words to live by.\n> \n> — Ada Lovelace');
    expect(md('<!-- wp:quote -->\n<blockquote class="wp-block-quote"><p>Quote</p><cite><br><em>Johannes Gutenberg</em><br></cite></blockquote>\n<!-- /wp:quote -->')).toBe('> Quote\n> \n> — *Johannes Gutenberg*');
    expect(md('<figure class="wp-block-pullquote"><blockquote><p>Pull</p><cite>— Theme Reviewer</cite></blockquote></figure>')).toBe('> Pull\n> \n> — Theme Reviewer');
    expect(renderPost(md('<blockquote><p>Quote</p><cite>Ada</cite></blockquote>')).html).toBe('<blockquote>\n<p>Quote</p>\n<p>— Ada</p>\n</blockquote>\n');
  });

  test('a <cite> outside a quote is a work\'s title, in italics', () => {
    expect(md('<p>Read <cite>The Book</cite> today.</p>')).toBe('Read *The Book* today.');
  });
});

describe('tables', () => {
  test('a table with a header row becomes a Markdown table', () => {
    expect(md('<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>')).toBe('| A | B |\n| --- | --- |\n| 1 | 2 |');
  });

  test('a table without a header row stays a table without one: clean HTML, shown by the pipeline', () => {
    const out = md('<figure class="wp-block-table"><table class="has-fixed-layout" style="width:50%"><tbody><tr><td style="color:red">Cell <em>1</em>\n</td><td>Cell 2</td></tr></tbody><tfoot><tr><td>Footer</td><td align="right">x</td></tr></tfoot></table><figcaption>Caption</figcaption></figure>');
    expect(out).toBe('<table><tbody><tr><td>Cell <em>1</em></td><td>Cell 2</td></tr><tr><td>Footer</td><td align="right">x</td></tr></tbody></table>\n\n*Caption*');
    const html = renderPost(out).html;
    expect(html).toContain('<td>Cell <em>1</em></td>');
    expect(html).not.toContain('<th');
  });

  test('a table with merged cells stays HTML with its colspan and rowspan, even with a header row', () => {
    expect(md('<table><thead><tr><th colspan="2">Both</th></tr></thead><tbody><tr><td rowspan="2">1</td><td>2</td></tr><tr><td>3</td></tr></tbody></table>')).toBe(
      '<table><thead><tr><th colspan="2">Both</th></tr></thead><tbody><tr><td rowspan="2">1</td><td>2</td></tr><tr><td>3</td></tr></tbody></table>',
    );
    expect(renderPost(md('<table><tr><th colspan="2">Both</th></tr><tr><td>1</td><td>2</td></tr></table>')).html).toContain('<th colspan="2">Both</th>');
  });
});

// Cases found by importing WordPress's own theme test data (WordPress/theme-test-data), written small.
describe('what the theme test data showed', () => {
  test('bold inside bold is one bold, not stray asterisks', () => {
    expect(md('This tag shows <strong>bold<strong> text.</strong></strong> and <em>it<i>alic</i></em>')).toBe('This tag shows **bold text.** and *italic*');
  });

  test('a <code> spanning lines inside a paragraph is a code block with its lines', () => {
    expect(md('Blocks of code.\n<code>.post-title {\n\tmargin: 0;\n}</code>\nThen <code>inline</code>.')).toBe('Blocks of code.\n\n```\n.post-title {\n\tmargin: 0;\n}\n```\n\nThen `inline`.');
  });

  test('definition lists, details, highlights: their text in a form the pipeline shows, without classes and styles', () => {
    expect(md('<dl><dt>Term</dt><dd>Its meaning.</dd></dl>')).toBe('**Term**\n\nIts meaning.');
    expect(md('<details class="wp-block-details" style="border-width:6px"><summary>Summary</summary><p>Inside</p></details>')).toBe('**Summary**\n\nInside');
    expect(md('The <abbr title="Seriously">srsly</abbr> <mark style="color:red" class="has-inline-color">mark</mark> H<sub class="x">2</sub>O')).toBe('The srsly mark H<sub>2</sub>O');
  });
});
