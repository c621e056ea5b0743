// Moderation, by audience:
//   signed-in team members: the queue, decisions on comments (one or a selection), team replies, edits,
//     their private feed token; a project's moderation log (owners, editors, moderators)
//   site admins: the site-wide comments pause
//   feed readers (no session; a secret token in the URL): the private Atom feed of a moderator's queue
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireSiteAdmin, requireUser } from '../auth/plugin.js';
import { accessOf, requireProjectAction } from '../auth/project-access.js';
import { can } from '../auth/roles.js';
import { clearCommentsPause, countPendingComments, findCommentsPause, setCommentsPause } from '../comments/queries.js';
import { describeWait, isBlank, REASON_LABELS, workingDaysBetween } from '../comments/rules.js';
import { formText } from '../forms.js';
import type { CommentStatus } from '../db/schema.js';
import { BadRequestError, forbidden, notFound } from '../errors.js';
import { readSettings } from '../projects/settings.js';
import type { SignedInUser } from '../auth/signed-in-user.js';
import { absoluteUrl, adminUrls, urls, withQuery } from '../urls.js';
import { httpDate, isNotModified } from '../conditional-get.js';
import { etagFor, lastChange } from '../feeds/http.js';
import { buildModerationFeed, moderationFeedPath } from './feed.js';
import {
  decideComments,
  editComment,
  findActiveFeedToken,
  findCommentForModeration,
  findFeedTokenUser,
  listModerableProjects,
  moderationQueueChanged,
  listModerationLog,
  listQueue,
  mayModerate,
  moderationScope,
  replaceFeedToken,
  replyAsTeam,
  revokeFeedTokens,
  DECIDED_STATUS,
  type CommentForModeration,
  type Decision,
  type DecisionOutcome,
} from './queries.js';

const STATUSES: CommentStatus[] = ['pending', 'spam', 'rejected', 'approved', 'deleted'];
const QUEUE = '/admin/moderation';
const MAX_BULK = 200;
type Body = Record<string, unknown>;

const badRequest = (message: string) => new BadRequestError(message);
const str = formText;
const idOf = (v: unknown) => (typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : undefined);

/** Where to go back to after an action: the queue, with its filters, and nothing else. */
function backTo(body: Body): string {
  const back = str(body.back);
  return /^\/admin\/moderation(\?[A-Za-z0-9=&%_.-]*)?$/.test(back) ? back : QUEUE;
}

function userOf(request: FastifyRequest): SignedInUser {
  if (!request.user) throw forbidden('You need to sign in to do that.');
  return request.user;
}

/** Loads comments by id and checks the person may moderate every one of them; 404 / 403 otherwise. */
async function loadForModeration(app: FastifyInstance, user: SignedInUser, ids: number[]): Promise<CommentForModeration[]> {
  const scope = await moderationScope(app.db, user);
  const out: CommentForModeration[] = [];
  for (const id of ids) {
    const comment = await findCommentForModeration(app.db, id);
    if (!comment) throw notFound('There is no such comment.');
    if (!(await mayModerate(app.db, scope, comment))) throw forbidden('You may not moderate this comment.');
    out.push(comment);
  }
  return out;
}

function rejectReason(comment: CommentForModeration, raw: unknown): string {
  const reason = str(raw).trim();
  const allowed = readSettings(comment.projectSettings).moderationReasons;
  if (!allowed.includes(reason)) throw badRequest(`Choose a reason for rejecting from the list (${allowed.join(', ')}).`);
  return reason;
}

function commentText(raw: unknown, comment: CommentForModeration): string {
  const body = str(raw).replace(/\r\n?/g, '\n').trim();
  const max = readSettings(comment.projectSettings).maxCommentLength;
  if (isBlank(body)) throw badRequest('The text cannot be empty.');
  if (Array.from(body).length > max) throw badRequest(`The text must be ${max} characters or fewer.`);
  return body;
}

type QueueQuery = { project?: string; status?: string };

/** The status the moderator saw when they chose (a hidden field of each decision form), if it is one. */
function seenStatus(body: Body): CommentStatus | undefined {
  const seen = str(body.seen);
  return (STATUSES as string[]).includes(seen) ? (seen as CommentStatus) : undefined;
}

/** The queue's filters from the form's `back` address, to show the same queue again. */
function queueQueryOf(body: Body): QueueQuery {
  const query = new URLSearchParams(backTo(body).split('?')[1] ?? '');
  return { project: query.get('project') ?? undefined, status: query.get('status') ?? undefined };
}

const DONE: Record<CommentStatus, string> = { approved: 'approved', rejected: 'rejected', spam: 'marked as spam', deleted: 'deleted', pending: 'put back as pending' };
const ASKED: Record<Decision, string> = { approve: 'approval', reject: 'rejection', spam: 'spam mark', delete: 'deletion' };

/** Someone decided first: the queue as it is now, 409, saying who did what and that this choice was not applied. */
async function showConflicts(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, body: Body, decision: Decision, outcome: DecisionOutcome) {
  const me = request.user?.id;
  const problems = outcome.conflicts.map(({ comment, status, by }) => {
    const who = by === null ? 'Another moderator' : by.id === me ? 'You' : `Another moderator, ${by.name},`;
    return `${who} already ${DONE[status]} the comment by ${comment.authorName}, so your ${ASKED[decision]} was not applied to it.`;
  });
  const applied = outcome.applied.length;
  const notice = applied > 0 ? `${applied} ${applied === 1 ? 'comment' : 'comments'} ${DONE[DECIDED_STATUS[decision]]}.` : undefined;
  return showQueue(app, request, reply, queueQueryOf(body), { status: 409, problems, notice });
}

/** The moderation queue page; after a refused action, with what went wrong at the top. */
async function showQueue(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  query: QueueQuery,
  outcome: { status: number; problems: string[]; notice?: string } = { status: 200, problems: [] },
) {
  const user = userOf(request);
  const scope = await moderationScope(app.db, user);
  const projects = await listModerableProjects(app.db, scope);
  const projectFilter = query.project ? projects.find((p) => p.slug === query.project) : undefined;
  if (query.project && !projectFilter) throw notFound('You do not moderate a project at that address.');
  const status = (STATUSES as string[]).includes(query.status ?? '') ? (query.status as CommentStatus) : 'pending';
  const now = app.clock.now();
  const [items, pending, token] = await Promise.all([
    listQueue(app.db, scope, { projectId: projectFilter?.id, status }),
    countPendingComments(app.db, projects.map((p) => p.id)),
    findActiveFeedToken(app.db, user.id),
  ]);
  const settingsOf = new Map(projects.map((p) => [p.id, readSettings(p.settings)]));
  reply.code(outcome.status).header('cache-control', 'private, no-store');
  return reply.page('pages/moderation/queue', {
    title: 'Comment moderation',
    noindex: true,
    problems: outcome.problems,
    notice: outcome.notice ?? null,
    projects,
    projectFilter: projectFilter?.slug ?? '',
    status,
    statuses: STATUSES,
    back: withQuery(QUEUE, { project: projectFilter?.slug, status: status === 'pending' ? undefined : status }),
    summary: projects.map((p) => {
      const s = pending.get(p.id) ?? { pending: 0, oldestAt: null };
      const target = settingsOf.get(p.id)!.responseTargetDays;
      const waitedDays = s.oldestAt ? workingDaysBetween(s.oldestAt, now) : 0;
      return {
        slug: p.slug,
        title: p.title,
        logHref: adminUrls.moderationLog(p.slug),
        pending: s.pending,
        oldestWait: s.oldestAt ? describeWait(s.oldestAt, now) : null,
        waitedDays,
        target,
        overTarget: s.oldestAt !== null && waitedDays > target,
      };
    }),
    items: items.map((c) => ({
      ...c,
      postUrl: urls.post(c.projectSlug, c.postSlug),
      waited: describeWait(c.createdAt, now),
      reasons: c.holdReasons.map((r) => REASON_LABELS[r] ?? r),
      rejectReasons: settingsOf.get(c.projectId)?.moderationReasons ?? [],
    })),
    feedToken: token,
  });
}

/** "Delete the comment by …?": the comment, and a form that posts the delete again with confirm=yes. */
async function showDeleteConfirmation(reply: FastifyReply, comment: CommentForModeration, body: Body) {
  reply.header('cache-control', 'private, no-store');
  return reply.page('pages/moderation/confirm-delete', {
    title: `Delete the comment by ${comment.authorName}?`,
    noindex: true,
    comment: { id: comment.id, authorName: comment.authorName, bodySrc: comment.bodySrc, status: comment.status },
    back: backTo(body),
    seen: seenStatus(body) ?? comment.status,
    reason: str(body.reason).trim().slice(0, 300),
  });
}

export default async function moderationRoutes(app: FastifyInstance) {
  // Signed-in side.
  await app.register(async (team) => {
    team.addHook('preHandler', requireUser);

    // GET /admin/moderation — one queue across the projects I may moderate, oldest first
    team.get<{ Querystring: QueueQuery }>(QUEUE, async (request, reply) => showQueue(app, request, reply, request.query));

    // POST /admin/moderation/bulk — approve / reject / mark spam a selection
    team.post<{ Body: Body }>(`${QUEUE}/bulk`, async (request, reply) => {
      const user = userOf(request);
      const body = request.body ?? {};
      const action = str(body.action);
      if (action !== 'approve' && action !== 'reject' && action !== 'spam') throw badRequest('Choose approve, reject or mark as spam.');
      const rawIds = Array.isArray(body.ids) ? body.ids : body.ids === undefined ? [] : [body.ids];
      const ids = [...new Set(rawIds.map(idOf))];
      // What a person can get wrong with the form shows the queue again with the problem at the top.
      const problem = (message: string) => showQueue(app, request, reply, queueQueryOf(body), { status: 400, problems: [message] });
      if (ids.length === 0) return problem('Select at least one comment, then choose what to do with them.');
      if (ids.length > MAX_BULK || ids.some((id) => id === undefined)) throw badRequest('That selection could not be understood.');
      const comments = await loadForModeration(app, user, ids as number[]);
      let reason: string | null = null;
      if (action === 'reject') {
        try {
          reason = comments.map((c) => rejectReason(c, body.reason))[0]!;
        } catch (err) {
          if (err instanceof BadRequestError) return problem(err.message);
          throw err;
        }
      }
      const outcome = await decideComments(app.db, comments, user.id, action, reason, app.clock.now(), seenStatus(body));
      if (outcome.conflicts.length > 0) return showConflicts(app, request, reply, body, action, outcome);
      return reply.redirect(backTo(body), 303);
    });

    // POST /admin/moderation/:id/:action — approve, reject (with a reason), spam, delete, edit, reply
    team.post<{ Params: { id: string; action: string }; Body: Body }>(`${QUEUE}/:id/:action`, async (request, reply) => {
      const user = userOf(request);
      const id = idOf(request.params.id);
      const action = request.params.action;
      if (id === undefined || !['approve', 'reject', 'spam', 'delete', 'edit', 'reply'].includes(action)) throw notFound();
      const body = request.body ?? {};
      const [comment] = await loadForModeration(app, user, [id]);
      const now = app.clock.now();
      if (action === 'edit') {
        await editComment(app.db, comment!, user.id, commentText(body.body, comment!), str(body.reason).trim().slice(0, 300) || null, now);
      } else if (action === 'reply') {
        const replyId = await replyAsTeam(app.db, comment!, user, commentText(body.body, comment!), now);
        return reply.redirect(`${backTo(body)}#mod-${replyId}`, 303);
      } else if (action === 'delete' && str(body.confirm) !== 'yes') {
        // A delete is confirmed on a page of its own (no script needed): nothing changes until then.
        return showDeleteConfirmation(reply, comment!, body);
      } else {
        const reason = action === 'reject' ? rejectReason(comment!, body.reason) : str(body.reason).trim().slice(0, 300) || null;
        const outcome = await decideComments(app.db, [comment!], user.id, action as Decision, reason, now, seenStatus(body));
        if (outcome.conflicts.length > 0) return showConflicts(app, request, reply, body, action as Decision, outcome);
      }
      return reply.redirect(backTo(body), 303);
    });

    // POST /admin/moderation/feed-token — a new private feed address (replaces the old one)
    team.post(`${QUEUE}/feed-token`, async (request, reply) => {
      const user = userOf(request);
      const token = randomBytes(32).toString('base64url');
      await replaceFeedToken(app.db, user.id, token, app.clock.now());
      reply.header('cache-control', 'private, no-store');
      return reply.page('pages/moderation/feed-token', {
        title: 'Your private moderation feed',
        noindex: true,
        feedUrl: absoluteUrl(app.config.publicUrl, moderationFeedPath(token)),
      });
    });

    // POST /admin/moderation/feed-token/revoke — the feed address stops working
    team.post(`${QUEUE}/feed-token/revoke`, async (request, reply) => {
      await revokeFeedTokens(app.db, userOf(request).id, app.clock.now());
      return reply.redirect(QUEUE, 303);
    });

    // A project's moderation log: through the project-access guard, like every project admin page (the
    // project and the role read from the primary).
    await team.register(async (logReaders) => {
      logReaders.addHook('preHandler', requireProjectAction('read-moderation-log', 'Only the project’s owners, editors and moderators can read its moderation log.'));

      // GET /admin/projects/:project/moderation-log — every decision in a project, newest first (whoever moderates it)
      logReaders.get<{ Params: { project: string }; Querystring: { before?: string } }>('/admin/projects/:project/moderation-log', async (request, reply) => {
        const { project } = accessOf(request);
        const before = idOf(request.query.before);
        if (request.query.before !== undefined && before === undefined) throw notFound();
        const entries = await listModerationLog(app.db, project.id, { before, limit: 100 });
        const last = entries.at(-1);
        reply.header('cache-control', 'private, no-store');
        return reply.page('pages/moderation/log', {
          title: `Moderation log: ${project.title}`,
          noindex: true,
          // Not `project`: the layout would name it in the header, which the team's pages do not.
          projectTitle: project.title,
          // Each entry links to its comment: where the public sees it if it is published, else in the queue.
          entries: entries.map((e) => ({
            ...e,
            commentHref:
              e.commentId === null || e.comment === null
                ? null
                : e.comment.status === 'approved'
                  ? urls.comment(project.slug, e.comment.postSlug, e.commentId)
                  : `${withQuery(QUEUE, { project: project.slug, status: e.comment.status })}#mod-${e.commentId}`,
          })),
          queueHref: withQuery(QUEUE, { project: project.slug }),
          older: entries.length === 100 && last ? withQuery(adminUrls.moderationLog(project.slug), { before: last.id }) : null,
        });
      });
    });
  });

  // Site admins only.
  await app.register(async (admin) => {
    admin.addHook('preHandler', requireSiteAdmin);

    // GET /admin/comments-pause — pause or resume comments across the whole site
    admin.get('/admin/comments-pause', async (_request, reply) => {
      reply.header('cache-control', 'private, no-store');
      return reply.page('pages/moderation/pause', { title: 'Pause comments', noindex: true, pause: await findCommentsPause(app.db) });
    });

    // POST /admin/comments-pause — action=pause (with a message) or action=resume
    admin.post<{ Body: Body }>('/admin/comments-pause', async (request, reply) => {
      const body = request.body ?? {};
      if (str(body.action) === 'resume') await clearCommentsPause(app.db);
      else {
        const message = str(body.message).trim().slice(0, 500);
        await setCommentsPause(app.db, message || 'Comments are paused across the site for now.', app.clock.now());
      }
      return reply.redirect('/admin/comments-pause', 303);
    });
  });

  // GET /moderation/feed/:token — a moderator's pending comments as Atom, at a secret address. Private
  // (no shared cache may keep it) but revalidated like every feed: ETag from what it lists, Last-Modified
  // when the queue last changed (moderation/queries.ts: moderationQueueChanged).
  app.get<{ Params: { token: string } }>('/moderation/feed/:token', async (request, reply) => {
    const token = request.params.token;
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw notFound();
    const user = await findFeedTokenUser(app.db, token);
    if (!user) throw notFound();
    const now = app.clock.now();
    const scope = await moderationScope(app.db, user);
    const [items, changed] = await Promise.all([listQueue(app.db, scope, { status: 'pending' }, 100), moderationQueueChanged(app.db, scope, now)]);
    const lastModified = lastChange(now, changed, ...items.flatMap((c) => [c.createdAt, c.updatedAt]));
    const selfPath = moderationFeedPath(token);
    const signature = items
      .map((c) => [c.id, c.updatedAt.getTime(), c.authorName, c.holdReasons.join(','), c.postId, c.postSlug, c.postTitle, c.projectSlug, c.projectTitle].join('@'))
      .join('|');
    // Keyed by the person, not the token: the token stays out of every hash and log line.
    const etag = etagFor(`/moderation/feed/person-${user.id}`, [app.config.publicUrl, JSON.stringify(scope), lastModified.getTime(), signature].join('\n'));
    reply
      .header('cache-control', 'private, no-cache')
      .header('etag', etag)
      .header('last-modified', httpDate(lastModified))
      .header('x-robots-tag', 'noindex')
      .header('referrer-policy', 'no-referrer');
    if (isNotModified(request.headers, { etag, lastModified }, now)) return reply.code(304).send();
    const xml = buildModerationFeed({ publicUrl: app.config.publicUrl, identity: app.siteIdentity, personId: user.id, selfPath, items, updated: lastModified });
    return reply.type('application/atom+xml; charset=utf-8').send(xml);
  });
}
