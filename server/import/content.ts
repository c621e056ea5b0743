// WordPress content → this site's Markdown. WordPress stores post HTML without its paragraphs (they are
// added when shown), with shortcodes and block-editor comments; this file restores the paragraphs (our
// own small rule set, written from the behaviour: blank line = new paragraph, single newline = line
// break, block elements stand alone, <pre> untouched), expands the shortcodes we understand, removes block
// comments and <!--more-->, and converts the result with turndown (+ GFM tables and strikethrough).
// What Markdown cannot say (iframes, video, sup/sub, tables turndown cannot express) is kept as HTML:
// the Markdown then goes through the one pipeline (server/markdown), whose sanitizer decides what of it
// survives. Nothing here is trusted output: it is source text.
import TurndownService from 'turndown';
// @ts-expect-error: the plugin ships no types
import { gfm } from 'turndown-plugin-gfm';

export interface ConvertNotes {
  /** Shortcodes we did not understand: their brackets removed, their inner text kept. */
  unknownShortcodes: string[];
  /** Gallery images that could not be found among the export's attachments. */
  unresolvedGalleryIds: string[];
  /** The converter could not read the markup: the body is the HTML itself (sanitized when rendered). */
  keptAsHtml?: boolean;
  /** Text before <!--more-->, when the post had one (plain text). */
  teaser?: string;
}

export interface ConvertOptions {
  /** The URL of a WordPress attachment by its id (for [gallery ids="…"]), when known. */
  attachmentUrl?: (id: string) => string | undefined;
}

const turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*', hr: '---' });
turndown.use(gfm);
// <pre> without <code> (WordPress's usual code block) is a fenced block too, not loose lines.
turndown.addRule('bare-pre', {
  filter: (node) => node.nodeName === 'PRE' && node.firstChild?.nodeName !== 'CODE',
  replacement: (_content, node) => {
    const code = (node as HTMLElement).textContent ?? '';
    const fence = code.includes('```') ? '~~~~' : '```';
    return `\n\n${fence}\n${code.replace(/\n$/, '')}\n${fence}\n\n`;
  },
});
turndown.keep(['iframe', 'video', 'audio', 'sup', 'sub', 'details', 'summary', 'abbr', 'kbd', 'mark'] as never);
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
        const ids = (sc.attrs.ids ?? sc.attrs.include ?? '').split(',').map((s) => s.trim()).filter((s) => /^\d+$/.test(s));
        const images: string[] = [];
        for (const id of ids) {
          const url = options.attachmentUrl?.(id);
          if (url) images.push(`<p><img src="${escapeAttr(url)}" alt=""></p>`);
          else notes.unresolvedGalleryIds.push(id);
        }
        if (ids.length === 0) notes.unknownShortcodes.push('gallery (without ids)');
        return `\n\n${images.join('\n\n')}\n\n`;
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
  let text = html.replace(/<!--\s*\/?wp:[\s\S]*?-->/g, '');
  text = text.replace(/<!--more(?:\s[^>]*)?-->/i, '\u0002');
  text = text.replace(/<!--nextpage-->/gi, '\n\n<hr>\n\n').replace(/<!--[\s\S]*?-->/g, '');
  text = expandShortcodes(text, notes, options);
  const more = text.indexOf('\u0002');
  if (more >= 0) {
    const teaser = plainText(text.slice(0, more)).slice(0, 1000);
    if (teaser) notes.teaser = teaser;
    text = text.replace(/\u0002/g, '\n\n');
  }
  const html5 = restoreParagraphs(text);
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
