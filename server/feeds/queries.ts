// SQL for feeds: for each kind, a cheap fingerprint of exactly what the feed shows (one query over the
// newest N rows through the public indexes) and the full rows for building it. The fingerprint decides
// ETag, Last-Modified and the cache key before anything is built.
//
// Last-Modified is when what the feed shows last changed, so it must move forward when an entry leaves
// the feed too, and it must be the same on every app server: it is read from the rows, never kept in
// memory. Entries that are there say when they changed (updated_at, published_at, their authors' and
// project's updated_at). Entries that left say it through what leaving wrote: an unpublished, deleted or
// retagged post has a new updated_at (so the newest updated_at of every post ever published in the
// feed's project, or on the site, counts); a comment taken out of a feed left a moderation_log row with
// previous_status 'approved'. Both are one index lookup (migration 0010); the public comment path writes
// nothing for it. Scopes are wider than the feed where a removal leaves no trace in the feed's own rows
// (a tag or an author taken off a post): Last-Modified may then move when the feed did not change, never
// the other way. Times after `now` (another server's clock ahead) count once they are past.
import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Db } from '../db/create-db.js';
import type { Database } from '../db/schema.js';
import { hasAuthor, hasTag, isPublic } from '../db/sql-helpers.js';
import { listAuthorsOf, listTagsOf, type AuthorRef, type TagRef } from '../posts/queries.js';
import { whereSearchMatches, type SearchFilter } from '../search/queries.js';

export const FEED_ENTRIES = 20;

export type PostFeedFilter =
  | { kind: 'site' }
  | { kind: 'project'; projectId: number }
  | { kind: 'tag'; projectId: number; tagId: number }
  | { kind: 'person'; personId: number }
  | { kind: 'search'; search: SearchFilter };

export interface Fingerprint {
  /** Opaque: changes whenever anything the feed shows changes. */
  signature: string;
  /** When what the feed shows last changed, as far as its rows tell; null when they tell nothing (no rows). Never after `now`. */
  changed: Date | null;
  count: number;
}

/** The column's value when it is not after `now`, else NULL (greatest() and max() skip NULLs). */
function upTo(column: string, now: Date) {
  return sql<Date | null>`CASE WHEN ${sql.ref(column)} <= ${now} THEN ${sql.ref(column)} END`;
}

/** Where a post can leave a feed without a trace in the feed's own rows: its project, or the whole site. */
function postChangeScope(filter: PostFeedFilter): number | 'site' {
  if (filter.kind === 'project' || filter.kind === 'tag') return filter.projectId;
  return 'site';
}

/** The newest updated_at of any post ever published in the scope (unpublished and deleted ones included). */
function postsChangedSql(scope: number | 'site', now: Date) {
  return scope === 'site'
    ? sql<Date | null>`(SELECT max(p.updated_at) FROM posts p WHERE p.first_published_at IS NOT NULL AND p.updated_at <= ${now})`
    : sql<Date | null>`(SELECT max(p.updated_at) FROM posts p WHERE p.project_id = ${scope} AND p.first_published_at IS NOT NULL AND p.updated_at <= ${now})`;
}

function toFingerprint(row: { n: number | string; sig: string | null; changed: Date | string | null } | undefined): Fingerprint {
  return { signature: row?.sig ?? '', changed: row?.changed ? new Date(row.changed) : null, count: Number(row?.n ?? 0) };
}

function filteredPosts<O>(qb: SelectQueryBuilder<Database, 'posts', O>, now: Date, filter: PostFeedFilter) {
  if (filter.kind === 'search') return whereSearchMatches(qb, now, filter.search);
  let q = qb.where((eb) => isPublic(eb, now));
  if (filter.kind === 'project' || filter.kind === 'tag') q = q.where('posts.project_id', '=', filter.projectId);
  if (filter.kind === 'tag') {
    const tagId = filter.tagId;
    q = q.where((eb: ExpressionBuilder<Database, 'posts'>) =>
      hasTag(eb, tagId),
    );
  }
  if (filter.kind === 'person') {
    const personId = filter.personId;
    q = q.where((eb: ExpressionBuilder<Database, 'posts'>) =>
      hasAuthor(eb, personId),
    );
  }
  return q;
}

/** The feed's posts: newest publication first. */
function newestPosts(db: Db, now: Date, filter: PostFeedFilter, limit: number) {
  return filteredPosts(db.selectFrom('posts'), now, filter)
    .orderBy('posts.published_at', 'desc')
    .orderBy('posts.id', 'desc')
    .limit(limit);
}

/**
 * One query: the newest `limit` public posts of the feed with their version, times, bylines (names
 * included) and tags, folded into one string, and when the feed last changed. Nothing else changes an entry.
 */
export async function postFeedFingerprint(db: Db, now: Date, filter: PostFeedFilter, limit = FEED_ENTRIES): Promise<Fingerprint> {
  const top = newestPosts(db, now, filter, limit)
    .select(['posts.id', 'posts.version', 'posts.slug', 'posts.updated_at', 'posts.published_at', 'posts.project_id'])
    .as('t');
  const { rows } = await sql<{ n: string; sig: string | null; changed: Date | null }>`
    SELECT count(*) AS n,
      string_agg(concat_ws('@', t.id, t.version, t.slug, t.updated_at, t.published_at, a.sig, g.sig, concat_ws(':', pr.slug, pr.title)),
        '|' ORDER BY t.published_at DESC, t.id DESC) AS sig,
      greatest(
        max(greatest(t.published_at, ${upTo('t.updated_at', now)}, ${upTo('pr.updated_at', now)}, ${upTo('a.changed', now)})),
        ${postsChangedSql(postChangeScope(filter), now)}) AS changed
    FROM ${top}
    JOIN projects pr ON pr.id = t.project_id
    LEFT JOIN LATERAL (
      SELECT string_agg(concat_ws(':', pa.person_id, pe.handle, pe.display_name), ',' ORDER BY pa.position, pa.person_id) AS sig,
             max(pe.updated_at) AS changed
        FROM post_authors pa JOIN people pe ON pe.id = pa.person_id WHERE pa.post_id = t.id) a ON true
    LEFT JOIN LATERAL (
      SELECT string_agg(concat_ws(':', tg.id, tg.slug, tg.name), ',' ORDER BY tg.id) AS sig
        FROM post_tags pt JOIN tags tg ON tg.id = pt.tag_id WHERE pt.post_id = t.id) g ON true
  `.execute(db);
  return toFingerprint(rows[0]);
}

export interface FeedPost {
  id: number;
  slug: string;
  title: string;
  summary: string;
  bodyHtml: string;
  publishedAt: Date;
  firstPublishedAt: Date | null;
  updatedAt: Date;
  atomId: string | null;
  projectSlug: string;
  projectTitle: string;
  authors: AuthorRef[];
  tags: TagRef[];
}

export async function listFeedPosts(db: Db, now: Date, filter: PostFeedFilter, limit = FEED_ENTRIES): Promise<FeedPost[]> {
  const rows = await newestPosts(db, now, filter, limit)
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select([
      'posts.id',
      'posts.slug',
      'posts.title',
      'posts.summary',
      'posts.body_html',
      'posts.published_at',
      'posts.first_published_at',
      'posts.updated_at',
      'posts.atom_id',
      'projects.slug as project_slug',
      'projects.title as project_title',
    ])
    .execute();
  const ids = rows.map((r) => r.id);
  const [authors, tags] = await Promise.all([listAuthorsOf(db, ids), listTagsOf(db, ids)]);
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    title: r.title,
    summary: r.summary,
    bodyHtml: r.body_html,
    publishedAt: r.published_at as Date,
    firstPublishedAt: r.first_published_at,
    updatedAt: r.updated_at,
    atomId: r.atom_id,
    projectSlug: r.project_slug,
    projectTitle: r.project_title,
    authors: authors.get(r.id) ?? [],
    tags: tags.get(r.id) ?? [],
  }));
}

// ---------------------------------------------------------------- comments

export type CommentFeedFilter = { kind: 'post'; postId: number; projectId: number } | { kind: 'project'; projectId: number };

/** Approved comments on posts the public can see, newest first. */
function newestComments(db: Db, now: Date, filter: CommentFeedFilter, limit: number) {
  let q = db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .where('comments.status', '=', 'approved')
    .where('comments.webmention_id', 'is', null)
    .where((eb) => isPublic(eb as unknown as ExpressionBuilder<Database, 'posts'>, now));
  q = filter.kind === 'post' ? q.where('comments.post_id', '=', filter.postId) : q.where('posts.project_id', '=', filter.projectId);
  return q.orderBy('comments.created_at', 'desc').orderBy('comments.id', 'desc').limit(limit);
}

/**
 * The newest `limit` approved comments folded into one string, and when the feed last changed: its
 * comments (and a team reply's person), comments taken out of it since (moderation_log), and for a
 * project's feed its posts (an unpublished post takes its comments along; a renamed one renames them).
 * The post's own row counts for a post's feed: the caller has it.
 */
export async function commentFeedFingerprint(db: Db, now: Date, filter: CommentFeedFilter, limit = FEED_ENTRIES): Promise<Fingerprint> {
  const top = newestComments(db, now, filter, limit)
    .select([
      'comments.id',
      'comments.created_at',
      'comments.updated_at',
      'comments.person_id',
      'comments.is_team_reply',
      'comments.author_name',
      'posts.id as post_id',
      'posts.version as post_version',
      'posts.slug as post_slug',
    ])
    .as('t');
  const removed =
    filter.kind === 'post'
      ? sql<Date | null>`(SELECT max(ml.created_at) FROM moderation_log ml JOIN comments c ON c.id = ml.comment_id
          WHERE ml.project_id = ${filter.projectId} AND ml.previous_status = 'approved' AND ml.created_at <= ${now} AND c.post_id = ${filter.postId})`
      : sql<Date | null>`greatest(
          (SELECT max(ml.created_at) FROM moderation_log ml
            WHERE ml.project_id = ${filter.projectId} AND ml.previous_status = 'approved' AND ml.created_at <= ${now}),
          ${postsChangedSql(filter.projectId, now)})`;
  const { rows } = await sql<{ n: string; sig: string | null; changed: Date | null }>`
    SELECT count(*) AS n,
      string_agg(concat_ws('@', t.id, t.created_at, t.updated_at, t.person_id, t.author_name, t.post_id, t.post_version, t.post_slug, pe.handle),
        '|' ORDER BY t.created_at DESC, t.id DESC) AS sig,
      greatest(max(greatest(${upTo('t.created_at', now)}, ${upTo('t.updated_at', now)}, ${upTo('pe.updated_at', now)})), ${removed}) AS changed
    FROM ${top}
    LEFT JOIN people pe ON pe.id = t.person_id AND t.is_team_reply
  `.execute(db);
  return toFingerprint(rows[0]);
}

export interface FeedComment {
  id: number;
  authorName: string;
  authorHandle: string | null;
  bodyHtml: string;
  createdAt: Date;
  updatedAt: Date;
  postId: number;
  postSlug: string;
  postTitle: string;
  postAtomId: string | null;
  postFirstPublishedAt: Date | null;
  postPublishedAt: Date;
  projectSlug: string;
}

export async function listFeedComments(db: Db, now: Date, filter: CommentFeedFilter, limit = FEED_ENTRIES): Promise<FeedComment[]> {
  const rows = await newestComments(db, now, filter, limit)
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .leftJoin('people', 'people.id', 'comments.person_id')
    .select([
      'comments.id',
      'comments.author_name',
      'comments.is_team_reply',
      'people.handle',
      'comments.body_html',
      'comments.created_at',
      'comments.updated_at',
      'posts.id as post_id',
      'posts.slug as post_slug',
      'posts.title as post_title',
      'posts.atom_id',
      'posts.first_published_at',
      'posts.published_at',
      'projects.slug as project_slug',
    ])
    .execute();
  return rows.map((r) => ({
    id: r.id,
    authorName: r.author_name,
    authorHandle: r.is_team_reply ? r.handle : null,
    bodyHtml: r.body_html,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    postId: r.post_id,
    postSlug: r.post_slug,
    postTitle: r.post_title,
    postAtomId: r.atom_id,
    postFirstPublishedAt: r.first_published_at,
    postPublishedAt: r.published_at as Date,
    projectSlug: r.project_slug,
  }));
}

/**
 * What the sitemap lists: every project (with its newest public post's date), every static page, and the
 * newest `maxUrls` public posts.
 */
export async function listSitemapEntries(db: Db, now: Date, maxUrls: number) {
  const [projects, posts, pages] = await Promise.all([
    db
      .selectFrom('projects')
      .select((eb) => [
        'projects.slug',
        'projects.updated_at',
        eb.selectFrom('posts').select(sql<Date | null>`max(greatest(posts.updated_at, posts.published_at))`.as('m'))
          .whereRef('posts.project_id', '=', 'projects.id').where((p) => isPublic(p, now)).as('newest_post'),
      ])
      .orderBy('projects.slug')
      .execute(),
    db
      .selectFrom('posts')
      .innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.slug', 'projects.slug as project_slug', 'posts.updated_at', 'posts.published_at'])
      .where((eb) => isPublic(eb, now))
      .orderBy('posts.published_at', 'desc')
      .orderBy('posts.id', 'desc')
      .limit(maxUrls)
      .execute(),
    db
      .selectFrom('pages')
      .innerJoin('projects', 'projects.id', 'pages.project_id')
      .select(['pages.slug', 'projects.slug as project_slug', 'pages.updated_at'])
      .orderBy('projects.slug')
      .orderBy('pages.slug')
      .execute(),
  ]);
  return { projects, posts, pages };
}
