// WordPress content → this site's Markdown. WordPress stores post HTML without its paragraphs (they are
// added when shown), with shortcodes and block-editor comments; this file restores the paragraphs (our
// own small rule set, written from the behaviour: blank line = new paragraph, single newline = line
// break, block elements stand alone, <pre> untouched), expands the shortcodes we understand, removes block
// comments and <!--more-->, and converts the result with turndown (+ GFM tables and strikethrough).
// Video, audio and iframes become links to what they played (the sanitizer would drop them). What Markdown
// cannot say (sup/sub, tables with merged cells or without a header row) is kept as HTML, cleaned of classes
// and styles; a quote's <cite> becomes its "— Name" line. Titles become plain text here too (plainTitle).
// the Markdown then goes through the one pipeline (server/markdown), whose sanitizer decides what of it
// survives. Nothing here is trusted output: it is source text.
import { parseDocument } from 'htmlparser2';
import TurndownService from 'turndown';
// @ts-expect-error: the plugin ships no types
import { gfm } from 'turndown-plugin-gfm';

export interface ConvertNotes {
  /** Shortcodes we did not understand: their brackets removed, their inner text kept. */
  unknownShortcodes: string[];
  /** Gallery images that could not be found among the export's attachments. */
  unresolvedGalleryIds: string[];
  /** Posts whose [gallery] (without ids) found no image attached to them in the export. */
  emptyGalleries?: string[];
  /** The converter could not read the markup: the body is the HTML itself (sanitized when rendered). */
  keptAsHtml?: boolean;
  /** Text before <!--more-->, when the post had one (plain text). */
  teaser?: string;
}

export interface ConvertOptions {
  /** The URL of a WordPress attachment by its id (for [gallery ids="…"]), when known. */
  attachmentUrl?: (id: string) => string | undefined;
  /** The WordPress id of the post being converted (a [gallery] without ids shows its own images). */
  postId?: string;
  /** The image attachments whose wp:post_parent is this post, in gallery order (menu_order, then id). */
  childImages?: (parentId: string) => Array<{ id: string; url: string }>;
  /** The block editor's footnotes (WordPress keeps their text in the post's "footnotes" meta, not in the body). */
  footnotes?: Array<{ id: string; content: string }>;
}

/**
 * The block editor's footnotes: each reference (<sup data-fn="id" class="fn"><a href="#id">1</a></sup>)
 * becomes its number as <sup>, and the footnotes block (<!-- wp:footnotes /-->, drawn by WordPress from
 * the post's meta) becomes a numbered list of their text there — or at the end when the block is absent.
 */
function expandFootnotes(html: string, footnotes: Array<{ id: string; content: string }> | undefined): string {
  const number = new Map((footnotes ?? []).map((f, i) => [f.id, i + 1]));
  let text = html.replace(/<sup\b[^>]*\bdata-fn=["']([^"']*)["'][^>]*>([\s\S]*?)<\/sup>/gi, (_m, id: string, inner: string) => {
    const n = number.get(id) ?? inner.replace(/<[^>]*>/g, '').trim();
    return n === '' ? '' : `<sup>${n}</sup>`;
  });
  if (!footnotes?.length) return text.replace(/<!--\s*wp:footnotes\b[\s\S]*?-->/g, '');
  const list = `\n\n<ol>${footnotes.map((f) => `<li>${f.content}</li>`).join('')}</ol>\n\n`;
  let placed = false;
  text = text.replace(/<!--\s*wp:footnotes\b[\s\S]*?-->(?:[\s\S]*?<!--\s*\/wp:footnotes\s*-->)?/g, () => {
    if (placed) return '';
    placed = true;
    return list;
  });
  return placed ? text : `${text}${list}`;
}

// ---------------------------------------------------------------------------------------- titles

type ChildNode = ReturnType<typeof parseDocument>['children'][number];

// Elements whose text WordPress's wp_strip_all_tags drops with them, and the ones that end a line.
const TITLE_DROPPED = new Set(['script', 'style', 'template', 'noscript', 'iframe', 'object', 'textarea', 'title']);
const TITLE_BREAKS = new Set(['br', 'p', 'div', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

function titleTextOf(nodes: ChildNode[]): string {
  let text = '';
  for (const node of nodes) {
    if (node.type === 'text') text += node.data;
    else if ('name' in node && 'children' in node) {
      if (TITLE_DROPPED.has(node.name)) continue;
      if (TITLE_BREAKS.has(node.name)) text += ' ';
      text += titleTextOf(node.children as ChildNode[]);
      if (TITLE_BREAKS.has(node.name)) text += ' ';
    } else if ('children' in node) text += titleTextOf(node.children as ChildNode[]); // CDATA
  }
  return text;
}

/**
 * A WordPress title as plain text, the way WordPress shows it where markup cannot go (the browser tab,
 * feeds' plain titles): tags stripped (a script's or style's text with them, a <br> as a space),
 * character references decoded once (`&amp;amp;` is `&amp;`). Titles here are text, escaped wherever
 * they are shown, so whatever the text says stays inert. `hadMarkup` says tags were taken out.
 */
export function plainTitle(raw: string): { text: string; hadMarkup: boolean } {
  if (!/[<&]/.test(raw)) return { text: raw.replace(/\s+/g, ' ').trim(), hadMarkup: false };
  const doc = parseDocument(raw, { decodeEntities: true });
  const hadMarkup = doc.children.some(function markup(node: ChildNode): boolean {
    return node.type !== 'text' || ('children' in node && (node.children as ChildNode[]).some(markup));
  });
  return { text: titleTextOf(doc.children).replace(/\s+/g, ' ').trim(), hadMarkup };
}

const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*', hr: '---' });
turndown.use(gfm);
/** The text of a <pre>, with its <br>s as the line breaks they show (the block editor's preformatted block). */
function preText(node: Node): string {
  let text = '';
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === 3) text += child.nodeValue ?? '';
    else if (child.nodeName === 'BR') text += '\n';
    else if (child.nodeType === 1) text += preText(child);
  }
  return text;
}

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A <pre>'s content as HTML keeping only its links and emphasis (<br> as newlines, the rest as text). */
function preHtml(node: Node): string {
  let html = '';
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === 3) html += escapeText(child.nodeValue ?? '');
    else if (child.nodeName === 'BR') html += '\n';
    else if (child.nodeType !== 1) continue;
    else if (child.nodeName === 'A') {
      const href = ((child as HTMLElement).getAttribute('href') ?? '').trim();
      html += href ? `<a href="${escapeAttr(href)}">${preHtml(child)}</a>` : preHtml(child);
    } else if (/^(STRONG|B|EM|I)$/.test(child.nodeName)) {
      const tag = child.nodeName.toLowerCase();
      html += `<${tag}>${preHtml(child)}</${tag}>`;
    } else html += preHtml(child);
  }
  return html;
}

// <pre> without <code> (WordPress's usual code block) is a fenced block too, not loose lines. One that
// holds a link (the block editor's preformatted block allows them) stays a <pre>, with its links and
// emphasis: a fence would lose them.
turndown.addRule('bare-pre', {
  filter: (node) => node.nodeName === 'PRE' && node.firstChild?.nodeName !== 'CODE',
  replacement: (_content, node) => {
    if ((node as HTMLElement).querySelector('a[href]')) return `\n\n<pre>${preHtml(node).replace(/\n$/, '')}</pre>\n\n`;
    const code = preText(node);
    const fence = code.includes('```') ? '~~~~' : '```';
    return `\n\n${fence}\n${code.replace(/\n$/, '')}\n${fence}\n\n`;
  },
});

// The block editor's verse block is a poem in a <pre>: its lines, with their emphasis and links, not code.
// (Added after bare-pre: turndown tries the rules added last first.)
turndown.addRule('verse', {
  filter: (node) => node.nodeName === 'PRE' && /\bwp-block-verse\b/.test((node as HTMLElement).getAttribute('class') ?? ''),
  replacement: (content) =>
    `\n\n${content
      .replace(/^\n+|\s+$/g, '')
      .split(/\n[ \t]*\n/)
      .map((stanza) => stanza.split('\n').map((line) => line.replace(/\s+$/, '').replace(/^[ \t]+/, (lead) => '\u00a0'.repeat(lead.replace(/\t/g, '    ').length))).join('  \n'))
      .join('\n\n')}\n\n`,
});

// The block editor's image, gallery, table, audio and video captions (<figcaption>) read like
// [caption]'s: their own paragraph in italics under what they caption, not loose body text.
turndown.addRule('figcaption', {
  filter: 'figcaption',
  replacement: (content) => {
    const text = content.trim();
    if (!text) return '';
    return /[*\n]/.test(text) ? `\n\n${text}\n\n` : `\n\n*${text}*\n\n`;
  },
});
// <cite> inside a quote (the classic quote, the block editor's quote and pullquote) names who said it:
// its own line in the quote, "— Name", as a printed quote's attribution. Elsewhere it is a work's title,
// which browsers (and WordPress themes) show in italics.
turndown.addRule('cite', {
  filter: 'cite',
  replacement: (content, node) => {
    const text = content.replace(/\s*\n\s*/g, ' ').trim();
    if (!text) return '';
    let inQuote = false;
    for (let up = node.parentNode; up; up = up.parentNode) if (up.nodeName === 'BLOCKQUOTE') inQuote = true;
    if (!inQuote) return /[*\n]/.test(text) ? text : `*${text}*`;
    return `\n\n${/^[—–-]/.test(text) ? text : `— ${text}`}\n\n`;
  },
});

// Tables: the GFM plugin writes a Markdown table when the first row is a header (<thead> or all <th>).
// Two kinds stay HTML, cleaned to their structure: a table with merged cells (colspan/rowspan), which a
// Markdown table cannot say, and a table without a header row, which WordPress shows without one (a
// Markdown table must have one: promoting the first row of data would make screen readers announce data
// as column headings, and an empty header row adds empty header cells). The sanitizer shows both.
const MERGED_CELL = (cell: Element) => ['colspan', 'rowspan'].some((a) => Number(cell.getAttribute(a) ?? '1') > 1);
function hasHeaderRow(table: HTMLElement): boolean {
  const first = table.querySelector('tr');
  if (!first) return false;
  if (first.parentNode?.nodeName === 'THEAD') return true;
  const cells = Array.from(first.childNodes).filter((c) => c.nodeName === 'TD' || c.nodeName === 'TH');
  return cells.length > 0 && cells.every((c) => c.nodeName === 'TH');
}
/** A table's structure and cell content as HTML, without classes, styles and widths (tfoot rows last). */
function cleanTable(table: HTMLElement): string {
  const rows = (section: string) =>
    Array.from(table.querySelectorAll(`${section} > tr`)).filter((tr) => tr.closest('table') === table);
  const cell = (c: Element) => {
    const tag = c.nodeName.toLowerCase();
    const attrs = ['colspan', 'rowspan', 'align']
      .map((a) => [a, (c.getAttribute(a) ?? '').trim()] as const)
      .filter(([a, v]) => (a === 'align' ? /^(left|center|right)$/i.test(v) : /^[2-9]\d{0,2}$/.test(v)))
      .map(([a, v]) => ` ${a}="${v.toLowerCase()}"`)
      .join('');
    return `<${tag}${attrs}>${c.innerHTML.replace(/\s*\n\s*/g, ' ').trim()}</${tag}>`;
  };
  const tr = (row: Element) => `<tr>${Array.from(row.children).filter((c) => c.nodeName === 'TD' || c.nodeName === 'TH').map(cell).join('')}</tr>`;
  const head = rows('thead').map(tr).join('');
  const direct = Array.from(table.children).filter((c) => c.nodeName === 'TR');
  const body = [...rows('tbody'), ...direct, ...rows('tfoot')].map(tr).join('');
  return `${head ? `<thead>${head}</thead>` : ''}${body ? `<tbody>${body}</tbody>` : ''}`;
}
turndown.addRule('table-kept-as-html', {
  filter: (node) => node.nodeName === 'TABLE' && (Array.from((node as HTMLElement).querySelectorAll('td, th')).some(MERGED_CELL) || !hasHeaderRow(node as HTMLElement)),
  replacement: (_content, node) => `\n\n<table>${cleanTable(node as HTMLElement)}</table>\n\n`,
});

// The one pipeline's sanitizer shows no <video>, <audio> or <iframe>: kept as HTML they would vanish from
// the page, so each becomes a link to what it played or embedded (as [video] and [embed] do).
turndown.addRule('media-link', {
  filter: ['video', 'audio', 'iframe'],
  replacement: (_content, node) => {
    const el = node as HTMLElement;
    const src = (el.getAttribute('src') || el.querySelector('source[src]')?.getAttribute('src') || '').trim();
    if (!/^(?:https?:)?\/\/[^\s<>"]+$/i.test(src)) return '';
    const href = src.replace(/[()]/g, (c) => encodeURIComponent(c));
    const title = (el.getAttribute('title') ?? '').replace(/\s+/g, ' ').trim();
    return `\n\n[${turndown.escape(title || src)}](${href})\n\n`;
  },
});
// Bold inside bold (and italics inside italics) says nothing more, and written as Markdown it breaks:
// `**bold **text.****` shows its asterisks. The inner one is dropped.
turndown.addRule('nested-emphasis', {
  filter: (node) => {
    const strong = /^(STRONG|B)$/.test(node.nodeName);
    const em = /^(EM|I)$/.test(node.nodeName);
    if (!strong && !em) return false;
    for (let up = node.parentNode; up; up = up.parentNode) if ((strong ? /^(STRONG|B)$/ : /^(EM|I)$/).test(up.nodeName)) return true;
    return false;
  },
  replacement: (content) => content,
});
// A definition list's terms in bold, each description its paragraph (Markdown has no definition list).
turndown.addRule('definition-term', {
  filter: 'dt',
  replacement: (content) => (content.trim() ? `\n\n**${content.trim()}**\n\n` : ''),
});
// The block editor's details block: the sanitizer shows no <details>, so its summary is a bold line over
// its content, which is shown open.
turndown.addRule('details', {
  filter: 'details',
  replacement: (content) => `\n\n${content.trim()}\n\n`,
});
turndown.addRule('summary', {
  filter: 'summary',
  replacement: (content) => (content.trim() ? `\n\n**${content.trim()}**\n\n` : ''),
});
// Highlights and abbreviations, which the sanitizer does not show as elements: their text.
turndown.addRule('text-only', { filter: (node) => /^(MARK|ABBR|ACRONYM|INS|U|SMALL|BIG|VAR|TT|SPAN)$/.test(node.nodeName), replacement: (content) => content });
// What the sanitizer shows and Markdown cannot say stays HTML, without its classes and styles.
turndown.addRule('kept-inline', {
  filter: ['sup', 'sub', 'kbd'],
  replacement: (content, node) => {
    const tag = node.nodeName.toLowerCase();
    return `<${tag}>${(node as HTMLElement).innerHTML}</${tag}>`;
  },
});
turndown.remove(['script', 'style', 'noscript', 'form', 'input', 'button', 'select', 'textarea', 'object', 'embed', 'applet'] as never);

/** Comment text: plain HTML, no shortcodes; the comment pipeline (Markdown without raw HTML) follows. */
const commentTurndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*' });
commentTurndown.remove(['script', 'style', 'noscript', 'form', 'input', 'button', 'select', 'textarea', 'object', 'embed', 'applet', 'iframe'] as never);

const BLOCK = 'address|article|aside|blockquote|caption|dd|details|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hr|li|main|math|nav|ol|p|pre|section|summary|table|tbody|td|tfoot|th|thead|tr|ul|iframe|video|audio|object|style|script|hgroup|menu';
// Tags that stand apart from the paragraphs around them: a blank line is put before each opening tag
// and after each closing tag, so an element and its own text stay together (`<h2>Title</h2>` is one
// piece). The parts inside lists and tables are left where they are.
const OUTER_BLOCK = 'address|article|aside|blockquote|div|dl|fieldset|figure|footer|form|h[1-6]|header|hr|main|math|nav|ol|p|pre|section|table|ul|iframe|video|audio|object|style|script|hgroup|menu|details';
const OPENS_OUTER_BLOCK = new RegExp(`(<(?:${OUTER_BLOCK})\\b[^>]*>)`, 'gi');
const CLOSES_OUTER_BLOCK = new RegExp(`(<\\/(?:${OUTER_BLOCK})>)`, 'gi');
const ANY_BLOCK_TAG = `<\\/?(?:${BLOCK})\\b[^>]*>`;
// A paragraph's own <p> is dropped where a block tag starts or ends it: blocks are not paragraphs.
const P_BEFORE_BLOCK = new RegExp(`<p>\\s*(${ANY_BLOCK_TAG})`, 'gi');
const P_AFTER_BLOCK = new RegExp(`(${ANY_BLOCK_TAG})\\s*<\\/p>`, 'gi');
// A newline beside a block tag is layout, not a line break.
const NEWLINE_BESIDE_BLOCK = new RegExp(`(${ANY_BLOCK_TAG})[ \\t]*\\n|\\n[ \\t]*(?=${ANY_BLOCK_TAG})`, 'gi');

/** Restores paragraphs and line breaks to HTML saved without them (what WordPress's wpautop does when
 * it shows a post): blank line = new paragraph, single newline = line break, block elements stand
 * alone with their own content, <pre> untouched. */
export function restoreParagraphs(html: string): string {
  if (!html.trim()) return '';
  const kept: string[] = [];
  // <pre> and raw-text blocks keep their newlines exactly.
  let text = html.replace(/\r\n?/g, '\n').replace(/<(pre|script|style|textarea)\b[\s\S]*?<\/\1>/gi, (m) => {
    kept.push(m);
    return `\n\n\u0000${kept.length - 1}\u0000\n\n`;
  });
  text = text.replace(OPENS_OUTER_BLOCK, '\n\n$1').replace(CLOSES_OUTER_BLOCK, '$1\n\n');
  const pieces = text.split(/\n\s*\n/).map((b) => b.trim()).filter(Boolean);
  const out = pieces.map((piece) => {
    if (/^\u0000\d+\u0000$/.test(piece)) return piece;
    const lines = piece.replace(NEWLINE_BESIDE_BLOCK, (_m, tag?: string) => (tag ? `${tag} ` : ' ')).replace(/\n/g, '<br>\n');
    return `<p>${lines}</p>`.replace(P_BEFORE_BLOCK, '$1').replace(P_AFTER_BLOCK, '$1');
  });
  return out.join('\n').replace(/\u0000(\d+)\u0000/g, (_m, i: string) => kept[Number(i)] ?? '');
}

interface Shortcode {
  name: string;
  attrs: Record<string, string>;
  inner: string;
}

function parseAttrs(text: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of text.matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))/g)) {
    attrs[(m[1] ?? '').toLowerCase()] = m[2] ?? m[3] ?? m[4] ?? '';
  }
  return attrs;
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Expands shortcodes: [caption], [gallery], [embed], [audio]/[video]; unknown ones lose their brackets. */
export function expandShortcodes(html: string, notes: ConvertNotes, options: ConvertOptions = {}): string {
  // [[escaped]] is WordPress's way of writing a literal shortcode.
  const literals: string[] = [];
  let text = html.replace(/\[\[([^\]]*)\]\]/g, (_m, inner: string) => {
    literals.push(`[${inner}]`);
    return `\u0001${literals.length - 1}\u0001`;
  });
  const expand = (sc: Shortcode): string => {
    switch (sc.name) {
      case 'caption':
      case 'wp_caption': {
        const img = /<a\b[^>]*>\s*<img\b[^>]*>\s*<\/a>|<img\b[^>]*>/i.exec(sc.inner)?.[0] ?? '';
        const caption = (sc.attrs.caption ?? sc.inner.replace(img, '')).trim();
        return `\n\n<p>${img}</p>\n\n${caption ? `<p><em>${caption}</em></p>\n\n` : ''}`;
      }
      case 'gallery': {
        // [gallery ids="1,2"] (or include=) names its images; the classic [gallery] (optionally id="post")
        // shows every image attached to the post, in menu order, less those in exclude=.
        const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter((s) => /^\d+$/.test(s));
        const ids = list(sc.attrs.ids ?? sc.attrs.include);
        const urls: string[] = [];
        if (ids.length) {
          for (const id of ids) {
            const url = options.attachmentUrl?.(id);
            if (url) urls.push(url);
            else notes.unresolvedGalleryIds.push(id);
          }
        } else {
          const parent = list(sc.attrs.id)[0] ?? options.postId ?? '';
          const exclude = new Set(list(sc.attrs.exclude));
          const children = (parent && options.childImages?.(parent)) || [];
          for (const child of children) if (!exclude.has(child.id)) urls.push(child.url);
          if (sc.attrs.order?.toUpperCase() === 'DESC') urls.reverse();
          if (!urls.length) (notes.emptyGalleries ??= []).push(parent || '?');
        }
        return `\n\n${urls.map((url) => `<p><img src="${escapeAttr(url)}" alt=""></p>`).join('\n\n')}\n\n`;
      }
      case 'embed':
      case 'audio':
      case 'video':
      case 'playlist': {
        const url = (sc.attrs.src ?? sc.attrs.mp3 ?? sc.attrs.mp4 ?? sc.inner).trim();
        if (/^https?:\/\/\S+$/i.test(url)) return `\n\n<p><a href="${escapeAttr(url)}">${escapeAttr(url)}</a></p>\n\n`;
        return sc.inner;
      }
      default:
        if (!notes.unknownShortcodes.includes(sc.name)) notes.unknownShortcodes.push(sc.name);
        return sc.inner;
    }
  };
  // Enclosing shortcodes first ([x …]…[/x]), innermost first, then self-closing ones.
  for (let guard = 0; guard < 50; guard++) {
    let changed = false;
    text = text.replace(/\[([a-zA-Z][\w-]*)((?:\s[^\]]*)?)\]((?:(?!\[\1[\s\]])[\s\S])*?)\[\/\1\]/g, (_m, name: string, attrs: string, inner: string) => {
      changed = true;
      return expand({ name: name.toLowerCase(), attrs: parseAttrs(attrs), inner });
    });
    if (!changed) break;
  }
  text = text.replace(/\[([a-zA-Z][\w-]*)((?:\s[^\]]*)?)\s*\/?\]/g, (m, name: string, attrs: string) => {
    const lower = name.toLowerCase();
    // Only things that look like shortcodes: a known name, or a name followed by attributes.
    if (!['gallery', 'embed', 'audio', 'video', 'playlist', 'caption'].includes(lower) && !/=/.test(attrs)) return m;
    return expand({ name: lower, attrs: parseAttrs(attrs), inner: '' });
  });
  return text.replace(/\u0001(\d+)\u0001/g, (_m, i: string) => literals[Number(i)] ?? '');
}

/** Plain text of a small HTML fragment (for the teaser). */
function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/** A post or page body: WordPress HTML → Markdown source, with notes for the report. */
export function convertPostContent(html: string, options: ConvertOptions = {}): { markdown: string; notes: ConvertNotes } {
  const notes: ConvertNotes = { unknownShortcodes: [], unresolvedGalleryIds: [] };
  let text = expandFootnotes(html, options.footnotes).replace(/<!--\s*\/?wp:[\s\S]*?-->/g, '');
  text = text.replace(/<!--more(?:\s[^>]*)?-->/i, '\u0002');
  text = text.replace(/<!--nextpage-->/gi, '\n\n<hr>\n\n').replace(/<!--[\s\S]*?-->/g, '');
  text = expandShortcodes(text, notes, options);
  const more = text.indexOf('\u0002');
  if (more >= 0) {
    const teaser = plainText(text.slice(0, more)).slice(0, 1000);
    if (teaser) notes.teaser = teaser;
    text = text.replace(/\u0002/g, '\n\n');
  }
  // A line break before the <cite> that ends a quote is only the newline before it: the cite is its own line.
  // A <code> that spans lines (the classic editor's "block of code" inside a paragraph) is shown by
  // WordPress with its lines: a code block, not inline code squeezed onto one line.
  text = text.replace(/<code>([^<]*\n[^<]*)<\/code>/gi, (_m, code: string) => `\n\n<pre><code>${code.replace(/^\n+|\s+$/g, '')}</code></pre>\n\n`);
  const html5 = restoreParagraphs(text).replace(/(?:<br\s*\/?>\s*)+(<cite\b[^>]*>[\s\S]*?<\/cite>\s*(?:<\/p>\s*)?<\/blockquote>)/gi, '$1');
  try {
    return { markdown: turndown.turndown(html5).trim(), notes };
  } catch {
    // turndown gave up on this markup: keep it as HTML, which the post pipeline sanitizes.
    notes.keptAsHtml = true;
    return { markdown: html5, notes };
  }
}

/** A comment's text: WordPress comment HTML → Markdown (the comment pipeline allows no raw HTML). */
export function convertCommentContent(html: string): string {
  // Most comments are plain text: paragraphs and line breaks, Markdown characters escaped, no DOM needed.
  if (!/[<&]/.test(html)) {
    return html
      .replace(/\r\n?/g, '\n')
      .split(/\n\s*\n/)
      .map((para) => para.trim())
      .filter(Boolean)
      .map((para) => commentTurndown.escape(para).replace(/\n/g, '  \n'))
      .join('\n\n');
  }
  try {
    return commentTurndown.turndown(restoreParagraphs(html)).trim();
  } catch {
    return plainText(html); // comments allow no raw HTML: its text is kept
  }
}
