// The post page as one function, so that the page route and a refused comment (shown again with its
// errors and the typed text) render exactly the same page. It is made of a post, its project and its
// comments, so it sits above all three: app.ts hands it to the comment routes (comments/routes.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { countPublished, countWithheldComments, findReplyTarget, listApprovedComments } from '../comments/queries.js';
import type { CommentFormState } from '../comments/form-state.js';
import { closedStateOf } from '../comments/service.js';
import { commentFormToken, readOwnCommentIds } from '../comments/form-cookies.js';
import type { Post, Project } from '../db/schema.js';
import { projectFeeds, projectIdentity } from '../projects/project-page.js';
import { readSettings } from '../projects/settings.js';
import { urls } from '../urls.js';
import type { FormErrors } from '../forms.js';
import { findRole } from '../auth/queries.js';
import { listAuthorsOf, listTagsOf } from '../posts/queries.js';
import { webmentionEndpoint, webmentionLinkHeader } from '../responses/links.js';
import { responsesOf } from '../responses/section.js';
import { postView, type PostPageView } from './view.js';

// The comment form's fields in page order: its error summary lists problems in this order.
const FIELD_ORDER = ['name', 'email', 'body'] as const;

const ENTITIES: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&#x27;': "'", '&lt;': '<', '&gt;': '>' };
const decode = (s: string) => s.replace(/&(?:amp|quot|#39|#x27|lt|gt);/g, (e) => ENTITIES[e]!);

/**
 * The post's social preview image: its first image (the sanitized HTML only keeps http(s) and
 * site-relative sources), with that image's alt text. Undefined for a post without images.
 */
export function socialImageOf(bodyHtml: string): { src: string; alt: string } | undefined {
  const tag = /<img\b[^>]*>/i.exec(bodyHtml)?.[0];
  if (!tag) return undefined;
  const src = /\ssrc="([^"]*)"/i.exec(tag)?.[1];
  if (!src) return undefined;
  const url = decode(src);
  if (!/^(https?:\/\/|\/(?!\/))/i.test(url)) return undefined;
  return { src: url, alt: decode(/\salt="([^"]*)"/i.exec(tag)?.[1] ?? '') };
}

export async function renderPostPage(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  project: Project,
  post: Post,
  form?: CommentFormState,
) {
  const ownIds = readOwnCommentIds(request);
  const settings = readSettings(project.settings);
  // A member of the project's team comments as themselves: no name or email to type.
  const member = request.user && (await findRole(app.db, request.user.id, project.id)) !== undefined ? request.user : undefined;
  const [authors, tags, comments, withheld, closed, responses] = await Promise.all([
    listAuthorsOf(app.readDb, [post.id]),
    listTagsOf(app.readDb, [post.id]),
    // Right after posting, the commenter's own comment may not have reached a read replica yet.
    listApprovedComments(ownIds.length > 0 ? app.db : app.readDb, post.id, ownIds),
    countWithheldComments(app.readDb, post.id),
    closedStateOf(app.readDb, app.clock.now(), project, post, settings),
    responsesOf(app.readDb, post.id),
  ]);
  // Reply: ?replyto=ID on a GET, or the parent the refused form carried.
  const query = request.query as Record<string, unknown> | undefined;
  const replyParam = form ? form.values.parentId : typeof query?.replyto === 'string' && /^\d{1,12}$/.test(query.replyto) ? Number(query.replyto) : undefined;
  const replyTo = replyParam !== undefined ? await findReplyTarget(app.readDb, post.id, replyParam) : undefined;
  const errors = form?.errors ?? {};
  // A page with the commenter's own pending comments is for them alone.
  if (ownIds.length > 0 || form) reply.header('cache-control', 'private, no-store');
  const image = socialImageOf(post.body_html);
  // Other sites send webmentions here (W3C Webmention: the Link header first, then the <link>).
  reply.header('link', webmentionLinkHeader(app.config));
  const view: PostPageView = {
    project: projectIdentity(project),
    timeZone: project.time_zone,
    post: postView(post),
    authors: authors.get(post.id) ?? [],
    tags: tags.get(post.id) ?? [],
    comments,
    commentCount: countPublished(comments),
    withheldCount: settings.showWithheldCount ? withheld : 0,
    commentsOpen: closed === undefined,
    responses,
  };
  return reply.page('pages/posts/show', {
    ...view,
    webmentionEndpoint: webmentionEndpoint(app.config),
    title: `${post.title}: ${project.title}`, // "Error: " is added by the layout when the form shows problems
    description: post.summary || `A post from ${project.title}.`,
    canonicalPath: urls.post(project.slug, post.slug),
    ogType: 'article',
    ogImage: image?.src,
    ogImageAlt: image?.alt || undefined,
    feeds: [
      ...projectFeeds(project),
      { title: `Comments on “${post.title}” (Atom)`, href: urls.postCommentsFeed(project.slug, post.slug), type: 'atom' as const },
    ],
    commentForm: {
      closed,
      // A refused comment comes back as this page: the fragment brings the browser to the form's problem
      // (the element with id="comment-form", focusable), not to the top of a long page.
      action: `${urls.comments(project.slug, post.slug)}#comment-form`,
      token: commentFormToken((v) => app.signCookie(v), post.id),
      postUrl: urls.post(project.slug, post.slug),
      policyUrl: urls.page(project.slug, 'comment-policy'),
      // The form says what happens to a comment under this project's policy.
      policy: settings.commentPolicy,
      commentAs: member ? { name: member.displayName, handle: member.handle } : null,
      replyTo: replyTo && { id: replyTo.id, authorName: replyTo.authorName },
      values: form?.values ?? { name: '', email: '', body: '' },
      errors: Object.fromEntries(FIELD_ORDER.filter((f) => errors[f]).map((f) => [f, errors[f]!])) as FormErrors,
      notice: form?.notice,
      // Keep the first render time across a corrected resubmission, so fixing a typo is not "too fast".
      renderedAt: form?.values.renderedAt ?? reply.renderStamp(),
      limits: { name: settings.maxNameLength, email: settings.maxEmailLength, body: settings.maxCommentLength },
    },
  });
}
