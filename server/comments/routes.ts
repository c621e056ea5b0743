// POST /:project/posts/:slug/comments — a comment from the public (or, signed in, from a member of the
// project's team: as themselves, badged, published at once). Anything refused (invalid, closed,
// rate-limited, an expired form) shows the post page again with the typed text; a stored comment
// redirects (303) to itself, visible to its writer alone until it is approved.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Post, Project } from '../db/schema.js';
import { isStorageFull, notFound, STORAGE_FULL_MESSAGE } from '../errors.js';
import { isPostPublic } from '../db/sql-helpers.js';
import { findPostBySlug } from '../posts/queries.js';
import { readSettings } from '../projects/settings.js';
import { loadSiteSecret } from '../site/secrets.js';
import { SLUG_PATTERN, urls } from '../urls.js';
import { readCommentInput, validateComment } from './rules.js';
import { readCommentsPause, type CommentTarget } from './queries.js';
import {
  closedStateWith,
  commenterIdOf,
  commentFormTrusted,
  formExpired,
  hashAddress,
  rememberCommenter,
  rememberOwnComment,
  submitComment,
  submitTeamComment,
} from './service.js';
import { findRole } from '../auth/roles.js';
import type { SignedInUser } from '../auth/signed-in-user.js';
import type { CommentFormState } from './form-state.js';
import { CommentTargets } from './targets.js';

type Body = Record<string, unknown>;

/** A kept copy no longer matched, or would have refused: decide again from a fresh read. */
const STALE = Symbol('stale');

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

  app.post<{ Params: { project: string; slug: string }; Body: Body }>(
    '/:project/posts/:slug/comments',
    // Forgery is checked below (commentFormTrusted), with a friendlier failure that keeps the text. A new
    // comment is held, or if published, its database notification drops the pages it changes: no need
    // to empty this server's cache here.
    { config: { csrf: false, dropsPages: false } },
    async (request, reply) => {
      const { project: projectSlug, slug } = request.params;
      if (!SLUG_PATTERN.test(projectSlug)) throw notFound('There is no project at this address.');
      if (!SLUG_PATTERN.test(slug) && !/^[a-z0-9-]{1,100}$/.test(slug)) throw notFound('There is no such post.');
      // A signed-in member of the project's team comments as themselves, on a slower path of its own.
      if (request.user) {
        const fresh = await targets.read(projectSlug, slug);
        if (fresh && (await findRole(app.db, request.user.id, fresh.project.id)) !== undefined) return receiveFromTeam(request, reply, fresh, request.user);
        return receive(request, reply, fresh, false);
      }
      // A kept copy of the project and post saves a round trip; the database checks its stamp when it
      // stores the comment, and whatever the copy would refuse is decided again from a fresh read.
      const copy = targets.copyOf(projectSlug, slug);
      if (copy) {
        const outcome = await receive(request, reply, copy, true);
        if (outcome !== STALE) return outcome;
        targets.drop(projectSlug, slug);
      }
      return receive(request, reply, await targets.read(projectSlug, slug), false);
    },
  );

  // The same steps for a member of the team: name and email from their profile, no rules, no rate limit.
  async function receiveFromTeam(request: FastifyRequest<{ Body: Body }>, reply: FastifyReply, target: CommentTarget, user: SignedInUser): Promise<unknown> {
    const { project, post } = target;
    if (!post || !isPostPublic(post, app.clock.now())) throw notFound('There is no such post in this project.');
    const body: Body = request.body && typeof request.body === 'object' ? request.body : {};
    const input = { ...readCommentInput(body), name: user.displayName, email: user.email };
    const parentRaw = typeof body.parent_id === 'string' ? body.parent_id.trim() : '';
    const parentId = /^\d{1,12}$/.test(parentRaw) ? Number(parentRaw) : undefined;
    const values = { name: '', email: '', body: input.body, parentId };
    const refuse = async (status: number, form: Omit<CommentFormState, 'values'>) => {
      const fullPost = await findPostBySlug(app.db, project.id, post.slug);
      if (!fullPost) throw notFound('There is no such post in this project.');
      reply.code(status);
      return renderPostPage(app, request, reply, project, fullPost, { values, ...form });
    };
    if (!commentFormTrusted(app, request, post.id, body._csrf)) {
      return refuse(403, { errors: {}, notice: 'This form had expired or did not come from this site, so your comment was not sent. Your text is below: check it and send it again.' });
    }
    const settings = readSettings(project.settings);
    const closed = closedStateWith(app, project, post, settings, readCommentsPause(target.pause));
    if (closed) return refuse(409, { errors: {}, notice: closed.message });
    const errors = validateComment(input, settings);
    if (errors.body) return refuse(422, { errors: { body: errors.body } });
    const result = await submitTeamComment(app, project, post, user, input.body, parentId);
    if (result.kind === 'bad-parent') {
      return refuse(422, { errors: {}, notice: 'The comment you replied to is no longer available, so your reply was not sent. You can send it as a new comment.' });
    }
    return reply.redirect(urls.comment(project.slug, post.slug, result.id), 303);
  }

  async function receive(
    request: FastifyRequest<{ Body: Body }>,
    reply: FastifyReply,
    target: CommentTarget | undefined,
    isCopy: boolean,
  ): Promise<unknown> {
    if (!target) throw notFound('There is no project at this address.');
    const { project, post } = target;
    if (!post || !isPostPublic(post, app.clock.now())) {
      if (isCopy) return STALE;
      throw notFound('There is no such post in this project.');
    }

    const body: Body = request.body && typeof request.body === 'object' ? request.body : {};
    const input = readCommentInput(body);
    const parentRaw = typeof body.parent_id === 'string' ? body.parent_id.trim() : '';
    const parentId = /^\d{1,12}$/.test(parentRaw) ? Number(parentRaw) : undefined;
    const renderedAt = typeof body.rendered_at === 'string' && body.rendered_at.length <= 200 ? body.rendered_at : undefined;
    const values = { ...input, parentId, renderedAt };
    // Refusals are rare: the whole post is read only then, to show its page again. A refusal decided
    // from a kept copy is decided again from a fresh read, unless the database itself refused (`final`).
    const refuse = async (status: number, form: Omit<CommentFormState, 'values'>, final = false) => {
      if (isCopy && !final) return STALE;
      const fullPost = await findPostBySlug(app.db, project.id, post.slug);
      if (!fullPost) throw notFound('There is no such post in this project.');
      reply.code(status);
      return renderPostPage(app, request, reply, project, fullPost, { values, ...form });
    };

    if (!commentFormTrusted(app, request, post.id, body._csrf)) {
      return refuse(403, {
        errors: {},
        notice: 'This form had expired or did not come from this site, so your comment was not sent. Your text is below: check it and send it again.',
      });
    }
    if (formExpired(app, body.rendered_at, app.clock.now())) {
      // Shown again with a fresh form (not the old render time), so that sending it again works.
      values.renderedAt = undefined;
      return refuse(403, {
        errors: {},
        notice: 'This form was open for more than 12 hours, so your comment was not sent. Your text is below: check it and send it again.',
      });
    }
    const settings = readSettings(project.settings);
    const closed = closedStateWith(app, project, post, settings, readCommentsPause(target.pause));
    if (closed) return refuse(409, { errors: {}, notice: closed.message });

    const errors = validateComment(input, settings);
    if (Object.keys(errors).length > 0) return refuse(422, { errors });

    const commenter = commenterIdOf(request);
    let result: Awaited<ReturnType<typeof submitComment>>;
    try {
      result = await submitComment(app, project, post, settings, {
        input,
        parentId,
        honeypot: typeof body.website === 'string' ? body.website : '',
        renderedAt: body.rendered_at,
        ipHash: hashAddress(secret, request.ip),
        userAgent: request.headers['user-agent'],
        stamp: isCopy ? target.stamp : null,
        commenterId: commenter.id,
      });
    } catch (err) {
      // A full disk: the writer keeps the text (the page is read, which still works), and is told why.
      if (!isStorageFull(err)) throw err;
      request.log.error({ err }, 'storage full: a comment was refused');
      reply.header('retry-after', '60');
      return refuse(503, { errors: {}, notice: `${STORAGE_FULL_MESSAGE} Your comment is below: send it again later.` }, true);
    }
    if (result.kind === 'stale') return STALE;
    if (result.kind === 'rate-limited') {
      // Final even from a kept copy: the database checked the copy's stamp in the same statement.
      reply.header('retry-after', '600');
      return refuse(
        429,
        {
          errors: {},
          notice: `You have sent ${settings.commentsPerTenMinutes} comments in the last 10 minutes, which is as many as this project accepts from one address. Your comment was not sent; please wait a few minutes and send it again.`,
        },
        true,
      );
    }
    if (result.kind === 'bad-parent') {
      return refuse(422, {
        errors: {},
        notice: 'The comment you replied to is no longer available, so your reply was not sent. You can send it as a new comment.',
      });
    }
    if (!isCopy) targets.keep(project.slug, post.slug, target);
    rememberOwnComment(app, request, reply, result.id);
    if (commenter.isNew) rememberCommenter(app, reply, commenter.id);
    return reply.redirect(urls.comment(project.slug, post.slug, result.id), 303);
  }
}
