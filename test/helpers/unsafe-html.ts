// The XSS checker shared by the tests that render the XSS corpus: what in a piece of HTML could run script
// or load something a reader did not ask for (script-like elements, event handlers, style, javascript:/
// vbscript:/data: URLs). Returns one line per problem, so `expect(unsafe(html)).toEqual([])` names them.
import { DomUtils, parseDocument } from 'htmlparser2';

const ALWAYS_FORBIDDEN = ['script', 'iframe', 'object', 'embed', 'svg', 'math', 'base', 'style'];
const URL_ATTRIBUTES = ['href', 'src', 'action', 'formaction'];

export interface UnsafeOptions {
  /** More element names that must not appear (e.g. 'img' where no remote images may load). */
  alsoForbid?: string[];
  /** More attributes that hold URLs (e.g. 'cite', 'background'). */
  alsoUrlAttributes?: string[];
}

export function unsafe(html: string, options: UnsafeOptions = {}): string[] {
  const forbidden = [...ALWAYS_FORBIDDEN, ...(options.alsoForbid ?? [])];
  const urlAttributes = [...URL_ATTRIBUTES, ...(options.alsoUrlAttributes ?? [])];
  const doc = parseDocument(html, { decodeEntities: true });
  const problems: string[] = [];
  for (const el of DomUtils.findAll(() => true, doc.children)) {
    if (forbidden.includes(el.name)) problems.push(`<${el.name}>`);
    for (const [name, value] of Object.entries(el.attribs)) {
      if (/^on/i.test(name)) problems.push(`${el.name}[${name}]`);
      if (name === 'style') problems.push(`${el.name}[style]`);
      if (urlAttributes.includes(name) && /^(javascript|vbscript|data):/i.test(value.replace(/[\u0000-\u0020\u007f-\u009f]/g, ''))) {
        problems.push(`${el.name}[${name}]=${value}`);
      }
    }
  }
  return problems;
}
