// SQL for the writing side: a project's posts in every state, their authors, tags, revisions, slug
// redirects, and the project's static pages. Plain functions, db first; no rules here.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import type { NewPost, Page, Post, PostStatus, PostUpdate, Role } from '../db/schema.js';
import { isListedLater, isPublic } from '../db/sql-helpers.js';
import { shownStatus } from '../posts/queries.js';

export interface EditorPostRow {
  id: number;
  slug: string;
  title: string;
  status: PostStatus;
  publishedAt: Date | null;
  updatedAt: Date;
  createdBy: number | null;
  authorIds: number[];
  authorNames: string[];
}

/**
 * All live posts of a project for the editor list, newest change first; optionally of one status as the
 * public sees it (`shownStatus`): "published" is what `isPublic` says, "scheduled" what `isListedLater` says.
 */
export async function listProjectPosts(db: Db, projectId: number, now: Date, status?: PostStatus): Promise<EditorPostRow[]> {
  let q = db
    .selectFrom('posts')
    .select(['id', 'slug', 'title', 'status', 'published_at', 'updated_at', 'created_by', 'deleted_at'])
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null);
  if (status === 'published') q = q.where((eb) => isPublic(eb, now));
  else if (status === 'scheduled') q = q.where((eb) => isListedLater(eb, now));
  else if (status) q = q.where('status', '=', status);
  const rows = await q.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(500).execute();
  const ids = rows.map((r) => r.id);
  const authors = ids.length
    ? await db
        .selectFrom('post_authors')
        .innerJoin('people', 'people.id', 'post_authors.person_id')
        .select(['post_authors.post_id', 'people.id', 'people.display_name'])
        .where('post_authors.post_id', 'in', ids)
        .orderBy('post_authors.post_id')
        .orderBy('post_authors.position')
        .execute()
    : [];
  return rows.map((r) => {
    const mine = authors.filter((a) => a.post_id === r.id);
    return {
      id: r.id,
      slug: r.slug,
      title: r.title,
      status: shownStatus(r, now),
      publishedAt: r.published_at,
      updatedAt: r.updated_at,
      createdBy: r.created_by,
      authorIds: mine.map((a) => a.id),
      authorNames: mine.map((a) => a.display_name),
    };
  });
}

export async function findPersonName(db: Db, personId: number | null): Promise<string | null> {
  if (personId === null) return null;
  const row = await db.selectFrom('people').select('display_name').where('id', '=', personId).executeTakeFirst();
  return row?.display_name ?? null;
}

/** Author person ids of a post in byline order. */
export async function listPostAuthorIds(db: Db, postId: number): Promise<number[]> {
  const rows = await db.selectFrom('post_authors').select('person_id').where('post_id', '=', postId).orderBy('position').execute();
  return rows.map((r) => r.person_id);
}

export async function listPostTagNames(db: Db, postId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('post_tags')
    .innerJoin('tags', 'tags.id', 'post_tags.tag_id')
    .select('tags.name')
    .where('post_tags.post_id', '=', postId)
    .orderBy('tags.name')
    .execute();
  return rows.map((r) => r.name);
}

export interface Writer {
  personId: number;
  displayName: string;
  role: Role;
}

/** Team members who may be named as authors (everyone but moderators). */
export async function listWriters(db: Db, projectId: number): Promise<Writer[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('people', 'people.id', 'memberships.person_id')
    .select(['people.id', 'people.display_name', 'memberships.role'])
    .where('memberships.project_id', '=', projectId)
    .where('memberships.role', '!=', 'moderator')
    .where('people.disabled_at', 'is', null)
    .orderBy('people.display_name')
    .execute();
  return rows.map((r) => ({ personId: r.id, displayName: r.display_name, role: r.role }));
}

/** Is the slug used by another live post of the project? */
export async function isPostSlugTaken(db: Db | Tx, projectId: number, slug: string, exceptPostId?: number): Promise<boolean> {
  let q = db.selectFrom('posts').select('id').where('project_id', '=', projectId).where('slug', '=', slug).where('deleted_at', 'is', null);
  if (exceptPostId !== undefined) q = q.where('id', '!=', exceptPostId);
  return (await q.executeTakeFirst()) !== undefined;
}

/** A post as it is now, in any state (read again after a save lost to a newer version). */
export async function findPostById(tx: Tx, postId: number): Promise<Post> {
  return tx.selectFrom('posts').selectAll().where('id', '=', postId).executeTakeFirstOrThrow();
}

/** The Atom entry id minted at first publication (posts/atom-id.ts); never changed afterwards. */
export async function setPostAtomId(tx: Tx, postId: number, atomId: string): Promise<void> {
  await tx.updateTable('posts').set({ atom_id: atomId }).where('id', '=', postId).execute();
}

export async function insertPost(tx: Tx, values: NewPost): Promise<Post> {
  return tx.insertInto('posts').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * Applies an update only if the post is still at `version` (optimistic locking) and bumps the version.
 * Returns the updated row, or undefined when someone else saved first.
 */
export async function updatePostAtVersion(tx: Tx, postId: number, version: number, changes: PostUpdate): Promise<Post | undefined> {
  return tx
    .updateTable('posts')
    .set({ ...changes, version: sql<number>`version + 1` })
    .where('id', '=', postId)
    .where('version', '=', version)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Replaces the byline; the first id is the main author. */
export async function replacePostAuthors(tx: Tx, postId: number, personIds: number[]): Promise<void> {
  await tx.deleteFrom('post_authors').where('post_id', '=', postId).execute();
  if (personIds.length === 0) return;
  await tx
    .insertInto('post_authors')
    .values(personIds.map((person_id, position) => ({ post_id: postId, person_id, position })))
    .execute();
}

/** Replaces the tags of a post, creating project tags that do not exist yet. */
export async function replacePostTags(tx: Tx, projectId: number, postId: number, tags: Array<{ slug: string; name: string }>): Promise<void> {
  await tx.deleteFrom('post_tags').where('post_id', '=', postId).execute();
  if (tags.length === 0) return;
  await tx
    .insertInto('tags')
    .values(tags.map((t) => ({ project_id: projectId, slug: t.slug, name: t.name })))
    .onConflict((oc) => oc.columns(['project_id', 'slug']).doNothing())
    .execute();
  const rows = await tx
    .selectFrom('tags')
    .select('id')
    .where('project_id', '=', projectId)
    .where('slug', 'in', tags.map((t) => t.slug))
    .execute();
  await tx
    .insertInto('post_tags')
    .values(rows.map((r) => ({ post_id: postId, tag_id: r.id })))
    .execute();
}

export async function insertRevision(tx: Tx, values: { postId: number; personId: number; title: string; summary: string; bodyMd: string; at: Date }) {
  await tx
    .insertInto('post_revisions')
    .values({ post_id: values.postId, person_id: values.personId, title: values.title, summary: values.summary, body_md: values.bodyMd, created_at: values.at })
    .execute();
}

export interface RevisionListing {
  id: number;
  createdAt: Date;
  personName: string | null;
  title: string;
}

export async function listRevisions(db: Db, postId: number): Promise<RevisionListing[]> {
  const rows = await db
    .selectFrom('post_revisions')
    .leftJoin('people', 'people.id', 'post_revisions.person_id')
    .select(['post_revisions.id', 'post_revisions.created_at', 'post_revisions.title', 'people.display_name'])
    .where('post_revisions.post_id', '=', postId)
    .orderBy('post_revisions.id', 'desc')
    .limit(200)
    .execute();
  return rows.map((r) => ({ id: r.id, createdAt: r.created_at, personName: r.display_name, title: r.title }));
}

export async function findRevision(db: Db, postId: number, revisionId: number) {
  return db
    .selectFrom('post_revisions')
    .leftJoin('people', 'people.id', 'post_revisions.person_id')
    .select(['post_revisions.id', 'post_revisions.created_at', 'post_revisions.title', 'post_revisions.summary', 'post_revisions.body_md', 'people.display_name'])
    .where('post_revisions.post_id', '=', postId)
    .where('post_revisions.id', '=', revisionId)
    .executeTakeFirst();
}

/** The old slug keeps answering, as a 301 to wherever the post lives now. */
export async function addSlugRedirect(tx: Tx, projectId: number, oldSlug: string, postId: number): Promise<void> {
  await tx
    .insertInto('slug_redirects')
    .values({ project_id: projectId, old_slug: oldSlug, post_id: postId })
    .onConflict((oc) => oc.columns(['project_id', 'old_slug']).doUpdateSet({ post_id: postId }))
    .execute();
}

/** A slug that a post lives at again is no longer a redirect. */
export async function removeSlugRedirect(tx: Tx, projectId: number, slug: string): Promise<void> {
  await tx.deleteFrom('slug_redirects').where('project_id', '=', projectId).where('old_slug', '=', slug).execute();
}

export async function softDeletePost(db: Db | Tx, postId: number, at: Date): Promise<void> {
  await db.updateTable('posts').set({ deleted_at: at, updated_at: at, version: sql<number>`version + 1` }).where('id', '=', postId).execute();
}

// ------------------------------------------------------------------------------------------ pages

export async function listProjectPages(db: Db, projectId: number) {
  return db.selectFrom('pages').select(['id', 'slug', 'title', 'updated_at']).where('project_id', '=', projectId).orderBy('title').execute();
}

export async function findPageById(db: Db, projectId: number, pageId: number): Promise<Page | undefined> {
  return db.selectFrom('pages').selectAll().where('project_id', '=', projectId).where('id', '=', pageId).executeTakeFirst();
}

export async function isPageSlugTaken(db: Db, projectId: number, slug: string, exceptPageId?: number): Promise<boolean> {
  let q = db.selectFrom('pages').select('id').where('project_id', '=', projectId).where('slug', '=', slug);
  if (exceptPageId !== undefined) q = q.where('id', '!=', exceptPageId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function insertPage(db: Db, values: { projectId: number; slug: string; title: string; bodyMd: string; bodyHtml: string; renderedVersion: number; at: Date }): Promise<Page> {
  return db
    .insertInto('pages')
    .values({
      project_id: values.projectId,
      slug: values.slug,
      title: values.title,
      body_md: values.bodyMd,
      body_html: values.bodyHtml,
      rendered_version: values.renderedVersion,
      created_at: values.at,
      updated_at: values.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Optimistic update of a page; undefined when the page changed since `version`. */
export async function updatePageAtVersion(
  db: Db,
  pageId: number,
  version: number,
  values: { slug: string; title: string; bodyMd: string; bodyHtml: string; renderedVersion: number; at: Date },
): Promise<Page | undefined> {
  return db
    .updateTable('pages')
    .set({
      slug: values.slug,
      title: values.title,
      body_md: values.bodyMd,
      body_html: values.bodyHtml,
      rendered_version: values.renderedVersion,
      updated_at: values.at,
      version: sql<number>`version + 1`,
    })
    .where('id', '=', pageId)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();
}
