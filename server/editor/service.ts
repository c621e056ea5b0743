// The rules of writing: who may edit and publish which post, what a valid post is, and what each
// editor action does to a post's state. Every save is one transaction: the post (only if it is still at
// the version the form was opened with), its byline, tags, slug redirects and a new revision.
import { diffLines } from 'diff';
import { roleAllows } from '../auth/roles.js';
import type { Db } from '../db/create-db.js';
import type { Post, PostStatus, PostUpdate, Project, Role } from '../db/schema.js';
import { escapeHtml, RENDERER_VERSION, renderPostHtml } from '../markdown/render.js';
import type { SignedInUser } from '../auth/signed-in-user.js';
import { mintAtomId } from '../posts/atom-id.js';
import { isPostPublic } from '../db/sql-helpers.js';
import { queuePostChanged } from '../posts/events.js';
import { slugify } from '../urls.js';
import {
  addSlugRedirect,
  findPostById,
  insertPage,
  insertPost,
  insertRevision,
  isPageSlugTaken,
  isPostSlugTaken,
  removeSlugRedirect,
  replacePostAuthors,
  replacePostTags,
  setPostAtomId,
  softDeletePost,
  updatePageAtVersion,
  updatePostAtVersion,
  type Writer,
} from './queries.js';
import { parseLocalDateTime } from './time-zone.js';
import { POST_SLUG_PATTERN, PROJECT_SLUG_PATTERN } from '../forms.js';

export const BODY_LIMIT_BYTES = 100 * 1024;
const MAX_TAGS = 20;

export const POST_ACTIONS = ['save', 'review', 'publish', 'schedule', 'unpublish', 'delete', 'preview', 'send-back'] as const;
export type PostAction = (typeof POST_ACTIONS)[number];

export function parseAction(value: unknown): PostAction {
  return typeof value === 'string' && (POST_ACTIONS as readonly string[]).includes(value) ? (value as PostAction) : 'save';
}

// ------------------------------------------------------------------------------------- permissions

export interface PostPermissions {
  canEdit: boolean;
  canPublish: boolean;
  canDelete: boolean;
  /** Send a post back to its writer with a note (when it is in review): editors and owners (publish-any). */
  canSendBack: boolean;
}

/**
 * Editors and owners (and site admins) edit and publish any post; authors their own; contributors
 * write their own drafts and submit them for review; moderators do not write. Own = in the byline or
 * the creator. A new post (no `post`) is always the writer's own.
 */
export function postPermissions(role: Role | undefined, user: SignedInUser, post: Pick<Post, 'status' | 'created_by'> | undefined, authorIds: number[]): PostPermissions {
  const write = roleAllows(role, user, 'write-post');
  const any = roleAllows(role, user, 'publish-any');
  const own = post === undefined || post.created_by === user.id || authorIds.includes(user.id);
  const publishOwn = roleAllows(role, user, 'publish-own');
  const unpublished = post === undefined || post.status === 'draft' || post.status === 'review';
  const canEdit = write && (any || (own && (publishOwn || unpublished)));
  const canPublish = canEdit && (any || (own && publishOwn));
  return { canEdit, canPublish, canDelete: canEdit, canSendBack: canEdit && any && post !== undefined };
}

// ------------------------------------------------------------------------------------------ forms

/** The post form exactly as typed: re-shown unchanged when anything is wrong. */
export interface PostForm {
  title: string;
  slug: string;
  summary: string;
  body: string;
  tags: string;
  authors: string[];
  commentsOpen: boolean;
  publishAt: string;
  version: string;
  /** The note sent with "Send back to the writer". */
  reviewNote: string;
  /** Pinned to the top of the project's listing (only people who may publish change it). */
  pinned: boolean;
}

function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return '';
}

function strs(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

export function readPostForm(body: unknown): PostForm {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return {
    title: str(b.title),
    slug: str(b.slug),
    summary: str(b.summary),
    body: str(b.body).replace(/\r\n/g, '\n'),
    tags: str(b.tags),
    authors: strs(b.authors),
    commentsOpen: str(b.comments_open) === 'on',
    publishAt: str(b.publish_at),
    version: str(b.version),
    reviewNote: str(b.review_note).replace(/\r\n/g, '\n'),
    pinned: str(b.pinned) === 'on',
  };
}

export type FieldErrors = Partial<Record<'title' | 'slug' | 'summary' | 'body' | 'tags' | 'authors' | 'publishAt' | 'reviewNote' | 'form', string>>;

export interface ValidPost {
  title: string;
  slug: string;
  summary: string;
  bodyMd: string;
  tags: Array<{ slug: string; name: string }>;
  additionalAuthorIds: number[];
  commentsOpen: boolean;
  publishAt: Date | undefined;
  reviewNote?: string;
  /** Undefined: leave the pin as it is (the person may not change it). */
  pinned?: boolean;
}

export function parseTags(text: string): { tags: Array<{ slug: string; name: string }>; error?: string } {
  const tags = new Map<string, string>();
  for (const raw of text.split(',')) {
    const name = raw.trim().replace(/\s+/g, ' ');
    if (!name) continue;
    if (name.length > 60) return { tags: [], error: `The tag “${name.slice(0, 20)}…” is too long: 60 characters at most.` };
    const slug = slugify(name, 64);
    if (!slug) return { tags: [], error: `The tag “${name}” needs at least one letter or number.` };
    if (!tags.has(slug)) tags.set(slug, name);
  }
  if (tags.size > MAX_TAGS) return { tags: [], error: `Use ${MAX_TAGS} tags at most.` };
  return { tags: [...tags].map(([slug, name]) => ({ slug, name })) };
}

/** Checks a post form for an action; errors are keyed by field. */
export async function validatePost(
  db: Db,
  input: { form: PostForm; action: PostAction; project: Project; postId?: number; primaryAuthorId: number; writers: Writer[]; now: Date },
): Promise<{ errors: FieldErrors; value: ValidPost }> {
  const { form } = input;
  const errors: FieldErrors = {};
  const title = form.title.trim();
  if (!title) errors.title = 'Enter a title.';
  else if (title.length > 300) errors.title = 'The title is too long: 300 characters at most.';

  const slug = form.slug.trim() || slugify(title, 100);
  if (!slug) errors.slug = errors.title ? undefined : 'Enter a slug: lowercase letters, numbers and hyphens.';
  else if (!POST_SLUG_PATTERN.test(slug)) errors.slug = 'A slug may only use lowercase letters (a–z), numbers and single hyphens, and must not start or end with a hyphen (100 characters at most).';
  else if (await isPostSlugTaken(db, input.project.id, slug, input.postId)) errors.slug = 'Another post in this project already uses this slug. Choose a different one.';
  if (!errors.slug) delete errors.slug;

  const summary = form.summary.trim();
  if (summary.length > 1000) errors.summary = 'The summary is too long: 1,000 characters at most.';

  if (Buffer.byteLength(form.body, 'utf8') > BODY_LIMIT_BYTES) {
    errors.body = `The text is too long: ${Math.round(BODY_LIMIT_BYTES / 1024)} KB at most. Split it into several posts.`;
  }

  const tags = parseTags(form.tags);
  if (tags.error) errors.tags = tags.error;

  const allowed = new Set(input.writers.map((w) => w.personId));
  const additional: number[] = [];
  for (const raw of form.authors) {
    const id = /^[1-9][0-9]{0,14}$/.test(raw) ? Number(raw) : NaN;
    if (!allowed.has(id)) {
      errors.authors = 'Choose authors from the project team.';
      break;
    }
    if (id !== input.primaryAuthorId && !additional.includes(id)) additional.push(id);
  }

  let publishAt: Date | undefined;
  if (input.action === 'schedule') {
    if (!form.publishAt.trim()) errors.publishAt = 'Enter the date and time to publish at.';
    else {
      publishAt = parseLocalDateTime(form.publishAt, input.project.time_zone);
      if (!publishAt) errors.publishAt = 'Enter a real date and time, for example 2026-05-01T09:30.';
      else if (publishAt.getTime() <= input.now.getTime()) errors.publishAt = 'Choose a time in the future, or use “Publish now”.';
    }
  } else if (input.action === 'publish' && form.publishAt.trim()) {
    // Back-dating: "Publish now" with a past date publishes the post as of that date (write-ups of past
    // events, imported posts). A date still to come is what "Schedule" is for; "Publish now" means now.
    const at = parseLocalDateTime(form.publishAt, input.project.time_zone);
    if (!at) errors.publishAt = 'Enter a real date and time, for example 2026-05-01T09:30, or leave it empty to publish now.';
    else if (at.getTime() <= input.now.getTime()) publishAt = at;
  }

  const reviewNote = form.reviewNote.trim();
  if (input.action === 'send-back') {
    if (!reviewNote) errors.reviewNote = 'Write a note for the writer: what should change before it can be published.';
    else if (reviewNote.length > 4000) errors.reviewNote = 'The note is too long: 4,000 characters at most.';
  }

  return {
    errors,
    value: { title, slug, summary, bodyMd: form.body, tags: tags.tags, additionalAuthorIds: additional, commentsOpen: form.commentsOpen, publishAt, reviewNote, pinned: form.pinned },
  };
}

// ------------------------------------------------------------------------------------------ saving

export type SaveResult =
  | { kind: 'saved'; post: Post }
  | { kind: 'conflict'; current: Post }
  | { kind: 'invalid'; errors: FieldErrors };

interface SaveInput {
  project: Project;
  user: SignedInUser;
  /** Undefined for a new post. */
  post?: Post;
  existingAuthorIds: number[];
  value: ValidPost;
  action: Exclude<PostAction, 'delete' | 'preview'>;
  /** The version the form was opened with (existing posts). */
  version: number;
  now: Date;
  /** The site's tag: authority (site/identity.ts), for the entry id minted at first publication. */
  tagAuthority: string;
}

/** The status and dates an action leads to; the caller has checked the person may do it. */
function nextState(post: Post | undefined, input: SaveInput): { changes: PostUpdate; error?: string } {
  const { action, now } = input;
  const status: PostStatus = post?.status ?? 'draft';
  switch (action) {
    case 'save':
      return { changes: { status } };
    case 'review':
      if (status !== 'draft' && status !== 'review' && status !== 'unpublished') {
        return { changes: {}, error: 'Only a draft can be submitted for review.' };
      }
      // Submitting again answers the editor's note: it is cleared.
      return { changes: { status: 'review', review_note: null, review_note_by: null } };
    case 'send-back':
      if (status !== 'review') return { changes: {}, error: 'Only a post awaiting review can be sent back to its writer.' };
      return { changes: { status: 'draft', review_note: input.value.reviewNote ?? '', review_note_by: input.user.id } };
    case 'publish': {
      // Live already (published, or scheduled and its time has come): it keeps its publication date.
      const alreadyLive = post && isPostPublic(post, now) && post.published_at;
      // A back-date (a past time from the form) wins, unless it is the date the post already has to the
      // minute (the form shows minutes), so saving a published post never shifts its date by seconds.
      const backDate = input.value.publishAt;
      const sameMinute = alreadyLive && backDate && Math.floor(alreadyLive.getTime() / 60_000) === Math.floor(backDate.getTime() / 60_000);
      const at = backDate && !sameMinute ? backDate : alreadyLive || now;
      return { changes: { status: 'published', published_at: at, first_published_at: post?.first_published_at ?? at } };
    }
    case 'schedule': {
      const at = input.value.publishAt!;
      return { changes: { status: 'scheduled', published_at: at, first_published_at: post?.first_published_at ?? at } };
    }
    case 'unpublish':
      if (status !== 'published' && status !== 'scheduled') return { changes: {}, error: 'Only a published or scheduled post can be unpublished.' };
      // A scheduled post whose time has not come was never public: it goes back to being a draft.
      if (status === 'scheduled' && post?.published_at && post.published_at > now) return { changes: { status: 'draft', published_at: null } };
      return { changes: { status: 'unpublished' } };
  }
}

/** Saves a post for an action (new or existing): one transaction, one new revision. */
export async function savePost(db: Db, input: SaveInput): Promise<SaveResult> {
  const { project, user, post, value, now } = input;
  const state = nextState(post, input);
  if (state.error) return { kind: 'invalid', errors: { form: state.error } };
  const primary = input.existingAuthorIds[0] ?? post?.created_by ?? user.id;
  const fields: PostUpdate = {
    title: value.title,
    slug: value.slug,
    summary: value.summary,
    body_md: value.bodyMd,
    body_html: renderPostHtml(value.bodyMd),
    rendered_version: RENDERER_VERSION,
    comments_open: value.commentsOpen,
    updated_at: now,
    // Pinned since the first time it was pinned; several posts may be pinned, newest pin first.
    ...(value.pinned === undefined ? {} : { pinned_at: value.pinned ? (post?.pinned_at ?? now) : null }),
    ...state.changes,
  };
  try {
    return await db.transaction().execute(async (tx): Promise<SaveResult> => {
      let saved: Post;
      if (!post) {
        saved = await insertPost(tx, {
          project_id: project.id,
          title: value.title,
          slug: value.slug,
          summary: value.summary,
          body_md: value.bodyMd,
          body_html: fields.body_html as string,
          rendered_version: RENDERER_VERSION,
          comments_open: value.commentsOpen,
          pinned_at: value.pinned ? now : null,
          status: (state.changes.status as PostStatus | undefined) ?? 'draft',
          published_at: state.changes.published_at ?? null,
          first_published_at: state.changes.first_published_at ?? null,
          created_by: user.id,
          created_at: now,
          updated_at: now,
        });
      } else {
        const updated = await updatePostAtVersion(tx, post.id, input.version, fields);
        if (!updated) {
          const current = await findPostById(tx, post.id);
          return { kind: 'conflict', current };
        }
        saved = updated;
        if (post.slug !== value.slug) {
          await removeSlugRedirect(tx, project.id, value.slug);
          if (post.first_published_at !== null) await addSlugRedirect(tx, project.id, post.slug, post.id);
        }
      }
      if (saved.first_published_at && !saved.atom_id) {
        const atomId = mintAtomId(input.tagAuthority, saved.first_published_at, saved.id);
        await setPostAtomId(tx, saved.id, atomId);
        saved = { ...saved, atom_id: atomId };
      }
      await replacePostAuthors(tx, saved.id, [primary, ...value.additionalAuthorIds.filter((id) => id !== primary)]);
      await replacePostTags(tx, project.id, saved.id, value.tags);
      await insertRevision(tx, { postId: saved.id, personId: user.id, title: value.title, summary: value.summary, bodyMd: value.bodyMd, at: now });
      // Published, scheduled, or once was: the outside world may hear of it (posts/events.ts).
      if (saved.first_published_at !== null) await queuePostChanged(tx, saved.id);
      return { kind: 'saved', post: saved };
    });
  } catch (err) {
    const clash = uniqueIndexRefusing(err);
    if (clash === undefined) throw err;
    // Two people taking the same slug at the same moment: the unique index decides.
    if (clash === 'posts_project_slug_key') return { kind: 'invalid', errors: { slug: 'Another post in this project already uses this slug. Choose a different one.' } };
    return { kind: 'invalid', errors: { form: SAVED_MEANWHILE } };
  }
}

/** Any other unique index refusing a save: something saved at the same moment clashes; nothing was stored. */
export const SAVED_MEANWHILE = 'This could not be saved: something saved at the same moment clashes with it. Nothing was changed; check the post and save again.';

/** The unique index (constraint name) that refused a write, or undefined for any other error. */
function uniqueIndexRefusing(err: unknown): string | undefined {
  const { code, constraint } = err as { code?: string; constraint?: string };
  return code === '23505' ? (constraint ?? '') : undefined;
}

export async function deletePost(db: Db, post: Post, now: Date): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await softDeletePost(tx, post.id, now);
    if (post.first_published_at !== null) await queuePostChanged(tx, post.id);
  });
}

// ------------------------------------------------------------------------------------------ diffs

/** The text a revision diff compares: title, summary and body. */
export function revisionText(r: { title: string; summary: string; body_md: string }): string {
  return `Title: ${r.title}\nSummary: ${r.summary}\n\n${r.body_md}${r.body_md.endsWith('\n') ? '' : '\n'}`;
}

/** Line diff of `from` → `to` as escaped HTML: removed lines in <del>, added in <ins>. */
export function diffHtml(from: string, to: string): { html: string; changed: boolean } {
  const parts = diffLines(from, to);
  let changed = false;
  const html = parts
    .map((p) => {
      const text = escapeHtml(p.value);
      if (p.added) {
        changed = true;
        return `<ins>${text}</ins>`;
      }
      if (p.removed) {
        changed = true;
        return `<del>${text}</del>`;
      }
      return `<span>${text}</span>`;
    })
    .join('');
  return { html, changed };
}

// ------------------------------------------------------------------------------------------ pages

export interface PageForm {
  title: string;
  slug: string;
  body: string;
  version: string;
}

export function readPageForm(body: unknown): PageForm {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return { title: str(b.title), slug: str(b.slug), body: str(b.body).replace(/\r\n/g, '\n'), version: str(b.version) };
}

export type PageErrors = Partial<Record<'title' | 'slug' | 'body' | 'form', string>>;

export async function validatePage(db: Db, projectId: number, form: PageForm, pageId?: number) {
  const errors: PageErrors = {};
  const title = form.title.trim();
  if (!title) errors.title = 'Enter a title.';
  else if (title.length > 200) errors.title = 'The title is too long: 200 characters at most.';
  const slug = form.slug.trim() || slugify(title, 64);
  if (!slug) {
    if (!errors.title) errors.slug = 'Enter a slug: lowercase letters, numbers and hyphens.';
  } else if (!PROJECT_SLUG_PATTERN.test(slug)) errors.slug = 'A slug may only use lowercase letters (a–z), numbers and single hyphens (64 characters at most).';
  else if (await isPageSlugTaken(db, projectId, slug, pageId)) errors.slug = 'Another page of this project already uses this slug.';
  if (Buffer.byteLength(form.body, 'utf8') > BODY_LIMIT_BYTES) errors.body = `The text is too long: ${Math.round(BODY_LIMIT_BYTES / 1024)} KB at most.`;
  return { errors, value: { title, slug, bodyMd: form.body } };
}

export async function savePage(db: Db, input: { projectId: number; pageId?: number; version: number; value: { title: string; slug: string; bodyMd: string }; now: Date }) {
  const values = { ...input.value, bodyHtml: renderPostHtml(input.value.bodyMd), renderedVersion: RENDERER_VERSION, at: input.now };
  try {
    if (input.pageId === undefined) return { kind: 'saved' as const, page: await insertPage(db, { projectId: input.projectId, ...values }) };
    const page = await updatePageAtVersion(db, input.pageId, input.version, values);
    return page ? { kind: 'saved' as const, page } : { kind: 'conflict' as const };
  } catch (err) {
    const clash = uniqueIndexRefusing(err);
    if (clash === undefined) throw err;
    if (clash === 'pages_project_id_slug_key') return { kind: 'invalid' as const, errors: { slug: 'Another page of this project already uses this slug.' } as PageErrors };
    return { kind: 'invalid' as const, errors: { form: SAVED_MEANWHILE } as PageErrors };
  }
}
