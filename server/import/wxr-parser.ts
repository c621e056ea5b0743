// A streaming reader for WordPress exports (WXR 1.0–1.2): bytes in, one record at a time out (the site,
// each author, each item with its comments), never the whole document in memory. saxes does the XML;
// this file refuses what an export never needs and an attacker would use (a DOCTYPE, so no entity
// declarations: no XXE, no "billion laughs"), and turns saxes's errors into "line L, column C" messages.
// Namespaces are matched by URI, so both the http:// and https:// spellings of wordpress.org/export/1.x
// work, whatever prefixes the file uses. CDATA sections split across a field ("]]]]><![CDATA[>") join up
// because text and CDATA pieces of a field are simply concatenated.
import { SaxesParser, type SaxesTagNS } from 'saxes';

export interface WxrSite {
  type: 'site';
  title: string;
  link: string;
  baseSiteUrl: string;
  baseBlogUrl: string;
  wxrVersion: string;
}

export interface WxrAuthor {
  type: 'author';
  id: string;
  login: string;
  email: string;
  displayName: string;
  firstName: string;
  lastName: string;
}

export interface WxrTerm {
  domain: string;
  nicename: string;
  name: string;
}

export interface WxrComment {
  id: string;
  author: string;
  authorEmail: string;
  authorUrl: string;
  date: string;
  dateGmt: string;
  content: string;
  approved: string;
  type: string;
  parent: string;
  userId: string;
}

export interface WxrItem {
  type: 'item';
  title: string;
  link: string;
  pubDate: string;
  creator: string;
  guid: string;
  content: string;
  excerpt: string;
  postId: string;
  postDate: string;
  postDateGmt: string;
  commentStatus: string;
  postName: string;
  status: string;
  postParent: string;
  /** wp:menu_order: the order of an attachment in its post's gallery. */
  menuOrder: string;
  postType: string;
  postPassword: string;
  isSticky: string;
  attachmentUrl: string;
  terms: WxrTerm[];
  meta: Array<{ key: string; value: string }>;
  comments: WxrComment[];
}

export type WxrRecord = WxrSite | WxrAuthor | WxrItem;

/** Why an export was refused: shown as it is to the person importing. */
export class WxrError extends Error {}

/** Longest text kept for one field (a post body is at most a few hundred KB in practice). */
const MAX_FIELD_CHARS = 4 * 1024 * 1024;
/**
 * saxes hands over a text, CDATA section or comment only when it ends, holding all of it until then: the
 * longest run of the file without an event (any tag or text) that the reader accepts. Past it the file is
 * refused, so that one huge text node cannot fill the server's memory (the server runs in a 128 MB heap).
 */
const MAX_PENDING_CHARS = 2 * MAX_FIELD_CHARS;

type Ns = 'wp' | 'excerpt' | 'content' | 'dc' | 'rss';

function nsOf(uri: string): Ns {
  const u = uri.replace(/^https?:\/\//, '').replace(/\/$/, '');
  if (/^wordpress\.org\/export\/1\.\d+\/excerpt$/.test(u)) return 'excerpt';
  if (/^wordpress\.org\/export\/1\.\d+$/.test(u)) return 'wp';
  if (u === 'purl.org/rss/1.0/modules/content') return 'content';
  if (u === 'purl.org/dc/elements/1.1') return 'dc';
  return 'rss';
}

const emptyItem = (): WxrItem => ({
  type: 'item', title: '', link: '', pubDate: '', creator: '', guid: '', content: '', excerpt: '', postId: '', postDate: '',
  postDateGmt: '', commentStatus: '', postName: '', status: '', postParent: '', menuOrder: '', postType: '', postPassword: '', isSticky: '',
  attachmentUrl: '', terms: [], meta: [], comments: [],
});

const emptyComment = (): WxrComment => ({ id: '', author: '', authorEmail: '', authorUrl: '', date: '', dateGmt: '', content: '', approved: '', type: '', parent: '', userId: '' });

/**
 * Reads one export file. Yields the site record (once, before the first item), each author and each
 * item. Throws WxrError for a DOCTYPE, malformed XML (with line and column) or a file that is not WXR.
 */
export async function* readWxr(chunks: AsyncIterable<Buffer | Uint8Array>, fileName = 'the export'): AsyncGenerator<WxrRecord> {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const out: WxrRecord[] = [];
  const stack: string[] = [];
  let text = '';
  let sawRss = false;
  let sawChannel = false;
  let siteSent = false;
  const site: WxrSite = { type: 'site', title: '', link: '', baseSiteUrl: '', baseBlogUrl: '', wxrVersion: '' };
  let author: WxrAuthor | undefined;
  let item: WxrItem | undefined;
  let comment: WxrComment | undefined;
  let term: WxrTerm | undefined;
  let meta: { key: string; value: string } | undefined;

  const sendSite = () => {
    if (!siteSent) {
      siteSent = true;
      out.push({ ...site });
    }
  };

  parser.on('doctype', () => {
    throw new WxrError(`${fileName} was refused: it declares a DOCTYPE (document type or entities). A WordPress export never needs one, and entity declarations can be used to read files or exhaust memory.`);
  });
  let lastEventAt = 0;
  parser.on('opentag', (tag: SaxesTagNS) => {
    lastEventAt = parser.position;
    const name = `${nsOf(tag.uri)}:${tag.local}`;
    const depth = stack.length;
    stack.push(name);
    text = '';
    if (depth === 0) {
      if (name !== 'rss:rss') throw new WxrError(`${fileName} is not a WordPress export: its root element is <${tag.name}>, not <rss>.`);
      sawRss = true;
    } else if (depth === 1 && name === 'rss:channel') sawChannel = true;
    else if (depth === 2 && name === 'wp:author') author = { type: 'author', id: '', login: '', email: '', displayName: '', firstName: '', lastName: '' };
    else if (depth === 2 && name === 'rss:item') {
      sendSite();
      item = emptyItem();
    } else if (item && depth === 3 && name === 'wp:comment') comment = emptyComment();
    else if (item && depth === 3 && name === 'rss:category') {
      const attr = (key: string) => {
        const a = tag.attributes[key];
        return typeof a === 'string' ? a : (a?.value ?? '');
      };
      term = { domain: attr('domain'), nicename: attr('nicename'), name: '' };
    } else if (item && depth === 3 && name === 'wp:postmeta') meta = { key: '', value: '' };
  });
  const addText = (t: string) => {
    lastEventAt = parser.position;
    if (text.length < MAX_FIELD_CHARS) text += t;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => {
    lastEventAt = parser.position;
    const name = stack.pop() ?? '';
    const depth = stack.length;
    const value = text;
    text = '';
    if (depth === 2) {
      if (name === 'wp:author' && author) {
        out.push(author);
        author = undefined;
      } else if (name === 'rss:item' && item) {
        out.push(item);
        item = undefined;
      } else if (!item) {
        if (name === 'rss:title') site.title = value.trim();
        else if (name === 'rss:link') site.link = value.trim();
        else if (name === 'wp:base_site_url') site.baseSiteUrl = value.trim();
        else if (name === 'wp:base_blog_url') site.baseBlogUrl = value.trim();
        else if (name === 'wp:wxr_version') site.wxrVersion = value.trim();
      }
      return;
    }
    if (depth === 3 && author) {
      const field = ({ 'wp:author_id': 'id', 'wp:author_login': 'login', 'wp:author_email': 'email', 'wp:author_display_name': 'displayName', 'wp:author_first_name': 'firstName', 'wp:author_last_name': 'lastName' } as const)[name as 'wp:author_id'];
      if (field) author[field] = value.trim();
      return;
    }
    if (!item) return;
    if (depth === 3) {
      if (name === 'wp:comment' && comment) {
        item.comments.push(comment);
        comment = undefined;
      } else if (name === 'rss:category' && term) {
        term.name = value.trim();
        item.terms.push(term);
        term = undefined;
      } else if (name === 'wp:postmeta' && meta) {
        item.meta.push(meta);
        meta = undefined;
      } else {
        const fields: Record<string, keyof WxrItem> = {
          'rss:title': 'title', 'rss:link': 'link', 'rss:pubDate': 'pubDate', 'dc:creator': 'creator', 'rss:guid': 'guid',
          'content:encoded': 'content', 'excerpt:encoded': 'excerpt', 'wp:post_id': 'postId', 'wp:post_date': 'postDate',
          'wp:post_date_gmt': 'postDateGmt', 'wp:comment_status': 'commentStatus', 'wp:post_name': 'postName', 'wp:status': 'status',
          'wp:post_parent': 'postParent', 'wp:post_type': 'postType', 'wp:post_password': 'postPassword', 'wp:is_sticky': 'isSticky',
          'wp:attachment_url': 'attachmentUrl', 'wp:menu_order': 'menuOrder',
        };
        const field = fields[name];
        if (field) (item as unknown as Record<string, string>)[field] = field === 'content' || field === 'excerpt' || field === 'title' ? value : value.trim();
      }
      return;
    }
    if (depth === 4 && comment) {
      const fields: Record<string, keyof WxrComment> = {
        'wp:comment_id': 'id', 'wp:comment_author': 'author', 'wp:comment_author_email': 'authorEmail', 'wp:comment_author_url': 'authorUrl',
        'wp:comment_date': 'date', 'wp:comment_date_gmt': 'dateGmt', 'wp:comment_content': 'content', 'wp:comment_approved': 'approved',
        'wp:comment_type': 'type', 'wp:comment_parent': 'parent', 'wp:comment_user_id': 'userId',
      };
      const field = fields[name];
      if (field) comment[field] = field === 'content' ? value : value.trim();
    } else if (depth === 4 && meta) {
      if (name === 'wp:meta_key') meta.key = value.trim();
      else if (name === 'wp:meta_value') meta.value = value;
    }
  });

  const decoder = new TextDecoder('utf-8');
  const fail = (e: unknown): never => {
    if (e instanceof WxrError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    const m = /^(?:.*?:)?(\d+):(\d+): (.*)$/s.exec(message);
    if (m) throw new WxrError(`${fileName} is not well-formed XML at line ${m[1]}, column ${m[2]}: ${m[3]}`);
    throw new WxrError(`${fileName} is not well-formed XML at line ${parser.line}, column ${parser.column}: ${message}`);
  };
  // Records completed before an error are still handed out, then the error is thrown.
  for await (const chunk of chunks) {
    let failure: unknown;
    try {
      parser.write(decoder.decode(chunk, { stream: true }));
      if (parser.position - lastEventAt > MAX_PENDING_CHARS) {
        throw new WxrError(`${fileName} was refused at line ${parser.line}: it holds a single text (a post’s content, a comment or a field) of more than ${MAX_PENDING_CHARS / 1024 / 1024} MB, more than any post needs (content pasted with embedded files?), and more than the import will hold in memory. Shorten that item in WordPress and export again.`);
      }
    } catch (e) {
      failure = e;
    }
    while (out.length) yield out.shift() as WxrRecord;
    if (failure !== undefined) fail(failure);
  }
  let failure: unknown;
  try {
    parser.write(decoder.decode());
    parser.close();
  } catch (e) {
    failure = e;
  }
  while (out.length) yield out.shift() as WxrRecord;
  if (failure !== undefined) fail(failure);
  if (!sawRss || !sawChannel) throw new WxrError(`${fileName} is not a WordPress export: it has no <rss><channel>.`);
  sendSite();
  while (out.length) yield out.shift() as WxrRecord;
}
