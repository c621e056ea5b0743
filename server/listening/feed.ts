// A person's private Atom feed of a project's Conversations inbox (like the moderators' queue feed):
// a pure function of the items, through the same builder as the public feeds (feeds/builder.ts), which
// writes titles as text and content escaped. Item HTML was sanitized when it was stored.
import { buildAtom, type FeedModel } from '../feeds/builder.js';
import { excerptFromHtml } from '../markdown/render.js';
import { siteTag, type SiteIdentity } from '../site/identity.js';
import { absoluteUrl, withQuery } from '../urls.js';
import type { InboxItem } from './queries.js';

export function inboxFeedPath(token: string): string {
  return `/listening/feed/${token}`;
}

export function inboxPath(projectSlug: string): string {
  return `/admin/projects/${encodeURIComponent(projectSlug)}/listening`;
}

export interface InboxFeedInput {
  publicUrl: string;
  identity: Pick<SiteIdentity, 'authority' | 'since'>;
  project: { id: number; slug: string; title: string };
  personId: number;
  selfPath: string;
  items: InboxItem[];
  updated: Date;
}

export function buildInboxFeed(input: InboxFeedInput): string {
  const inboxUrl = absoluteUrl(input.publicUrl, inboxPath(input.project.slug));
  const model: FeedModel = {
    id: siteTag(input.identity, `listening:project-${input.project.id}:person-${input.personId}`),
    title: `Conversations: ${input.project.title}`,
    subtitle: 'New items from the feeds and key terms this project listens to. This address is private: do not share it.',
    selfUrl: absoluteUrl(input.publicUrl, input.selfPath),
    alternateUrl: inboxUrl,
    author: { name: 'Listening desk', uri: inboxUrl },
    updated: input.updated,
    entries: input.items.map((item) => ({
      id: siteTag(input.identity, `listening:item-${item.id}`),
      title: item.title || '(untitled)',
      url: item.url ?? `${withQuery(inboxUrl, { source: item.sourceId })}#item-${item.id}`,
      published: item.publishedAt ?? item.fetchedAt,
      updated: item.fetchedAt,
      authors: [{ name: item.author || item.sourceTitle }],
      summary: excerptFromHtml(item.contentHtml, 300) || '(no text)',
      contentHtml: item.contentHtml,
      categories: [],
    })),
  };
  return buildAtom(model);
}
