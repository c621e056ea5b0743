// Minimal, strict XML writing for feeds. Everything textual goes through escapeXml, which also drops
// the characters XML 1.0 forbids (a control character in a title would make the whole feed unreadable).

// XML 1.0 Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// Lone surrogates and U+FFFE/U+FFFF are removed along with C0 controls.
const INVALID_XML_CHARS = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text or attribute value → XML, with forbidden characters removed. */
export function escapeXml(text: string): string {
  return text.replace(INVALID_XML_CHARS, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/** Text already written as XML (by rssText), put into an element or attribute as it is. */
export class XmlText {
  constructor(readonly xml: string) {}
}

/**
 * Plain text for RSS 2.0 and OPML, whose title, category, creator and outline text some readers show as
 * HTML and others as text. Written so that both kinds show the text and neither sees markup:
 * - "&", "<" and ">" are hexadecimal character references (&#x26; &#x3C; &#x3E;), as the RSS Advisory
 *   Board's Best Practices Profile recommends for plain text ("the form of encoding that works in the
 *   widest number of aggregators"): a text reader shows exactly "&", "<", ">";
 * - a "<" that would open a tag, comment or declaration in HTML (followed by a letter, "/", "!" or "?")
 *   is escaped twice (&amp;lt;), as WordPress's RSS titles are (esc_html): a reader that renders the
 *   title as HTML shows "<b>" as text, never bold; a text reader shows "&lt;b>", visible and inert.
 * A character reference typed into the text ("&lt;") is decoded by a reader that renders HTML: it shows
 * "<", as text: decoding a reference never makes markup, so "&" is not escaped twice (AT&T stays AT&T).
 * Atom needs none of this: its titles say type="text".
 */
export function rssText(text: string): XmlText {
  const xml = text
    .replace(INVALID_XML_CHARS, '')
    .replace(/[&<>"']/g, (c, offset: number, whole: string) => {
      if (c === '<' && /[A-Za-z/!?]/.test(whole[offset + 1] ?? '')) return '&amp;lt;';
      return RSS_TEXT_ESCAPES[c] ?? c;
    });
  return new XmlText(xml);
}

const RSS_TEXT_ESCAPES: Record<string, string> = { '&': '&#x26;', '<': '&#x3C;', '>': '&#x3E;', '"': '&quot;', "'": '&apos;' };

type Attrs = Record<string, string | number | XmlText | undefined>;

function attributes(attrs: Attrs): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${v instanceof XmlText ? v.xml : escapeXml(String(v))}"`)
    .join('');
}

/** <name attrs>escaped text</name> */
export function textElement(name: string, text: string | XmlText, attrs: Attrs = {}): string {
  return `<${name}${attributes(attrs)}>${text instanceof XmlText ? text.xml : escapeXml(text)}</${name}>`;
}

/** <name attrs/> */
export function emptyElement(name: string, attrs: Attrs): string {
  return `<${name}${attributes(attrs)}/>`;
}

/** <name attrs>children (already XML)</name> */
export function element(name: string, children: string[], attrs: Attrs = {}): string {
  return `<${name}${attributes(attrs)}>${children.join('')}</${name}>`;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';
