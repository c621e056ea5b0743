// The moderator's private Atom feed of pending comments: a pure function of the queue items, through the
// same builder as the public feeds (feeds/builder.ts). Its own self link (the secret address it is read
// at), an id per moderator under the site's tag: authority (not PUBLIC_URL, not the token: a new address
// is the same feed), and entry ids per comment.
import { buildAtom, type FeedModel } from '../feeds/builder.js';
import { escapeHtml, excerptFromHtml, makeUrlsAbsolute } from '../markdown/render.js';
import { siteTag, type SiteIdentity } from '../site/identity.js';
import { absoluteUrl, urls, withQuery } from '../urls.js';
import type { QueueItem } from './queries.js';

export const QUEUE_PATH = '/admin/moderation';

export function moderationFeedPath(token: string): string {
  return `/moderation/feed/${token}`;
}

export interface ModerationFeedInput {
  publicUrl: string;
  identity: Pick<SiteIdentity, 'authority' | 'since'>;
  /** The moderator whose queue this is. */
  personId: number;
  /** The secret address the feed is read at (its rel=self). */
  selfPath: string;
  items: QueueItem[];
  /** When the queue last changed: the feed's updated and Last-Modified. */
  updated: Date;
}

export function moderationFeedModel(input: ModerationFeedInput): FeedModel {
  const { publicUrl, items } = input;
  const queueUrl = absoluteUrl(publicUrl, QUEUE_PATH);
  return {
    id: siteTag(input.identity, `moderation-queue:person-${input.personId}`),
    title: 'Comments awaiting moderation',
    subtitle: 'Pending comments on the projects you moderate. This address is private: do not share it.',
    selfUrl: absoluteUrl(publicUrl, input.selfPath),
    alternateUrl: queueUrl,
    author: { name: 'Comment moderation', uri: queueUrl },
    updated: input.updated,
    // Newest first, as in every feed.
    entries: [...items].reverse().map((c) => {
      const postUrl = absoluteUrl(publicUrl, urls.post(c.projectSlug, c.postSlug));
      const body = makeUrlsAbsolute(c.bodyHtml, publicUrl, postUrl);
      return {
        id: siteTag(input.identity, `moderation:comment-${c.id}`),
        title: `${c.authorName} on “${c.postTitle}” (${c.projectTitle})`,
        url: `${withQuery(queueUrl, { project: c.projectSlug })}#mod-${c.id}`,
        published: c.createdAt,
        updated: c.updatedAt > c.createdAt ? c.updatedAt : c.createdAt,
        authors: [{ name: c.authorName }],
        summary: excerptFromHtml(c.bodyHtml, 300) || '(no text)',
        contentHtml: `${body}<p>Held because: ${escapeHtml(c.holdReasons.join(', ') || 'not yet decided')}</p>`,
        categories: [],
      };
    }),
  };
}

export function buildModerationFeed(input: ModerationFeedInput): string {
  return buildAtom(moderationFeedModel(input));
}
