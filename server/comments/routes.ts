// POST /:project/posts/:slug/comments — a comment from the public (or, signed in, from a member of the
// project's team: as themselves, badged, published at once). Anything refused (invalid, closed,
// rate-limited, an expired form) shows the post page again with the typed text; a stored comment
// redirects (303) to itself, visible to its writer alone until it is approved. What becomes of a comment
// is decided in decisions.ts, as a value; this file reads the request and maps each value to a response.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Post, Project } from '../db/schema.js';
import { isStorageFull, notFound, STORAGE_FULL_MESSAGE } from '../errors.js';
import { findPostBySlug } from '../posts/queries.js';
import { loadSiteSecret } from '../site/secrets.js';
import { urls } from '../urls.js';
import { readCommentInput } from './rules.js';
import type { CommentTarget } from './queries.js';
import { commentDeps, formExpired, hashAddress, submitComment, submitTeamComment, type SubmitResult } from './service.js';
import { commenterIdOf, commentFormTrusted, rememberCommenter, rememberOwnComment } from './form-cookies.js';
import { findRole } from '../auth/queries.js';
import type { SignedInUser } from '../auth/signed-in-user.js';
import type { CommentFormState } from './form-state.js';
import { CommentTargets } from './targets.js';
import { decideBeforeStoring, decidePublicComment, fromKeptCopy, type CommentDecision, type RefusalReason } from './decisions.js';
import { param, withParams } from '../route-params.js';

type Body = Record<string, unknown>;
type FormValues = CommentFormState['values'];
/** What a public comment POST sent: the form, and the browser's commenter id (stored with the comment, then set in its cookie). */
interface Sent {
  body: Body;
  commenter: { id: string; isNew: boolean };
}

/**
 * The post page (post-page/page.ts), with a refused comment's text and errors. It is made of the post
 * and its comments, so this domain is handed it (by app.ts) rather than importing it.
 */
export type RenderPostPage = (
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  project: Project,
  post: Post,
  form?: CommentFormState,
) => Promise<unknown>;

export default async function commentRoutes(app: FastifyInstance, options: { renderPostPage: RenderPostPage }) {
  const { renderPostPage } = options;
  const secret = await loadSiteSecret(app.db);
  const targets = new CommentTargets(app.db);
  const deps = commentDeps(app.db, app.clock, (v) => app.unsignCookie(v));
  const secureCookies = app.config.publicUrl.startsWith('https://');

  app.post<{ Params: { project: string; slug: string }; Body: Body }>(
    '/:project/posts/:slug/comments',
    // Forgery is checked by the decision (commentFormTrusted), with a friendlier failure that keeps the
    // text. A new comment is held, or if published, its database notification drops the pages it
    // changes: no need to empty this server's cache here.
    { ...withParams({ project: param.project, slug: param.postSlug }), config: { csrf: false, dropsPages: false } },
    async (request, reply) => {
      const { project: projectSlug, slug } = request.params;
      const body: Body = request.body && typeof request.body === 'object' ? request.body : {};
      const sent: Sent = { body, commenter: commenterIdOf(request) };
      // A signed-in member of the project's team comments as themselves, on a slower path of its own.
      if (request.user) {
        const fresh = await targets.read(projectSlug, slug);
        if (fresh && (await findRole(app.db, request.user.id, fresh.project.id)) !== undefined) return receiveFromTeam(request, reply, body, fresh, request.user);
        const decision = await decidePublic(request, sent, fresh, null);
        keepIfAccepted(fresh, decision);
        return respond(request, reply, sent, fresh, decision);
      }
      // A kept copy of the project and post saves a round trip; the database checks its stamp when it
      // stores the comment, and whatever the copy would refuse is decided again from a fresh read.
      const copy = targets.copyOf(projectSlug, slug);
      if (copy) {
        const decision = fromKeptCopy(await decidePublic(request, sent, copy, copy.stamp));
        if (decision.kind !== 'decide-again') return respond(request, reply, sent, copy, decision);
        targets.drop(projectSlug, slug);
      }
      const fresh = await targets.read(projectSlug, slug);
      const decision = await decidePublic(request, sent, fresh, null);
      keepIfAccepted(fresh, decision);
      return respond(request, reply, sent, fresh, decision);
    },
  );

  /** Only a fresh read that led to a stored comment is kept (targets.ts). */
  function keepIfAccepted(fresh: CommentTarget | undefined, decision: CommentDecision): void {
    if (decision.kind === 'accepted' && fresh?.post) targets.keep(fresh.project.slug, fresh.post.slug, fresh);
  }

  /** Decides a public comment against `target` (a kept copy when `stamp` is its stamp, else a fresh read). */
  function decidePublic(request: FastifyRequest, { body, commenter }: Sent, target: CommentTarget | undefined, stamp: string | null): Promise<CommentDecision> {
    const input = readCommentInput(body);
    const now = app.clock.now();
    const checks = { input, now, expired: formExpired(deps.unsign, body.rendered_at, now), trustedFor: (postId: number) => commentFormTrusted(app, request, postId, body._csrf) };
    return decidePublicComment(target, checks, async ({ project, post, settings }) => {
      try {
        const stored = await submitComment(deps, project, post, settings, {
          input,
          parentId: parentIdOf(body),
          honeypot: typeof body.website === 'string' ? body.website : '',
          renderedAt: body.rendered_at,
          ipHash: hashAddress(secret, request.ip),
          userAgent: request.headers['user-agent'],
          stamp,
          commenterId: commenter.id,
        });
        logDecision(request, project, post, stored);
        return stored;
      } catch (err) {
        if (!isStorageFull(err)) throw err;
        request.log.error({ err }, 'storage full: a comment was refused');
        return 'storage-full';
      }
    });
  }

  /**
   * A comment the rules held or marked as spam, as an event an operator can follow (`comment_held`,
   * `comment_spam`, with the rules' reasons): ids and reasons only, never the name, email or address.
   */
  function logDecision(request: FastifyRequest, project: Project, post: Pick<Post, 'id'>, stored: SubmitResult): void {
    if (stored.kind !== 'saved' || stored.status === 'approved') return;
    const event = stored.status === 'spam' ? 'comment_spam' : 'comment_held';
    request.log.info({ event, project: project.slug, postId: post.id, commentId: stored.id, reasons: stored.reasons }, `comment ${stored.id} ${stored.status === 'spam' ? 'marked as spam' : 'held for a moderator'}: ${stored.reasons.join(', ')}`);
  }

  /** A public comment's decision as a response: to the comment (303), or its post page again with the text. */
  async function respond(request: FastifyRequest, reply: FastifyReply, { body, commenter }: Sent, target: CommentTarget | undefined, decision: CommentDecision): Promise<unknown> {
    if (decision.kind === 'decide-again') throw new Error('a comment decided from a fresh read cannot be decided again');
    const values: FormValues = { ...readCommentInput(body), parentId: parentIdOf(body), renderedAt: renderedAtOf(body) };
    if (decision.kind === 'refused') return showRefusal(request, reply, target, values, decision.reason);
    const { project, post } = target!;
    rememberOwnComment(secureCookies, request, reply, decision.commentId);
    if (commenter.isNew) rememberCommenter(secureCookies, reply, commenter.id);
    return reply.redirect(urls.comment(project.slug, post!.slug, decision.commentId), 303);
  }

  // The same steps for a member of the team: name and email from their profile, no rules, no rate limit.
  async function receiveFromTeam(request: FastifyRequest, reply: FastifyReply, body: Body, target: CommentTarget, user: SignedInUser): Promise<unknown> {
    const input = { ...readCommentInput(body), name: user.displayName, email: user.email };
    const parentId = parentIdOf(body);
    const values: FormValues = { name: '', email: '', body: input.body, parentId };
    const trustedFor = (postId: number) => commentFormTrusted(app, request, postId, body._csrf);
    const before = decideBeforeStoring(target, { input, now: app.clock.now(), expired: false, trustedFor, fromTeam: true });
    if ('refused' in before) return showRefusal(request, reply, target, values, before.refused);
    const { project, post } = before.open;
    const result = await submitTeamComment(deps, project, post, user, input.body, parentId);
    if (result.kind === 'bad-parent') return showRefusal(request, reply, target, values, { kind: 'bad-parent' });
    return reply.redirect(urls.comment(project.slug, post.slug, result.id), 303);
  }

  /** A refusal: 404 for what is not there; else the post page again, with what was typed and why it was not sent. */
  async function showRefusal(request: FastifyRequest, reply: FastifyReply, target: CommentTarget | undefined, values: FormValues, reason: RefusalReason): Promise<unknown> {
    if (reason.kind === 'no-project' || !target) throw notFound('There is no project at this address.');
    if (reason.kind === 'no-post' || !target.post) throw notFound('There is no such post in this project.');
    const { status, form, retryAfterSeconds } = refusalResponse(reason, values);
    // Refusals are rare: the whole post is read only now, to show its page again.
    const fullPost = await findPostBySlug(app.db, target.project.id, target.post.slug);
    if (!fullPost) throw notFound('There is no such post in this project.');
    if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
    reply.code(status);
    return renderPostPage(app, request, reply, target.project, fullPost, form);
  }
}

/** The status, the form shown back and the wait to suggest, for each reason a comment shown back was refused. */
function refusalResponse(reason: Exclude<RefusalReason, { kind: 'no-project' | 'no-post' }>, values: FormValues): { status: number; form: CommentFormState; retryAfterSeconds?: number } {
  const notice = (status: number, text: string, retryAfterSeconds?: number) => ({ status, form: { values, errors: {}, notice: text }, retryAfterSeconds });
  switch (reason.kind) {
    case 'forged':
      return notice(403, 'This form had expired or did not come from this site, so your comment was not sent. Your text is below: check it and send it again.');
    case 'form-expired':
      // Shown again with a fresh form (not the old render time), so that sending it again works.
      return {
        status: 403,
        form: { values: { ...values, renderedAt: undefined }, errors: {}, notice: 'This form was open for more than 12 hours, so your comment was not sent. Your text is below: check it and send it again.' },
      };
    case 'closed':
      return notice(409, reason.message);
    case 'invalid':
      return { status: 422, form: { values, errors: reason.errors } };
    case 'bad-parent':
      return notice(422, 'The comment you replied to is no longer available, so your reply was not sent. You can send it as a new comment.');
    case 'rate-limited':
      return notice(
        429,
        `You have sent ${reason.perTenMinutes} comments in the last 10 minutes, which is as many as this project accepts from one address. Your comment was not sent; please wait a few minutes and send it again.`,
        600,
      );
    case 'storage-full':
      // A full disk: the writer keeps the text (the page is read, which still works), and is told why.
      return notice(503, `${STORAGE_FULL_MESSAGE} Your comment is below: send it again later.`, 60);
  }
}

/** The comment replied to, from the form's hidden field. */
function parentIdOf(body: Body): number | undefined {
  const raw = typeof body.parent_id === 'string' ? body.parent_id.trim() : '';
  return /^\d{1,12}$/.test(raw) ? Number(raw) : undefined;
}

/** The form's signed render time, passed back unchanged when the form is shown again. */
function renderedAtOf(body: Body): string | undefined {
  return typeof body.rendered_at === 'string' && body.rendered_at.length <= 200 ? body.rendered_at : undefined;
}
