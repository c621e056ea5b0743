// The one Markdown -> HTML pipeline: markdown-it renders, sanitize-html enforces the policy.
// Everything returned by renderPostHtml/renderCommentHtml is safe to output unescaped.
import MarkdownIt from 'markdown-it';
import type { StateCore } from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { Parser } from 'htmlparser2';

/**
 * Bump when rendering output changes; stored rows with an older version get re-rendered at start.
 * 2: code blocks and tables in posts and pages are named, focusable scroll regions (markScrollRegions).
 */
export const RENDERER_VERSION = 2;

/** Prefix of every id in rendered content, so user content cannot clobber page elements (DOM clobbering). */
export const CONTENT_ID_PREFIX = 'section-';

const PREFIXED_ID = /^section-[\p{L}\p{N}_-]+$/u;
const LANGUAGE_CLASS = /^language-[a-z0-9+#-]+$/;
const SAFE_LINK_SCHEMES = ['http', 'https', 'mailto'];
// Browsers drop ASCII whitespace/control chars inside URLs, so "java\tscript:" must be judged as "javascript:".
const URL_IGNORED_CHARS = /[\u0000-\u0020\u007f-\u009f]/g;

/** Lower-cased URL scheme, or null for relative / fragment / protocol-relative URLs. */
function urlScheme(url: string): string | null {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(url.replace(URL_IGNORED_CHARS, ''));
  return match?.[1]?.toLowerCase() ?? null;
}

/** Absolute http(s) or protocol-relative ("//host", "\\host": browsers treat backslash as slash). */
function isExternalUrl(url: string | undefined): boolean {
  if (url === undefined) return false;
  const scheme = urlScheme(url);
  return scheme === 'http' || scheme === 'https' || /^[/\\]{2}/.test(url.replace(URL_IGNORED_CHARS, ''));
}

function slugify(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/[\s-]+/g, '-')
    .slice(0, 80)
    .replace(/^-+|-+$/g, '');
}

// ---------------------------------------------------------------- markdown-it

/** Stricter than markdown-it's default (which allows data:image/*): unsafe links stay literal text. */
function validateLink(url: string): boolean {
  const scheme = urlScheme(url);
  return scheme === null || SAFE_LINK_SCHEMES.includes(scheme);
}

/** Token fix-ups: prefixed unique heading ids, lower-case fence language, table align instead of style. */
function decorateTokens(state: StateCore): void {
  const usedIds = new Set<string>();
  state.tokens.forEach((token, i) => {
    if (token.type === 'fence') {
      token.info = token.info.toLowerCase(); // the class allowlist is lower-case only
    } else if (token.type === 'th_open' || token.type === 'td_open') {
      // markdown-it emits style="text-align:x", but style attributes are never allowed
      const align = /^text-align:(left|center|right)$/.exec(String(token.attrGet('style') ?? ''))?.[1];
      token.attrs = align ? [['align', align]] : null;
    } else if (token.type === 'heading_open') {
      const text = (state.tokens[i + 1]?.children ?? [])
        .filter((child) => child.type === 'text' || child.type === 'code_inline')
        .map((child) => child.content)
        .join('');
      const base = CONTENT_ID_PREFIX + (slugify(text) || 'heading');
      let id = base;
      for (let n = 1; usedIds.has(id); n++) id = `${base}-${n}`;
      usedIds.add(id);
      token.attrSet('id', id);
    }
  });
}

const postMarkdown = new MarkdownIt({ html: true, linkify: true, typographer: false });
postMarkdown.validateLink = validateLink;
postMarkdown.core.ruler.push('project_blogs_decorate', decorateTokens);

// The same, with raw HTML shown as text: for a post whose HTML nests too deep (see MAX_HTML_DEPTH).
const postMarkdownHtmlAsText = new MarkdownIt({ html: false, linkify: true, typographer: false });
postMarkdownHtmlAsText.validateLink = validateLink;
postMarkdownHtmlAsText.core.ruler.push('project_blogs_decorate', decorateTokens);

// Disabled block/inline rules leave their syntax as plain paragraph text (e.g. "# Title").
const commentMarkdown = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: true }).disable([
  'heading',
  'lheading',
  'table',
  'hr',
  'image',
  'strikethrough',
]);
commentMarkdown.validateLink = validateLink;
commentMarkdown.core.ruler.push('project_blogs_decorate', decorateTokens);

// ---------------------------------------------------------------- sanitize-html policies (built once)

type Attributes = sanitizeHtml.Attributes;
type Transformer = sanitizeHtml.Transformer;

const postLink: Transformer = (tagName, { rel: _userRel, ...attribs }) => ({
  tagName,
  attribs: isExternalUrl(attribs.href) ? { ...attribs, rel: 'noopener' } : attribs,
});

const commentLink: Transformer = (tagName, { rel: _userRel, ...attribs }) => ({
  tagName,
  attribs: { ...attribs, rel: 'nofollow ugc noopener' },
});

const image: Transformer = (tagName, attribs) => ({ tagName, attribs: { ...attribs, loading: 'lazy' } });

// Dropped here rather than via allowedAttributes values, which would leave a bare `align` behind.
const tableCell: Transformer = (tagName, { align, ...attribs }) => ({
  tagName,
  attribs: align && /^(left|center|right)$/.test(align) ? { ...attribs, align } : attribs,
});

/** Ids we generated pass; any other (user-written) heading id is slugified and prefixed, or dropped. */
const heading: Transformer = (tagName, { id, ...attribs }) => {
  const safeId = id === undefined || PREFIXED_ID.test(id) ? id : slugify(id) && CONTENT_ID_PREFIX + slugify(id);
  return { tagName, attribs: safeId ? { ...attribs, id: safeId } : attribs };
};

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const headingIds = Object.fromEntries(HEADINGS.map((h) => [h, ['id']]));
const headingTransforms = Object.fromEntries(HEADINGS.map((h) => [h, heading]));
const cellAttributes = ['align', 'colspan', 'rowspan'];

// Shared by both policies. allowedAttributes replaces sanitize-html's default map entirely (shallow merge).
const commonPolicy = {
  allowedClasses: { pre: [LANGUAGE_CLASS], code: [LANGUAGE_CLASS] },
  allowedSchemes: SAFE_LINK_SCHEMES,
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: true, // deliberate: "//host" is just an external http(s) URL, for links and images alike
  disallowedTagsMode: 'discard',
  allowVulnerableTags: false,
} satisfies sanitizeHtml.IOptions;

const postTransforms = { ...headingTransforms, a: postLink, img: image, th: tableCell, td: tableCell };

const postPolicy: sanitizeHtml.IOptions = {
  ...commonPolicy,
  allowedTags: [
    ...HEADINGS,
    ...['p', 'br', 'hr', 'blockquote', 'ul', 'ol', 'li', 'pre', 'code', 'a', 'img'],
    ...['em', 'strong', 'b', 'i', 'del', 's', 'sub', 'sup', 'kbd'],
    ...['table', 'thead', 'tbody', 'tr', 'th', 'td'],
  ],
  allowedAttributes: {
    ...headingIds,
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height', 'loading'],
    th: cellAttributes,
    td: cellAttributes,
    ol: ['start'],
  },
  allowedSchemesByTag: { img: ['http', 'https'] },
  transformTags: postTransforms,
};

const commentPolicy: sanitizeHtml.IOptions = {
  ...commonPolicy,
  allowedTags: ['p', 'br', 'em', 'strong', 'a', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li'],
  allowedAttributes: { a: ['href', 'title', 'rel'], ol: ['start'] },
  transformTags: { a: commentLink },
};

// Per-call URL bases for makeUrlsAbsolute. sanitize-html runs synchronously, so a module variable set
// around the call lets the policy below stay built once instead of per call.
let urlBases: { base: URL; page: URL | undefined } | undefined;

function absoluteUrl(url: string | undefined): string | undefined {
  const trimmed = url?.trim();
  if (!trimmed || urlBases === undefined || urlScheme(trimmed) !== null) return url; // absolute URLs stay as they are
  const base = trimmed.startsWith('#') ? urlBases.page : urlBases.base;
  if (base === undefined) return url; // "#x" without a page to anchor to
  try {
    return new URL(trimmed, base).href;
  } catch {
    return url;
  }
}

function withAbsolute(attribs: Attributes, name: 'href' | 'src'): Attributes {
  const value = absoluteUrl(attribs[name]);
  return value === undefined ? attribs : { ...attribs, [name]: value };
}

// Re-sanitizes with the post policy (a superset of the comment one), but keeps the existing rel.
const feedPolicy: sanitizeHtml.IOptions = {
  ...postPolicy,
  transformTags: {
    ...postTransforms,
    a: (tagName, attribs) => ({ tagName, attribs: withAbsolute(attribs, 'href') }),
    img: (tagName, attribs) => image(tagName, withAbsolute(attribs, 'src')),
  },
};

// For email (server/email): absolute links as in feeds, and no image is loaded from anywhere (a mail
// client fetching an image tells the sender the mail was opened): each image becomes its description.
const emailPolicy: sanitizeHtml.IOptions = {
  ...postPolicy,
  transformTags: {
    ...postTransforms,
    a: (tagName, attribs) => ({ tagName, attribs: withAbsolute(attribs, 'href') }),
    img: (_tagName, attribs) => ({ tagName: 'span', attribs: {}, text: attribs.alt ? `[Image: ${attribs.alt}]` : '' }),
  },
};

// ---------------------------------------------------------------- bounding the work

/**
 * How deep elements may nest in the HTML a post renders to. sanitize-html's work grows with the square
 * of the nesting (every element left open adds to each one below it): 100 KB of unclosed tags took
 * seconds, and the editor's preview renders what it is sent. Real posts nest a few levels (markdown-it
 * itself stops block nesting at 100); past this depth the post's raw HTML is shown as text instead.
 */
export const MAX_HTML_DEPTH = 128;

// A start or end tag as htmlparser2 reads one: "<" or "</", a letter, then a name up to space, "/" or ">".
const TAG = /<(\/?)([a-zA-Z][^\s/>]*)/g;
// htmlparser2's void elements: never pushed on its stack.
const VOID_ELEMENTS = new Set(['area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'image', 'img', 'input', 'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);

/**
 * Whether the HTML nests deeper than `max`, read as htmlparser2 reads it, erring on the deep side (tags
 * inside comments or script count; "<b/>" opens, as in HTML; no end tag is implied). Linear: it stops
 * as soon as the depth passes `max`, so closing a tag searches at most `max` open ones.
 */
export function nestsDeeperThan(html: string, max: number): boolean {
  const open: string[] = [];
  for (const match of html.matchAll(TAG)) {
    const name = match[2]!.toLowerCase();
    if (VOID_ELEMENTS.has(name)) continue;
    if (match[1]) {
      const at = open.lastIndexOf(name);
      if (at >= 0) open.length = at;
    } else if (open.push(name) > max) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- public API

/**
 * The longest text rendered at all: markdown-it and sanitize-html take about a second per few hundred KB on
 * a busy server, on the event loop. Saved posts are at most 100 KB (editor/service.ts); this bounds what
 * any caller (the editor's preview renders what it is sent) can make one render cost.
 */
export const MAX_RENDER_CHARS = 200_000;

export interface RenderedPost {
  /** Sanitized HTML (trusted for output). */
  html: string;
  /**
   * Why the text was not rendered as written: 'too-deep' (its raw HTML nested deeper than MAX_HTML_DEPTH
   * and is shown as text), 'too-long' (over MAX_RENDER_CHARS: nothing rendered).
   */
  limited?: 'too-deep' | 'too-long';
}

/** Posts and project pages, saying whether a bound on the work changed the result (for the editor). */
export function renderPost(markdown: string): RenderedPost {
  if (markdown.length > MAX_RENDER_CHARS) return { html: '', limited: 'too-long' };
  const rendered = postMarkdown.render(markdown);
  if (!nestsDeeperThan(rendered, MAX_HTML_DEPTH)) return { html: markScrollRegions(sanitizeHtml(rendered, postPolicy)) };
  return { html: markScrollRegions(sanitizeHtml(postMarkdownHtmlAsText.render(markdown), postPolicy)), limited: 'too-deep' };
}

/**
 * A code block or a table wider than the column scrolls sideways; a keyboard can only scroll what it can
 * focus, and a screen reader needs to be told what it is on. So every `pre`, and a wrapper around every
 * `table` (the table keeps its own role), becomes a region with tabindex="0" and a numbered name.
 *
 * Runs on the sanitizer's OUTPUT, which allows no role, tabindex or aria-* attribute and no `div` at all:
 * these attributes exist only where this function puts them, whatever the author wrote. Matching tags as
 * text is exact there: sanitize-html escapes "<" in text and attribute values, drops HTML comments, and
 * closes every element it opens, so "<pre", "<table>" and "</table>" can only be those tags (tables are
 * allowed no attributes; pre only a language class).
 */
function markScrollRegions(html: string): string {
  let codeBlocks = 0;
  let tables = 0;
  return html
    .replace(/<pre(?=[\s>])/g, () => `<pre tabindex="0" role="region" aria-label="Code example ${++codeBlocks}"`)
    .replace(/<table>/g, () => `<div class="table-region" role="region" tabindex="0" aria-label="Table ${++tables}"><table>`)
    .replace(/<\/table>/g, '</table></div>');
}

/** Posts and project pages: Markdown + a safe HTML subset -> sanitized HTML (trusted for output). */
export function renderPostHtml(markdown: string): string {
  return renderPost(markdown).html;
}

/** Public comments: no raw HTML, images, headings, tables; every link rel="nofollow ugc noopener". */
export function renderCommentHtml(text: string): string {
  return sanitizeHtml(commentMarkdown.render(text), commentPolicy);
}

/** For feeds: relative href/src made absolute against baseUrl; "#x" against pageUrl if given. Output re-sanitized. */
export function makeUrlsAbsolute(html: string, baseUrl: string, pageUrl?: string): string {
  urlBases = { base: new URL(baseUrl), page: pageUrl === undefined ? undefined : new URL(pageUrl) };
  try {
    return sanitizeHtml(html, feedPolicy);
  } finally {
    urlBases = undefined;
  }
}

/** For email: sanitized post HTML with absolute links and images replaced by their descriptions. */
export function emailHtml(html: string, baseUrl: string, pageUrl?: string): string {
  urlBases = { base: new URL(baseUrl), page: pageUrl === undefined ? undefined : new URL(pageUrl) };
  try {
    return sanitizeHtml(html, emailPolicy);
  } finally {
    urlBases = undefined;
  }
}

// Tags whose boundaries separate words in the excerpt ("<p>a</p><p>b</p>" -> "a b").
const BLOCK_TAGS = new Set([
  ...HEADINGS,
  ...['p', 'br', 'hr', 'div', 'blockquote', 'ul', 'ol', 'li', 'pre', 'table', 'tr', 'th', 'td', 'img'],
]);
const RAW_TEXT_TAGS = new Set(['script', 'style']);

/** Plain-text excerpt (NOT HTML-escaped) from sanitized HTML, cut at a word boundary with an ellipsis. */
export function excerptFromHtml(html: string, maxChars = 200): string {
  let text = '';
  let rawDepth = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (RAW_TEXT_TAGS.has(name)) rawDepth++;
        else if (BLOCK_TAGS.has(name)) text += ' ';
      },
      onclosetag(name) {
        if (RAW_TEXT_TAGS.has(name)) rawDepth = Math.max(0, rawDepth - 1);
        else if (BLOCK_TAGS.has(name)) text += ' ';
      },
      ontext(data) {
        if (rawDepth === 0) text += data;
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return truncateAtWord(text.replace(/\s+/g, ' ').trim(), Math.floor(maxChars));
}

function truncateAtWord(text: string, maxChars: number): string {
  const chars = Array.from(text); // code points, so a surrogate pair is never split
  if (chars.length <= maxChars) return text;
  if (maxChars < 1) return '';
  let cut = chars.slice(0, maxChars - 1).join(''); // leave room for the ellipsis
  const lastSpace = cut.lastIndexOf(' ');
  if (chars[maxChars - 1] !== ' ' && lastSpace > 0) cut = cut.slice(0, lastSpace);
  return cut.replace(/[\s,;:.\-–—]+$/u, '') + '…';
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML text/attribute context. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

// ---------------------------------------------------------------- other sites' HTML

// Fetched feed content (server/listening): the comment policy (no images, scripts, styles, forms;
// links nofollow ugc), relative links made absolute against the item's own address.
const remotePolicy: sanitizeHtml.IOptions = {
  ...commentPolicy,
  transformTags: {
    a: (tagName, attribs) => {
      const result = commentLink(tagName, withAbsolute(attribs, 'href'));
      return typeof result === 'string' ? { tagName: result, attribs: {} } : result;
    },
  },
};

/**
 * HTML from another site (a watched feed's item) -> sanitized HTML (trusted for output). Bounded like a
 * render: over MAX_RENDER_CHARS it is cut, nested deeper than MAX_HTML_DEPTH it is kept as text.
 */
export function sanitizeRemoteHtml(html: string, baseUrl?: string): string {
  const bounded = html.length > MAX_RENDER_CHARS ? html.slice(0, MAX_RENDER_CHARS) : html;
  if (nestsDeeperThan(bounded, MAX_HTML_DEPTH)) return `<p>${escapeHtml(excerptFromHtml(bounded, 2000))}</p>`;
  let base: URL | undefined;
  try {
    base = baseUrl ? new URL(baseUrl) : undefined;
  } catch {
    base = undefined;
  }
  urlBases = base ? { base, page: base } : undefined;
  try {
    return sanitizeHtml(bounded, remotePolicy);
  } finally {
    urlBases = undefined;
  }
}
