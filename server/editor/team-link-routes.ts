// The post editor's "Responses elsewhere" part: add or remove a team-added link to a conversation on
// another site (URL, title, optional note), and see what became of the webmentions this site sent for
// the post's links. Plain forms with CSRF; a refused link is shown again on its own page with the
// errors and what was typed. Access: whoever may edit the post in the editor (editors: any post;
// authors: their own).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireUser } from '../auth/plugin.js';
import { accessOf, parseId, refuseWritesIfArchived, requireProjectAction, type ProjectAccess } from '../auth/project-access.js';
import type { Db } from '../db/create-db.js';
import { listPostAuthorIds } from './queries.js';
import { findEditablePost } from '../posts/queries.js';
import { postPermissions } from './service.js';
import { forbidden, notFound } from '../errors.js';
import { formText } from '../forms.js';
import { addTeamLink, removeTeamLink, teamLinkProblems, teamLinksOf, type TeamLinkProblem } from '../responses/team-links.js';
import { adminUrls } from '../urls.js';


const OUTCOME_WORDS: Record<string, string> = {
  sent: 'Webmention sent',
  'no-endpoint': 'That site takes no webmentions',
  failed: 'Could not send',
};

/** What the post form shows about responses: the team's links and the webmentions sent. */
export async function editorResponsesOf(db: Db, projectSlug: string, postId: number) {
  const [links, sends] = await Promise.all([
    teamLinksOf(db, postId),
    db.selectFrom('webmention_sends').select(['target', 'outcome', 'http_status', 'message', 'sent_at', 'still_linked']).where('post_id', '=', postId).orderBy('target').execute(),
  ]);
  return {
    addUrl: adminUrls.addTeamLink(projectSlug, postId),
    links: links.map((l) => ({ ...l, removeUrl: adminUrls.removeTeamLink(projectSlug, postId, l.id) })),
    sends: sends.map((s) => ({
      target: s.target,
      sentAt: s.sent_at,
      outcome: `${OUTCOME_WORDS[s.outcome] ?? s.outcome}${s.http_status ? ` (HTTP ${s.http_status})` : ''}${s.still_linked ? '' : ' — link removed from the post'}`,
      message: s.message,
    })),
  };
}

type Params = { project: string; id: string; link?: string };

async function editablePost(app: FastifyInstance, request: FastifyRequest<{ Params: Params }>, access: ProjectAccess) {
  const post = await findEditablePost(app.db, access.project.id, parseId(request.params.id));
  if (!post) throw notFound('There is no such post in this project.');
  const authorIds = await listPostAuthorIds(app.db, post.id);
  if (!postPermissions(access.role, request.user!, post, authorIds).canEdit) throw forbidden('You can only add links to posts you may edit.');
  return post;
}

export default async function responseEditorRoutes(app: FastifyInstance) {
  await app.register(async (team) => {
    team.addHook('preHandler', requireUser);
    team.addHook('preHandler', requireProjectAction('write-post', 'Only the writers of this project can add links to its posts.'));
    team.addHook('preHandler', refuseWritesIfArchived);

    // POST /admin/projects/:project/posts/:id/links — add (or retitle) a team-added link to a conversation elsewhere
    team.post<{ Params: Params }>('/admin/projects/:project/posts/:id/links', async (request, reply) => {
      const access = accessOf(request);
      const post = await editablePost(app, request, access);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const values = { url: formText(body.url).trim(), title: formText(body.title).trim(), note: formText(body.note).trim() };
      const problems = teamLinkProblems(values);
      if (Object.keys(problems).length > 0) return showLinkForm(reply, access, post, values, problems);
      await addTeamLink(app.db, { postId: post.id, url: values.url, title: values.title, note: values.note || null, addedBy: request.user!.id, now: app.clock.now() });
      return reply.redirect(`${adminUrls.editPost(access.project.slug, post.id)}?saved=link-added#responses-editor`, 303);
    });

    // POST /admin/projects/:project/posts/:id/links/:link/remove — take a team-added link off the post
    team.post<{ Params: Params }>('/admin/projects/:project/posts/:id/links/:link/remove', async (request, reply) => {
      const access = accessOf(request);
      const post = await editablePost(app, request, access);
      await removeTeamLink(app.db, post.id, parseId(request.params.link));
      return reply.redirect(`${adminUrls.editPost(access.project.slug, post.id)}?saved=link-removed#responses-editor`, 303);
    });
  });
}

function showLinkForm(reply: FastifyReply, access: ProjectAccess, post: { id: number; title: string }, values: { url: string; title: string; note: string }, problems: TeamLinkProblem) {
  reply.code(400);
  return reply.page('pages/responses/link-form', {
    title: `Error: add a link to “${post.title}”`,
    noindex: true,
    project: { slug: access.project.slug, title: access.project.title, status: access.project.status },
    postTitle: post.title,
    editUrl: adminUrls.editPost(access.project.slug, post.id),
    action: adminUrls.addTeamLink(access.project.slug, post.id),
    values,
    // In the order of the fields, for the error summary.
    errors: Object.fromEntries((['url', 'title', 'note'] as const).filter((f) => problems[f]).map((f) => [f, problems[f]!])),
  });
}
