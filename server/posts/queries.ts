// SQL for posts as the public sees them. Lists load authors and tags for the whole page in two
// extra queries (never one per post). Also a post by id in any state (findEditablePost), for the
// editor and for image uploads into a post.
import type { Db } from '../db/create-db.js';
import type { Post, PostStatus } from '../db/schema.js';
import { hasAuthor, hasTag, isListedLater, isPostPublic, isPublic, publicCountFromKept } from '../db/sql-helpers.js';

export interface AuthorRef {
  handle: string;
  displayName: string;
}
export interface TagRef {
  slug: string;
  name: string;
}
export interface PostSummary {
  id: number;
  slug: string;
  title: string;
  summary: string;
  publishedAt: Date;
  updatedAt: Date;
  projectSlug: string;
  projectTitle: string;
  commentCount: number;
  /** Pinned to the top of its project (shown as such only where the listing puts pinned posts first). */
  pinned: boolean;
  authors: AuthorRef[];
  tags: TagRef[];
}

export interface ListOptions {
  limit: number;
  offset?: number;
  /** A project's own listing: pinned posts first (most recently pinned first), then newest first. */
  pinnedFirst?: boolean;
}

type Filter = { projectId?: number; tagId?: number; personId?: number };

function publicPostsQuery(db: Db, now: Date, filter: Filter) {
  let q = db
    .selectFrom('posts')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .where((eb) => isPublic(eb, now));
  if (filter.projectId !== undefined) q = q.where('posts.project_id', '=', filter.projectId);
  if (filter.tagId !== undefined) {
    const tagId = filter.tagId;
    q = q.where((eb) => hasTag(eb, tagId));
  }
  if (filter.personId !== undefined) {
    const personId = filter.personId;
    q = q.where((eb) => hasAuthor(eb, personId));
  }
  return q;
}

/** At most this many pinned posts lead a project's listing (the rest keep date order). */
export const MAX_PINNED = 20;

function summaryQuery(db: Db, now: Date, filter: Filter) {
  return publicPostsQuery(db, now, filter).select((eb) => [
    'posts.id',
    'posts.slug',
    'posts.title',
    'posts.summary',
    'posts.published_at',
    'posts.updated_at',
    'posts.pinned_at',
    'projects.slug as project_slug',
    'projects.title as project_title',
    eb
      .selectFrom('comments')
      .select((c) => c.fn.countAll<number>().as('n'))
      .whereRef('comments.post_id', '=', 'posts.id')
      .where('comments.status', '=', 'approved')
      .where('comments.webmention_id', 'is', null)
      .as('comment_count'),
  ]);
}

/**
 * Newest-first page of public posts, optionally of one project, tag or person. With `pinnedFirst` the
 * project's pinned posts come first: read apart through their own small index, so the date-ordered
 * rest still walks the public index and reads only the page it shows.
 */
export async function listPublicPosts(db: Db, now: Date, filter: Filter, options: ListOptions): Promise<PostSummary[]> {
  const offset = options.offset ?? 0;
  const pinnedFirst = options.pinnedFirst === true;
  const pinned = pinnedFirst
    ? await summaryQuery(db, now, filter).where('posts.pinned_at', 'is not', null).orderBy('posts.pinned_at', 'desc').orderBy('posts.id', 'desc').limit(MAX_PINNED).execute()
    : [];
  const lead = pinned.slice(offset, offset + options.limit);
  const restLimit = options.limit - lead.length;
  const rest =
    restLimit > 0
      ? await summaryQuery(db, now, filter)
          .$if(pinned.length > 0, (qb) => qb.where('posts.id', 'not in', pinned.map((r) => r.id)))
          .orderBy('posts.published_at', 'desc')
          .orderBy('posts.id', 'desc')
          .limit(restLimit)
          .offset(Math.max(0, offset - pinned.length))
          .execute()
      : [];
  const rows = [...lead, ...rest];
  const ids = rows.map((r) => r.id);
  const [authors, tags] = await Promise.all([listAuthorsOf(db, ids), listTagsOf(db, ids)]);
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    title: r.title,
    summary: r.summary,
    publishedAt: r.published_at as Date,
    updatedAt: r.updated_at,
    projectSlug: r.project_slug,
    projectTitle: r.project_title,
    commentCount: Number(r.comment_count ?? 0),
    pinned: pinnedFirst && r.pinned_at !== null,
    authors: authors.get(r.id) ?? [],
    tags: tags.get(r.id) ?? [],
  }));
}

export async function countPublicPosts(db: Db, now: Date, filter: Filter): Promise<number> {
  if (filter.projectId !== undefined && filter.personId === undefined) return countFromKeptCounts(db, now, filter.projectId, filter.tagId);
  const row = await publicPostsQuery(db, now, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * A project's (or a project's tag's) public posts from the counts the triggers keep, less those scheduled
 * for later: a few rows however many posts the project has, where count(*) read them all.
 */
async function countFromKeptCounts(db: Db, now: Date, projectId: number, tagId: number | undefined): Promise<number> {
  const row = await db
    .selectNoFrom((eb) => [
      (tagId === undefined
        ? eb.selectFrom('project_post_counts').select('n').where('project_id', '=', projectId)
        : eb.selectFrom('tag_post_counts').select('n').where('tag_id', '=', tagId).where('project_id', '=', projectId)
      ).as('kept'),
      eb
        .selectFrom('posts')
        .select((p) => p.fn.countAll<number>().as('n'))
        .where((p) => isListedLater(p, now))
        .where('posts.project_id', '=', projectId)
        .$if(tagId !== undefined, (q) =>
          q.where((p) => hasTag(p, tagId!)),
        )
        .as('later'),
    ])
    .executeTakeFirstOrThrow();
  return publicCountFromKept(row.kept, row.later);
}

/** Authors of many posts at once, in byline order. */
export async function listAuthorsOf(db: Db, postIds: number[]): Promise<Map<number, AuthorRef[]>> {
  const map = new Map<number, AuthorRef[]>();
  if (postIds.length === 0) return map;
  const rows = await db
    .selectFrom('post_authors')
    .innerJoin('people', 'people.id', 'post_authors.person_id')
    .select(['post_authors.post_id', 'people.handle', 'people.display_name'])
    .where('post_authors.post_id', 'in', postIds)
    .orderBy('post_authors.post_id')
    .orderBy('post_authors.position')
    .execute();
  for (const r of rows) {
    const list = map.get(r.post_id) ?? [];
    list.push({ handle: r.handle, displayName: r.display_name });
    map.set(r.post_id, list);
  }
  return map;
}

/** Tags of many posts at once, alphabetical. */
export async function listTagsOf(db: Db, postIds: number[]): Promise<Map<number, TagRef[]>> {
  const map = new Map<number, TagRef[]>();
  if (postIds.length === 0) return map;
  const rows = await db
    .selectFrom('post_tags')
    .innerJoin('tags', 'tags.id', 'post_tags.tag_id')
    .select(['post_tags.post_id', 'tags.slug', 'tags.name'])
    .where('post_tags.post_id', 'in', postIds)
    .orderBy('tags.name')
    .execute();
  for (const r of rows) {
    const list = map.get(r.post_id) ?? [];
    list.push({ slug: r.slug, name: r.name });
    map.set(r.post_id, list);
  }
  return map;
}

/** A post of a project by slug, in any state (the route decides between 200, 404 and 410). */
export async function findPostBySlug(db: Db, projectId: number, slug: string): Promise<Post | undefined> {
  return db
    .selectFrom('posts')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('slug', '=', slug)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** A deleted post that had this slug: its old URL answers 410 Gone. */
export async function wasPostDeleted(db: Db, projectId: number, slug: string): Promise<boolean> {
  const row = await db
    .selectFrom('posts')
    .select('id')
    .where('project_id', '=', projectId)
    .where('slug', '=', slug)
    .where('deleted_at', 'is not', null)
    .where('first_published_at', 'is not', null)
    .executeTakeFirst();
  return row !== undefined;
}

/** The current slug of a post that used to live at oldSlug. */
export async function findSlugRedirect(db: Db, projectId: number, oldSlug: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('slug_redirects')
    .innerJoin('posts', 'posts.id', 'slug_redirects.post_id')
    .select('posts.slug')
    .where('slug_redirects.project_id', '=', projectId)
    .where('slug_redirects.old_slug', '=', oldSlug)
    .where('posts.deleted_at', 'is', null)
    .executeTakeFirst();
  return row?.slug;
}

/**
 * The state a post is in as the public sees it — the one the team is shown (lists, filters, the
 * editor, the dashboard). A scheduled post whose time has come is published; a published post dated
 * later is scheduled. Twins: `isPublic` and `isListedLater` in db/sql-helpers.ts.
 */
export function shownStatus(post: Pick<Post, 'status' | 'published_at' | 'deleted_at'>, now: Date): PostStatus {
  if ((post.status !== 'published' && post.status !== 'scheduled') || post.published_at === null) return post.status;
  return isPostPublic(post, now) ? 'published' : 'scheduled';
}

/** A post of the project in any state but deleted: what the editor and an image upload work on. */
export async function findEditablePost(db: Db, projectId: number, postId: number): Promise<Post | undefined> {
  return db
    .selectFrom('posts')
    .selectAll()
    .where('id', '=', postId)
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}
