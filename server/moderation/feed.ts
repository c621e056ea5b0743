// The moderator's private Atom feed of pending comments: a pure function of the queue items.
import { Feed } from 'feed';
import { escapeHtml, makeUrlsAbsolute } from '../markdown/render.js';
import { absoluteUrl, urls } from '../urls.js';
import type { QueueItem } from './queries.js';

export function buildModerationFeed(options: { publicUrl: string; feedPath: string; items: QueueItem[]; now: Date }): string {
  const { publicUrl, items } = options;
  const queueUrl = absoluteUrl(publicUrl, '/admin/moderation');
  const newest = items.reduce<Date | undefined>((d, c) => (!d || c.createdAt > d ? c.createdAt : d), undefined);
  const feed = new Feed({
    id: absoluteUrl(publicUrl, options.feedPath),
    title: 'Comments awaiting moderation',
    description: 'Pending comments on the projects you moderate. This address is private: do not share it.',
    link: queueUrl,
    updated: newest ?? options.now,
    generator: false,
    feedLinks: { atom: absoluteUrl(publicUrl, options.feedPath) },
  });
  for (const c of items) {
    const postUrl = absoluteUrl(publicUrl, urls.post(c.projectSlug, c.postSlug));
    const body = makeUrlsAbsolute(c.bodyHtml, publicUrl, postUrl);
    feed.addItem({
      // feed 6 writes titles as type="html" verbatim: escape, so a name with "<" stays text.
      title: escapeHtml(`${c.authorName} on “${c.postTitle}” (${c.projectTitle})`),
      id: `${queueUrl}?project=${encodeURIComponent(c.projectSlug)}#mod-${c.id}`,
      link: `${queueUrl}?project=${encodeURIComponent(c.projectSlug)}#mod-${c.id}`,
      date: c.createdAt,
      published: c.createdAt,
      author: [{ name: c.authorName }],
      content: `${body}<p>Held because: ${escapeHtml(c.holdReasons.join(', ') || 'not yet decided')}</p>`,
    });
  }
  return feed.atom1();
}
