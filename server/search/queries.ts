// Full-text search over public posts (migration 0004: posts.search_vector, trigger-maintained, GIN).
// websearch_to_tsquery accepts anything people type ("exact phrase", -word, or) without raising.
import { CompiledQuery, sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Db } from '../db/create-db.js';
import type { Database } from '../db/schema.js';
import { hasAuthor, isPublic } from '../db/sql-helpers.js';
import { listAuthorsOf, listTagsOf, type AuthorRef, type TagRef } from '../posts/queries.js';
import { FRAGMENT_DELIMITER, MARK_START, MARK_STOP, shapeExcerpt, type HeadlineParts } from './excerpt.js';

export const MAX_QUERY_LENGTH = 200;
/**
 * Ranking looks at the newest this-many matches, and counts stop here too ("more than 300"): a very
 * common word then costs a bounded amount of work (measured: ~6 ms on 100,000 posts), and 30 pages of
 * results is more than anyone reads. Narrower queries are ranked in full.
 */
export const CANDIDATE_CAP = 300;
/**
 * Up to this many estimated matches, the candidates are found through the text index (GIN bitmap) and
 * sorted; above it, by walking the newest-first index and testing each post until enough match. The
 * planner alone walks the index for two-word queries matching 2% of posts, testing ~15,000 posts (42 ms
 * on 100,000 posts) where the bitmap takes 6 ms; for a word in 19% of posts the walk takes 11 ms and the
 * bitmap 77 ms. The bitmap costs ~4 µs a match, the walk ~3 µs a post tested: below ~5,000 matches the
 * bitmap wins from a few thousand posts up to about a million.
 */
export const BITMAP_MAX_MATCHES = 5_000;

export { MARK_START, MARK_STOP } from './excerpt.js';
/** Characters of the text's start and end read beside the excerpt (a fragment of 18 words is shorter). */
const EDGE = 600;

/** Search filters after resolving slugs and handles to ids. */
export interface SearchFilter {
  /** The text as typed (already checked for length). */
  q: string;
  projectId?: number;
  personId?: number;
  /** A tag slug; across projects unless projectId is set. */
  tagSlug?: string;
}

/** What people type → what PostgreSQL may be given: no NUL (PostgreSQL rejects it in text). */
export function cleanQueryText(q: string): string {
  return q.replace(/\u0000/g, ' ').trim();
}

export function tsQuery(q: string) {
  return sql`websearch_to_tsquery('english', ${q})`;
}

/** True when the query has something to look for (not only stop words or punctuation). */
export async function queryHasTerms(db: Db, q: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`SELECT numnode(${tsQuery(q)}) AS n`.execute(db);
  return Number(rows[0]?.n ?? 0) > 0;
}

/** The WHERE conditions shared by the results page and the search feed. */
export function whereSearchMatches<O>(
  qb: SelectQueryBuilder<Database, 'posts', O>,
  now: Date,
  filter: SearchFilter,
): SelectQueryBuilder<Database, 'posts', O> {
  let q = qb.where((eb) => isPublic(eb, now)).where(sql<boolean>`posts.search_vector @@ ${tsQuery(filter.q)}`);
  if (filter.projectId !== undefined) q = q.where('posts.project_id', '=', filter.projectId);
  if (filter.personId !== undefined) {
    const personId = filter.personId;
    q = q.where((eb: ExpressionBuilder<Database, 'posts'>) =>
      hasAuthor(eb, personId),
    );
  }
  if (filter.tagSlug !== undefined) {
    const tagSlug = filter.tagSlug;
    q = q.where((eb: ExpressionBuilder<Database, 'posts'>) =>
      eb.exists(
        eb
          .selectFrom('post_tags')
          .innerJoin('tags', 'tags.id', 'post_tags.tag_id')
          .select('post_tags.post_id')
          .whereRef('post_tags.post_id', '=', 'posts.id')
          .where('tags.slug', '=', tagSlug),
      ),
    );
  }
  return q;
}

export interface SearchHit {
  id: number;
  slug: string;
  title: string;
  summary: string;
  publishedAt: Date;
  projectSlug: string;
  projectTitle: string;
  /** Plain text with MARK_START/MARK_STOP around matches, shaped by shapeExcerpt: escape, then mark (see highlightHtml). */
  headline: string;
  authors: AuthorRef[];
  tags: TagRef[];
}

export interface SearchPage {
  hits: SearchHit[];
  /** Matches counted up to CANDIDATE_CAP. */
  total: number;
  capped: boolean;
}

/** The planner's estimate of how many posts match (EXPLAIN: plans the query, runs nothing). */
export async function estimateMatches(db: Db, now: Date, filter: SearchFilter): Promise<number> {
  const compiled = whereSearchMatches(db.selectFrom('posts'), now, filter).select('posts.id').compile();
  const { rows } = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
    CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${compiled.sql}`, [...compiled.parameters]),
  );
  const estimate = Number(rows[0]?.['QUERY PLAN']?.[0]?.Plan?.['Plan Rows']);
  return Number.isFinite(estimate) ? estimate : Infinity;
}

/**
 * One page of results, best first: ts_rank_cd over the weighted document (a title match outranks a
 * body match), then newest. Ranks the newest CANDIDATE_CAP matches, so a very common word costs a
 * bounded amount of work; the count comes from the same pass.
 */
export async function searchPosts(
  db: Db,
  now: Date,
  filter: SearchFilter,
  page: { limit: number; offset: number },
  bitmapMaxMatches = BITMAP_MAX_MATCHES,
): Promise<SearchPage> {
  const query = tsQuery(filter.q);
  const viaTextIndex = (await estimateMatches(db, now, filter)) <= bitmapMaxMatches;
  const candidates = whereSearchMatches(db.selectFrom('posts'), now, filter)
    .select(['posts.id', 'posts.published_at', sql<string>`posts.search_vector`.as('search_vector')])
    // "+ interval '0'" hides the order from the newest-first indexes, so the planner cannot walk them.
    .orderBy(viaTextIndex ? sql`posts.published_at + interval '0'` : sql`posts.published_at`, 'desc')
    .orderBy('posts.id', 'desc')
    .limit(CANDIDATE_CAP + 1)
    .as('c');
  const ranked = await db
    .selectFrom(candidates)
    .select([
      'c.id',
      sql<number>`ts_rank_cd(c.search_vector, ${query})`.as('rank'),
      sql<number>`count(*) OVER ()`.as('total'),
    ])
    .orderBy('rank', 'desc')
    .orderBy('c.published_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  let total = Number(ranked[0]?.total ?? 0);
  if (ranked.length === 0 && page.offset > 0) total = await countMatches(db, now, filter);
  const capped = total > CANDIDATE_CAP;
  const ids = ranked.map((r) => r.id);
  if (ids.length === 0) return { hits: [], total: Math.min(total, CANDIDATE_CAP), capped };

  // Two short fragments (~3 lines at a readable measure), shaped for reading by shapeExcerpt.
  const options = `StartSel="${MARK_START}", StopSel="${MARK_STOP}", MaxWords=18, MinWords=8, MaxFragments=2, FragmentDelimiter="${FRAGMENT_DELIMITER}"`;
  const markers = `${MARK_START}${MARK_STOP}`;
  const rows = await db
    .selectFrom('posts')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select([
      'posts.id',
      'posts.slug',
      'posts.title',
      'posts.summary',
      'posts.published_at',
      'projects.slug as project_slug',
      'projects.title as project_title',
      // The plain text is made once; its start and end tell shapeExcerpt where the fragments lie.
      sql<HeadlineParts>`(SELECT json_build_object('headline', ts_headline('english', d.t, ${query}, ${options}), 'head', left(d.t, ${EDGE}), 'tail', right(d.t, ${EDGE}))
        FROM (SELECT translate(post_plain_text(posts.body_md, posts.body_html), ${markers}, '') AS t) d)`.as('headline'),
    ])
    .where('posts.id', 'in', ids)
    .execute();
  const [authors, tags] = await Promise.all([listAuthorsOf(db, ids), listTagsOf(db, ids)]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const hits = ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    return [
      {
        id,
        slug: r.slug,
        title: r.title,
        summary: r.summary,
        publishedAt: r.published_at as Date,
        projectSlug: r.project_slug,
        projectTitle: r.project_title,
        headline: shapeExcerpt(r.headline),
        authors: authors.get(id) ?? [],
        tags: tags.get(id) ?? [],
      },
    ];
  });
  return { hits, total: Math.min(total, CANDIDATE_CAP), capped };
}

/** Matches counted up to CANDIDATE_CAP + 1 (never a full count of a common word). */
export async function countMatches(db: Db, now: Date, filter: SearchFilter): Promise<number> {
  const row = await db
    .selectFrom(whereSearchMatches(db.selectFrom('posts'), now, filter).select('posts.id').limit(CANDIDATE_CAP + 1).as('m'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
