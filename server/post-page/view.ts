// What the post page's template reads (views/pages/posts/show.eta and its partials): named, camelCase,
// dates as Date, and the one raw-HTML field named as trusted. Built from the rows page.ts already has,
// by reference (the body is not copied), so the hot path does no more work than before.
import type { PublicComment } from '../comments/queries.js';
import type { Post } from '../db/schema.js';
import type { AuthorRef, TagRef } from '../posts/queries.js';
import type { ProjectIdentity } from '../projects/project-page.js';
import type { ResponsesSection } from '../responses/section.js';

/** The post itself, as its page shows it. */
export interface PostView {
  slug: string;
  title: string;
  publishedAt: Date;
  /** Trusted HTML: made by the one sanitizing renderer (markdown/render.ts: renderPost) and stored with the post. */
  bodyHtmlTrusted: string;
}

export interface PostPageView {
  /** The project, also read by the layout for its header. */
  project: ProjectIdentity;
  /** The project's time zone: the publication date is the day in that zone. */
  timeZone: string;
  post: PostView;
  authors: AuthorRef[];
  tags: TagRef[];
  /** Approved comments as a tree (and the commenter's own pending ones); views/partials/comment.eta. */
  comments: PublicComment[];
  commentCount: number;
  /** Comments not published under the policy, when the project shows that count; else 0. */
  withheldCount: number;
  commentsOpen: boolean;
  /** "Responses elsewhere" (views/partials/responses.eta). */
  responses: ResponsesSection;
}

export function postView(post: Post): PostView {
  return {
    slug: post.slug,
    title: post.title,
    // A public post always has its publication time; the update time only keeps the page whole if not.
    publishedAt: post.published_at ?? post.updated_at,
    bodyHtmlTrusted: post.body_html,
  };
}
