// The writing side of a project: the post editor (list, new, edit, preview, revisions) and the editor
// of its static pages. Access is checked where each group is registered: signed in (requireUser), then
// the project role (write-post for posts, edit-pages for pages); post-level rules come from service.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireUser } from '../auth/plugin.js';
import { roleAllows } from '../auth/roles.js';
import type { Post, PostStatus } from '../db/schema.js';
import { forbidden, notFound } from '../errors.js';
import { MAX_HTML_DEPTH, renderPost } from '../markdown/render.js';
import { adminUrls, urls } from '../urls.js';
import { editorResponsesOf } from './team-link-routes.js';
import { accessOf, parseId, refuseWritesIfArchived, requireProjectAction, type ProjectAccess } from '../auth/project-access.js';
import {
  findPersonName,
  findPageById,
  findRevision,
  listPostAuthorIds,
  listPostTagNames,
  listProjectPages,
  listProjectPosts,
  listRevisions,
  listWriters,
} from './queries.js';
import {
  BODY_LIMIT_BYTES,
  deletePost,
  diffHtml,
  parseAction,
  postPermissions,
  readPageForm,
  readPostForm,
  revisionText,
  savePage,
  savePost,
  validatePage,
  validatePost,
  type FieldErrors,
  type PageErrors,
  type PageForm,
  type PostForm,
} from './service.js';
import { formatLocalDateTime } from './time-zone.js';
import type { DeleteConfirmationView, PageListView, PostListView, RevisionListView, RevisionView } from './views.js';
import { findEditablePost, shownStatus } from '../posts/queries.js';
import { findImageAltText } from '../media/queries.js';
import { imageMarkdown } from '../media/service.js';


export const STATUS_LABELS: Record<PostStatus, string> = {
  draft: 'Draft',
  review: 'Awaiting review',
  scheduled: 'Scheduled',
  published: 'Published',
  unpublished: 'Unpublished',
};

type Params = { project: string; id?: string; rev?: string };

export default async function editorRoutes(app: FastifyInstance) {
  // ----------------------------------------------------------------------------------------- posts
  await app.register(async (posts) => {
    posts.addHook('preHandler', requireUser);
    posts.addHook('preHandler', requireProjectAction('write-post', 'Only the writers of this project can work on its posts.'));
    posts.addHook('preHandler', refuseWritesIfArchived);

    // GET /admin/projects/:project/posts — the project's posts in every state, filterable by status
    posts.get<{ Params: Params; Querystring: { status?: string } }>('/admin/projects/:project/posts', async (request, reply) => {
      const access = accessOf(request);
      const user = request.user!;
      const raw = request.query.status;
      const status = typeof raw === 'string' && raw in STATUS_LABELS ? (raw as PostStatus) : undefined;
      if (raw !== undefined && raw !== '' && !status) throw notFound('There is no such post status.');
      const rows = await listProjectPosts(app.db, access.project.id, app.clock.now(), status);
      const items = rows.map((r) => ({
        ...r,
        statusLabel: STATUS_LABELS[r.status],
        editUrl: postPermissions(access.role, user, { status: r.status, created_by: r.createdBy }, r.authorIds).canEdit ? adminUrls.editPost(access.project.slug, r.id) : null,
        publicUrl: r.status === 'published' ? urls.post(access.project.slug, r.slug) : null,
      }));
      return reply.page('pages/editor/posts', {
        title: `Posts: ${access.project.title}`,
        noindex: true,
        adminUrls,
        ...({
          project: identity(access),
          timeZone: access.project.time_zone,
          items,
          status: status ?? '',
          statuses: Object.entries(STATUS_LABELS).map(([value, label]) => ({ value, label })),
          canEditPages: roleAllows(access.role, user, 'edit-pages'),
          notice: bulkNotice(request) ?? noticeFor(request),
          bulkUrl: adminUrls.bulk(access.project.slug),
          canBulkPublish: roleAllows(access.role, user, 'publish-own'),
        } satisfies PostListView),
      });
    });

    // POST /admin/projects/:project/posts/bulk — publish, unpublish or delete the ticked posts
    posts.post<{ Params: Params }>('/admin/projects/:project/posts/bulk', async (request, reply) => {
      const access = accessOf(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const action = BULK_ACTIONS.find((a) => a === body.action);
      const raw = Array.isArray(body.ids) ? body.ids : body.ids === undefined ? [] : [body.ids];
      const ids = [...new Set(raw.filter((v): v is string => typeof v === 'string' && /^[1-9][0-9]{0,14}$/.test(v)).map(Number))].slice(0, MAX_BULK);
      if (!action || ids.length === 0) {
        return reply.redirect(`${adminUrls.posts(access.project.slug)}?bulk=none`, 303);
      }
      if (action === 'delete' && body.confirm !== 'yes') {
        // Deleting is confirmed on a page of its own, listing what would go (no script needed).
        const found = (await Promise.all(ids.map((id) => findEditablePost(app.db, access.project.id, id)))).filter((p): p is Post => p !== undefined);
        return showDeleteConfirmation(reply, access, found, adminUrls.bulk(access.project.slug), adminUrls.posts(access.project.slug), 'No, back to the posts');
      }
      const result = await bulkApply(app, request, access, action, ids);
      return reply.redirect(`${adminUrls.posts(access.project.slug)}?bulk=${action}&done=${result.done}&skipped=${result.skipped}`, 303);
    });

    // GET /admin/projects/:project/posts/new — an empty post form
    posts.get<{ Params: Params }>('/admin/projects/:project/posts/new', async (request, reply) => {
      const access = accessOf(request);
      return renderPostForm(app, request, reply, access, undefined, emptyPostForm(), {});
    });

    // POST /admin/projects/:project/posts — create (any action but unpublish/delete), or preview
    posts.post<{ Params: Params }>('/admin/projects/:project/posts', async (request, reply) => {
      const access = accessOf(request);
      const form = readPostForm(request.body);
      const action = parseAction((request.body as Record<string, unknown> | undefined)?.action);
      return handlePostSave(app, request, reply, access, undefined, [], form, action);
    });

    // GET /admin/projects/:project/posts/:id/edit — the post form, with ?image= after an upload
    posts.get<{ Params: Params; Querystring: { image?: string } }>('/admin/projects/:project/posts/:id/edit', async (request, reply) => {
      const access = accessOf(request);
      const { post, authorIds } = await loadPostFor(app, request, access);
      const file = typeof request.query.image === 'string' && /^[0-9a-f]{64}\.(png|jpg|gif|webp)$/.test(request.query.image) ? request.query.image : undefined;
      // The Markdown to paste carries the description given at upload ('' when decorative).
      const alt = file ? await findImageAltText(app.db, file.slice(0, 64)) : undefined;
      const image = file ? imageMarkdown(`/media/${file}`, alt ?? '') : undefined;
      return renderPostForm(app, request, reply, access, { post, authorIds }, await postToForm(app, post, authorIds, access), {}, { image });
    });

    // POST /admin/projects/:project/posts/:id — save, review, publish, schedule, unpublish, delete, preview
    posts.post<{ Params: Params }>('/admin/projects/:project/posts/:id', async (request, reply) => {
      const access = accessOf(request);
      const { post, authorIds } = await loadPostFor(app, request, access);
      const form = readPostForm(request.body);
      const action = parseAction((request.body as Record<string, unknown> | undefined)?.action);
      return handlePostSave(app, request, reply, access, { post, authorIds }, authorIds, form, action);
    });

    // GET /admin/projects/:project/posts/:id/revisions — every saved version, newest first
    posts.get<{ Params: Params }>('/admin/projects/:project/posts/:id/revisions', async (request, reply) => {
      const access = accessOf(request);
      const { post } = await loadPostFor(app, request, access);
      const revisions = await listRevisions(app.db, post.id);
      return reply.page('pages/editor/revisions', {
        title: `Revisions of “${post.title}”`,
        noindex: true,
        ...({
          project: identity(access),
          post: { title: post.title },
          revisions: revisions.map((r) => ({ ...r, url: adminUrls.revision(access.project.slug, post.id, r.id) })),
          editUrl: adminUrls.editPost(access.project.slug, post.id),
        } satisfies RevisionListView),
      });
    });

    // GET /admin/projects/:project/posts/:id/revisions/:rev — a revision, its diff against the current text
    posts.get<{ Params: Params }>('/admin/projects/:project/posts/:id/revisions/:rev', async (request, reply) => {
      const access = accessOf(request);
      const { post } = await loadPostFor(app, request, access);
      return renderRevision(app, reply, access, post, parseId(request.params.rev));
    });

    // POST /admin/projects/:project/posts/:id/revisions/:rev/restore — a new save with that revision's text
    posts.post<{ Params: Params }>('/admin/projects/:project/posts/:id/revisions/:rev/restore', async (request, reply) => {
      const access = accessOf(request);
      const { post, authorIds } = await loadPostFor(app, request, access);
      const revision = await findRevision(app.db, post.id, parseId(request.params.rev));
      if (!revision) throw notFound('There is no such revision of this post.');
      const version = Number(readPostForm(request.body).version);
      const form = await postToForm(app, post, authorIds, access);
      const writers = await listWriters(app.db, access.project.id);
      const { value } = await validatePost(app.db, {
        form: { ...form, title: revision.title, summary: revision.summary, body: revision.body_md },
        action: 'save',
        project: access.project,
        postId: post.id,
        primaryAuthorId: authorIds[0] ?? post.created_by ?? request.user!.id,
        writers,
        now: app.clock.now(),
      });
      const result = await savePost(app.db, {
        project: access.project,
        user: request.user!,
        post,
        existingAuthorIds: authorIds,
        value: { ...value, title: revision.title, summary: revision.summary, bodyMd: revision.body_md },
        action: 'save',
        version: Number.isInteger(version) ? version : -1,
        now: app.clock.now(),
        tagAuthority: app.siteIdentity.authority,
      });
      if (result.kind === 'saved') return reply.redirect(`${adminUrls.editPost(access.project.slug, post.id)}?saved=restored`, 303);
      reply.code(409);
      const current = (await findEditablePost(app.db, access.project.id, post.id)) ?? post;
      return renderRevision(app, reply, access, current, revision.id, 'This post changed since you opened this page. Look at the difference again before restoring.');
    });
  });

  // ----------------------------------------------------------------------------------------- pages
  await app.register(async (pages) => {
    pages.addHook('preHandler', requireUser);
    pages.addHook('preHandler', requireProjectAction('edit-pages', 'Only editors and owners of this project can edit its pages.'));
    pages.addHook('preHandler', refuseWritesIfArchived);

    // GET /admin/projects/:project/pages — the project's static pages
    pages.get<{ Params: Params }>('/admin/projects/:project/pages', async (request, reply) => {
      const access = accessOf(request);
      const rows = await listProjectPages(app.db, access.project.id);
      return reply.page('pages/editor/pages', {
        title: `Pages: ${access.project.title}`,
        noindex: true,
        adminUrls,
        ...({
          project: identity(access),
          items: rows.map((r) => ({
            id: r.id,
            slug: r.slug,
            title: r.title,
            updatedAt: r.updated_at,
            editUrl: adminUrls.editPage(access.project.slug, r.id),
            publicUrl: urls.page(access.project.slug, r.slug),
          })),
          notice: noticeFor(request),
        } satisfies PageListView),
      });
    });

    // GET /admin/projects/:project/pages/new — an empty page form
    pages.get<{ Params: Params }>('/admin/projects/:project/pages/new', async (request, reply) => {
      return renderPageForm(reply, accessOf(request), undefined, { title: '', slug: '', body: '', version: '' }, {});
    });

    // POST /admin/projects/:project/pages — create a page (or preview it)
    pages.post<{ Params: Params }>('/admin/projects/:project/pages', async (request, reply) => {
      return handlePageSave(app, request, reply, accessOf(request), undefined);
    });

    // GET /admin/projects/:project/pages/:id/edit — the page form
    pages.get<{ Params: Params }>('/admin/projects/:project/pages/:id/edit', async (request, reply) => {
      const access = accessOf(request);
      const page = await findPageById(app.db, access.project.id, parseId(request.params.id));
      if (!page) throw notFound('There is no such page in this project.');
      return renderPageForm(reply, access, page, { title: page.title, slug: page.slug, body: page.body_md, version: String(page.version) }, {}, { notice: noticeFor(request) });
    });

    // POST /admin/projects/:project/pages/:id — save a page (or preview it)
    pages.post<{ Params: Params }>('/admin/projects/:project/pages/:id', async (request, reply) => {
      const access = accessOf(request);
      const page = await findPageById(app.db, access.project.id, parseId(request.params.id));
      if (!page) throw notFound('There is no such page in this project.');
      return handlePageSave(app, request, reply, access, page);
    });
  });
}

// ------------------------------------------------------------------------------------- bulk actions

const BULK_ACTIONS = ['publish', 'unpublish', 'delete'] as const;
type BulkAction = (typeof BULK_ACTIONS)[number];
const MAX_BULK = 100;
const BULK_DONE: Record<BulkAction, string> = { publish: 'published', unpublish: 'unpublished', delete: 'deleted' };

/**
 * Each ticked post goes through the same rules as its own editor form (permissions, then savePost's
 * state change with a revision, or deletePost); posts the person may not change, or that cannot take
 * the action (unpublishing a draft), are skipped and counted.
 */
/** "Delete …?": the posts by title, and a form that posts the delete again with confirm=yes. Changes nothing. */
async function showDeleteConfirmation(reply: FastifyReply, access: ProjectAccess, posts: Post[], action: string, backUrl: string, backLabel: string) {
  const one = posts.length === 1;
  return reply.header('cache-control', 'no-store').page('pages/editor/confirm-delete', {
    title: one ? `Delete “${posts[0]!.title}”?` : `Delete ${posts.length} posts?`,
    noindex: true,
    ...({
      project: identity(access),
      posts: posts.map((p) => ({ id: p.id, title: p.title })),
      action,
      backUrl,
      backLabel,
      listUrl: adminUrls.posts(access.project.slug),
    } satisfies DeleteConfirmationView),
  });
}

async function bulkApply(app: FastifyInstance, request: FastifyRequest, access: ProjectAccess, action: BulkAction, ids: number[]) {
  const user = request.user!;
  let done = 0;
  let skipped = 0;
  for (const id of ids) {
    const now = app.clock.now();
    const post = await findEditablePost(app.db, access.project.id, id);
    if (!post) {
      skipped += 1;
      continue;
    }
    const authorIds = await listPostAuthorIds(app.db, post.id);
    const permissions = postPermissions(access.role, user, post, authorIds);
    if (action === 'delete') {
      if (!permissions.canDelete) skipped += 1;
      else {
        await deletePost(app.db, post, now);
        done += 1;
      }
      continue;
    }
    const shown = shownStatus(post, now);
    const applies = action === 'publish' ? shown !== 'published' : shown === 'published' || shown === 'scheduled';
    if (!permissions.canPublish || !applies) {
      skipped += 1;
      continue;
    }
    const form = { ...(await postToForm(app, post, authorIds, access)), publishAt: '' };
    const writers = await listWriters(app.db, access.project.id);
    const { errors, value } = await validatePost(app.db, { form, action, project: access.project, postId: post.id, primaryAuthorId: authorIds[0] ?? post.created_by ?? user.id, writers, now });
    if (Object.keys(errors).length > 0) {
      skipped += 1;
      continue;
    }
    const result = await savePost(app.db, { project: access.project, user, post, existingAuthorIds: authorIds, value, action, version: post.version, now, tagAuthority: app.siteIdentity.authority });
    if (result.kind === 'saved') done += 1;
    else skipped += 1;
  }
  return { done, skipped };
}

function bulkNotice(request: FastifyRequest): string | undefined {
  const q = (request.query ?? {}) as Record<string, unknown>;
  if (q.bulk === 'none') return 'Nothing was changed: tick at least one post and choose what to do with them.';
  const action = BULK_ACTIONS.find((a) => a === q.bulk);
  if (!action) return undefined;
  const count = (v: unknown) => (typeof v === 'string' && /^[0-9]{1,3}$/.test(v) ? Number(v) : 0);
  const done = count(q.done);
  const skipped = count(q.skipped);
  const posts = (n: number) => `${n} ${n === 1 ? 'post' : 'posts'}`;
  return `${posts(done)} ${BULK_DONE[action]}.${skipped ? ` ${posts(skipped)} left as ${skipped === 1 ? 'it was' : 'they were'}: you may not change ${skipped === 1 ? 'it' : 'them'} that way, or ${skipped === 1 ? 'it was' : 'they were'} already so.` : ''}`;
}

// ------------------------------------------------------------------------------------------ helpers

function identity(access: ProjectAccess) {
  return { slug: access.project.slug, title: access.project.title, status: access.project.status };
}

const NOTICES: Record<string, string> = {
  draft: 'Draft saved.',
  review: 'Submitted for review. An editor will look at it.',
  published: 'Published.',
  scheduled: 'Scheduled.',
  'sent-back': 'Sent back to the writer with your note. It is a draft again.',
  unpublished: 'Unpublished: its address now says it was removed.',
  deleted: 'Post deleted.',
  restored: 'Revision restored as a new save.',
  saved: 'Saved.',
  page: 'Page saved.',
  'link-added': 'Link added: it shows under the post, marked as added by the team.',
  'link-removed': 'Link removed from the post.',
};

function noticeFor(request: FastifyRequest): string | undefined {
  const key = (request.query as { saved?: string } | undefined)?.saved;
  return typeof key === 'string' ? NOTICES[key] : undefined;
}

async function loadPostFor(app: FastifyInstance, request: FastifyRequest<{ Params: Params }>, access: ProjectAccess) {
  const post = await findEditablePost(app.db, access.project.id, parseId(request.params.id));
  if (!post) throw notFound('There is no such post in this project.');
  const authorIds = await listPostAuthorIds(app.db, post.id);
  if (!postPermissions(access.role, request.user!, post, authorIds).canEdit) {
    throw forbidden('You can only edit your own posts here, and contributors only while they are drafts.');
  }
  return { post, authorIds };
}

function emptyPostForm(): PostForm {
  return { title: '', slug: '', summary: '', body: '', tags: '', authors: [], commentsOpen: true, publishAt: '', version: '', reviewNote: '', pinned: false };
}

async function postToForm(app: FastifyInstance, post: Post, authorIds: number[], access: ProjectAccess): Promise<PostForm> {
  const tags = await listPostTagNames(app.db, post.id);
  return {
    title: post.title,
    slug: post.slug,
    summary: post.summary,
    body: post.body_md,
    tags: tags.join(', '),
    authors: authorIds.slice(1).map(String),
    commentsOpen: post.comments_open,
    publishAt: (post.status === 'published' || post.status === 'scheduled') && post.published_at ? formatLocalDateTime(post.published_at, access.project.time_zone) : '',
    version: String(post.version),
    reviewNote: '',
    pinned: post.pinned_at !== null,
  };
}

interface FormExtras {
  previewHtmlTrusted?: string;
  conflict?: { title: string; summary: string; body: string; tags: string; updatedAt: Date };
  image?: string;
  notice?: string;
}

async function renderPostForm(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  access: ProjectAccess,
  existing: { post: Post; authorIds: number[] } | undefined,
  form: PostForm,
  errors: FieldErrors,
  extras: FormExtras = {},
) {
  const user = request.user!;
  const post = existing?.post;
  const permissions = postPermissions(access.role, user, post, existing?.authorIds ?? []);
  const primaryId = existing?.authorIds[0] ?? post?.created_by ?? user.id;
  const writers = (await listWriters(app.db, access.project.id)).filter((w) => w.personId !== primaryId);
  const slug = access.project.slug;
  const shown = post ? shownStatus(post, app.clock.now()) : undefined;
  // The editor's note on a post sent back, shown until it is submitted again.
  const reviewNote = post?.review_note ? { text: post.review_note, by: await findPersonName(app.db, post.review_note_by) } : null;
  return reply.page('pages/editor/post-form', {
    title: post ? `Edit “${post.title}”` : `New post: ${access.project.title}`,
    noindex: true,
    project: identity(access),
    // What the form shows of the saved post (null for a new one).
    post: post ? { id: post.id, status: post.status, publishedAt: post.published_at } : null,
    shownStatus: shown ?? null,
    reviewNote,
    statusLabel: shown ? STATUS_LABELS[shown] : 'New',
    values: form,
    errors,
    writers,
    permissions,
    canSubmitForReview: !post || post.status === 'draft' || post.status === 'review' || post.status === 'unpublished',
    canUnpublish: permissions.canPublish && !!post && (post.status === 'published' || post.status === 'scheduled'),
    isPublic: !!post && (post.status === 'published' || post.status === 'scheduled'),
    action: post ? adminUrls.updatePost(slug, post.id) : adminUrls.createPost(slug),
    listUrl: adminUrls.posts(slug),
    revisionsUrl: post ? adminUrls.revisions(slug, post.id) : null,
    publicUrl: post && shown === 'published' ? urls.post(slug, post.slug) : null,
    uploadUrl: adminUrls.uploadImage(slug),
    timeZone: access.project.time_zone,
    notice: extras.notice ?? noticeFor(request),
    previewHtmlTrusted: extras.previewHtmlTrusted ?? null,
    conflict: extras.conflict ?? null,
    imageMarkdown: extras.image ?? null,
    // Team-added links and webmentions sent (server/editor/team-link-routes.ts), once the post exists.
    responses: post ? await editorResponsesOf(app.db, slug, post.id) : null,
  });
}

async function handlePostSave(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  access: ProjectAccess,
  existing: { post: Post; authorIds: number[] } | undefined,
  authorIds: number[],
  form: PostForm,
  action: ReturnType<typeof parseAction>,
) {
  const user = request.user!;
  const post = existing?.post;
  const permissions = postPermissions(access.role, user, post, authorIds);
  const slug = access.project.slug;
  const now = app.clock.now();

  if (action === 'preview') {
    return renderPostForm(app, request, reply, access, existing, form, {}, preview(form.body));
  }
  if (action === 'delete') {
    if (!post) throw notFound('There is no such post.');
    if (!permissions.canDelete) throw forbidden('You cannot delete this post.');
    if ((request.body as Record<string, unknown> | undefined)?.confirm !== 'yes') {
      return showDeleteConfirmation(reply, access, [post], adminUrls.updatePost(slug, post.id), adminUrls.editPost(slug, post.id), 'No, back to the post');
    }
    await deletePost(app.db, post, now);
    return reply.redirect(`${adminUrls.posts(slug)}?saved=deleted`, 303);
  }
  if ((action === 'publish' || action === 'schedule' || action === 'unpublish') && !permissions.canPublish) {
    throw forbidden('You cannot publish this post. Submit it for review and an editor will publish it.');
  }
  if (action === 'send-back' && !permissions.canSendBack) throw forbidden('Only editors and owners can send a post back to its writer.');
  // Someone who may not publish cannot change a public post either (contributors never reach one).
  if (action === 'unpublish' && !post) throw notFound('There is no such post.');

  const writers = await listWriters(app.db, access.project.id);
  const { errors, value } = await validatePost(app.db, {
    form,
    action,
    project: access.project,
    postId: post?.id,
    primaryAuthorId: authorIds[0] ?? post?.created_by ?? user.id,
    writers,
    now,
  });
  if (Object.keys(errors).length > 0) {
    reply.code(422);
    return renderPostForm(app, request, reply, access, existing, form, errors);
  }
  const version = /^[0-9]{1,9}$/.test(form.version) ? Number(form.version) : -1;
  // Pinning decides what the public sees first: only people who may publish change it.
  if (!permissions.canPublish) value.pinned = undefined;
  const result = await savePost(app.db, {
    project: access.project,
    user,
    post,
    existingAuthorIds: authorIds,
    value,
    action,
    version,
    now,
    tagAuthority: app.siteIdentity.authority,
  });
  if (result.kind === 'invalid') {
    reply.code(422);
    return renderPostForm(app, request, reply, access, existing, form, result.errors);
  }
  if (result.kind === 'conflict') {
    const current = result.current;
    if (current.deleted_at) throw notFound('This post was deleted while you were editing it.');
    const tags = await listPostTagNames(app.db, current.id);
    const currentAuthors = await listPostAuthorIds(app.db, current.id);
    reply.code(409);
    // Their text stays in the form; the hidden version becomes the current one, so saving again is a
    // deliberate choice made after seeing both.
    return renderPostForm(
      app,
      request,
      reply,
      access,
      { post: current, authorIds: currentAuthors },
      { ...form, version: String(current.version) },
      { form: 'This post was changed by someone else since you opened it. Your text has not been saved. Compare the two versions below, copy what you need into the form, then save again.' },
      { conflict: { title: current.title, summary: current.summary, body: current.body_md, tags: tags.join(', '), updatedAt: current.updated_at } },
    );
  }
  const saved = result.post;
  const key = action === 'send-back' ? 'sent-back' : action === 'save' ? (saved.status === 'draft' ? 'draft' : 'saved') : saved.status === 'draft' ? 'draft' : saved.status;
  return reply.redirect(`${adminUrls.editPost(slug, saved.id)}?saved=${key}`, 303);
}

async function renderRevision(app: FastifyInstance, reply: FastifyReply, access: ProjectAccess, post: Post, revisionId: number, error?: string) {
  const revision = await findRevision(app.db, post.id, revisionId);
  if (!revision) throw notFound('There is no such revision of this post.');
  const diff = diffHtml(revisionText(revision), revisionText(post));
  return reply.page('pages/editor/revision', {
    title: `Revision of “${post.title}”`,
    noindex: true,
    ...({
      project: identity(access),
      post: { title: post.title, version: post.version },
      revision: { id: revision.id, createdAt: revision.created_at, personName: revision.display_name },
      diffHtmlTrusted: diff.html,
      changed: diff.changed,
      error: error ?? null,
      restoreUrl: adminUrls.restore(access.project.slug, post.id, revision.id),
      revisionsUrl: adminUrls.revisions(access.project.slug, post.id),
      editUrl: adminUrls.editPost(access.project.slug, post.id),
    } satisfies RevisionView),
  });
}

function renderPageForm(
  reply: FastifyReply,
  access: ProjectAccess,
  page: { id: number; slug: string; title: string } | undefined,
  form: PageForm,
  errors: PageErrors,
  extras: { previewHtmlTrusted?: string; conflict?: { title: string; body: string }; notice?: string } = {},
) {
  const slug = access.project.slug;
  return reply.page('pages/editor/page-form', {
    title: page ? `Edit page “${page.title}”` : `New page: ${access.project.title}`,
    noindex: true,
    project: identity(access),
    page: page ?? null,
    values: form,
    errors,
    action: page ? adminUrls.updatePage(slug, page.id) : adminUrls.createPage(slug),
    listUrl: adminUrls.pages(slug),
    publicUrl: page ? urls.page(slug, page.slug) : null,
    previewHtmlTrusted: extras.previewHtmlTrusted ?? null,
    conflict: extras.conflict ?? null,
    notice: extras.notice ?? null,
  });
}

async function handlePageSave(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  access: ProjectAccess,
  page: { id: number; slug: string; title: string; body_md: string; version: number } | undefined,
) {
  const form = readPageForm(request.body);
  const action = (request.body as Record<string, unknown> | undefined)?.action;
  if (action === 'preview') return renderPageForm(reply, access, page, form, {}, preview(form.body));
  const { errors, value } = await validatePage(app.db, access.project.id, form, page?.id);
  if (Object.keys(errors).length > 0) {
    reply.code(422);
    return renderPageForm(reply, access, page, form, errors);
  }
  const version = /^[0-9]{1,9}$/.test(form.version) ? Number(form.version) : -1;
  const result = await savePage(app.db, { projectId: access.project.id, pageId: page?.id, version, value, now: app.clock.now() });
  if (result.kind === 'invalid') {
    reply.code(422);
    return renderPageForm(reply, access, page, form, result.errors);
  }
  if (result.kind === 'conflict') {
    const current = await findPageById(app.db, access.project.id, page!.id);
    if (!current) throw notFound('This page no longer exists.');
    reply.code(409);
    return renderPageForm(
      reply,
      access,
      current,
      { ...form, version: String(current.version) },
      { form: 'This page was changed by someone else since you opened it. Your text has not been saved. Compare the two versions below, then save again.' },
      { conflict: { title: current.title, body: current.body_md } },
    );
  }
  return reply.redirect(`${adminUrls.editPage(access.project.slug, result.page.id)}?saved=page`, 303);
}

/**
 * The preview: the public pipeline with its bounds (markdown/render.ts), and a notice when one changed
 * what is shown. A text too long to save is not rendered at all.
 */
function preview(body: string): { previewHtmlTrusted: string; notice?: string } {
  const tooLong = `The text is too long to preview: ${Math.round(BODY_LIMIT_BYTES / 1024)} KB at most. Split it into several posts.`;
  if (Buffer.byteLength(body, 'utf8') > BODY_LIMIT_BYTES) return { previewHtmlTrusted: '', notice: tooLong };
  const rendered = renderPost(body);
  if (rendered.limited === 'too-long') return { previewHtmlTrusted: '', notice: tooLong };
  if (rendered.limited === 'too-deep') {
    return {
      previewHtmlTrusted: rendered.html,
      notice: `The HTML in this text nests tags more than ${MAX_HTML_DEPTH} deep, so it is shown as text. Close the tags you open.`,
    };
  }
  return { previewHtmlTrusted: rendered.html };
}

