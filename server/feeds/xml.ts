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

type Attrs = Record<string, string | number | undefined>;

function attributes(attrs: Attrs): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
}

/** <name attrs>escaped text</name> */
export function textElement(name: string, text: string, attrs: Attrs = {}): string {
  return `<${name}${attributes(attrs)}>${escapeXml(text)}</${name}>`;
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
