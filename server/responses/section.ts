// "Responses elsewhere", the section under a post after its comments: approved webmentions (replies,
// mentions and bookmarks listed with author, site, date, excerpt and link; likes and reposts counted)
// and the links the team added by hand (post_links), marked as such. Everything shown here went through
// the one sanitizing renderer (comments.body_html) or is plain text escaped by the template; no remote
// image, script or style is ever loaded by a reader's browser.
import type { Db } from '../db/create-db.js';
import type { WebmentionKind } from '../db/schema.js';
import { teamLinksOf } from './team-links.js';

export interface ResponseItem {
  kind: WebmentionKind;
  authorName: string;
  /** The author's own address, when the source gave an http(s) one. */
  authorUrl: string | null;
  source: string;
  site: string;
  date: Date;
  /** Trusted HTML: the webmention's text as the one sanitizing renderer stored it (comments.body_html). */
  excerptHtmlTrusted: string;
}

export interface ResponsesSection {
  items: ResponseItem[];
  likes: number;
  reposts: number;
  teamLinks: Array<{ id: number; url: string; site: string; title: string; note: string | null; createdAt: Date }>;
  empty: boolean;
}

function siteOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export async function responsesOf(db: Db, postId: number): Promise<ResponsesSection> {
  const [rows, links] = await Promise.all([
    db
      .selectFrom('comments')
      .innerJoin('webmentions', 'webmentions.id', 'comments.webmention_id')
      .select(['webmentions.kind', 'comments.author_name', 'webmentions.author_url', 'webmentions.source', 'webmentions.published_at', 'comments.created_at', 'comments.body_html'])
      .where('comments.post_id', '=', postId)
      .where('comments.status', '=', 'approved')
      .where('comments.webmention_id', 'is not', null)
      .orderBy('comments.created_at')
      .orderBy('comments.id')
      .limit(500)
      .execute(),
    teamLinksOf(db, postId),
  ]);
  const items: ResponseItem[] = [];
  let likes = 0;
  let reposts = 0;
  for (const r of rows) {
    const kind = r.kind ?? 'mention';
    if (kind === 'like') likes++;
    else if (kind === 'repost') reposts++;
    else items.push({ kind, authorName: r.author_name, authorUrl: r.author_url, source: r.source, site: siteOf(r.source), date: r.published_at ?? r.created_at, excerptHtmlTrusted: r.body_html });
  }
  const teamLinks = links.map((l) => ({ id: l.id, url: l.url, site: siteOf(l.url), title: l.title, note: l.note, createdAt: l.created_at }));
  return { items, likes, reposts, teamLinks, empty: items.length === 0 && likes === 0 && reposts === 0 && teamLinks.length === 0 };
}
