// SQL for the listening desk: watched sources, key terms, fetched items (the inbox), unread counts and
// private feed tokens. Plain functions, db first. An item is in a project's inbox when it is not
// dismissed and its source shows every item, or it matches one of the project's key terms
// (websearch_to_tsquery, the site search's syntax, over the item's generated tsvector).
import { createHash } from 'node:crypto';
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import { BITMAP_MAX_MATCHES, MARK_START, MARK_STOP } from '../search/queries.js';

export type SourceStatus = 'active' | 'paused' | 'gone';
export type SourceMode = 'all' | 'matches';

export interface SourceRow {
  id: number;
  projectId: number;
  url: string;
  title: string;
  siteUrl: string | null;
  mode: SourceMode;
  status: SourceStatus;
  etag: string | null;
  lastModified: string | null;
  lastFetchedAt: Date | null;
  lastNewItemAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  errorCount: number;
  nextPollAt: Date | null;
}

const sourceColumns = [
  'id',
  'project_id',
  'url',
  'title',
  'site_url',
  'mode',
  'status',
  'etag',
  'last_modified',
  'last_fetched_at',
  'last_new_item_at',
  'last_error',
  'last_error_at',
  'error_count',
  'next_poll_at',
] as const;

function toSource(r: {
  id: number;
  project_id: number;
  url: string;
  title: string;
  site_url: string | null;
  mode: SourceMode;
  status: SourceStatus;
  etag: string | null;
  last_modified: string | null;
  last_fetched_at: Date | null;
  last_new_item_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  error_count: number;
  next_poll_at: Date | null;
}): SourceRow {
  return {
    id: Number(r.id),
    projectId: Number(r.project_id),
    url: r.url,
    title: r.title,
    siteUrl: r.site_url,
    mode: r.mode,
    status: r.status,
    etag: r.etag,
    lastModified: r.last_modified,
    lastFetchedAt: r.last_fetched_at,
    lastNewItemAt: r.last_new_item_at,
    lastError: r.last_error,
    lastErrorAt: r.last_error_at,
    errorCount: r.error_count,
    nextPollAt: r.next_poll_at,
  };
}

export async function listSources(db: Db, projectId: number): Promise<SourceRow[]> {
  const rows = await db.selectFrom('listen_sources').select(sourceColumns).where('project_id', '=', projectId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toSource);
}

export async function findSource(db: Db | Tx, sourceId: number, projectId?: number): Promise<SourceRow | undefined> {
  const row = await db
    .selectFrom('listen_sources')
    .select(sourceColumns)
    .where('id', '=', sourceId)
    .$if(projectId !== undefined, (qb) => qb.where('project_id', '=', projectId!))
    .executeTakeFirst();
  return row ? toSource(row) : undefined;
}

export async function findSourceByUrl(db: Db | Tx, projectId: number, url: string): Promise<SourceRow | undefined> {
  const row = await db.selectFrom('listen_sources').select(sourceColumns).where('project_id', '=', projectId).where('url', '=', url).executeTakeFirst();
  return row ? toSource(row) : undefined;
}

/** Adds a watched feed; undefined when the project already watches that address. */
export async function insertSource(
  tx: Db | Tx,
  values: { projectId: number; url: string; title: string; siteUrl: string | null; mode: SourceMode; createdBy: number | null; now: Date },
): Promise<number | undefined> {
  const row = await tx
    .insertInto('listen_sources')
    .values({ project_id: values.projectId, url: values.url, title: values.title, site_url: values.siteUrl, mode: values.mode, created_by: values.createdBy, created_at: values.now })
    .onConflict((oc) => oc.columns(['project_id', 'url']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

export async function setSourceStatus(db: Db | Tx, sourceId: number, status: SourceStatus): Promise<void> {
  await db
    .updateTable('listen_sources')
    .set({ status, ...(status === 'active' ? { error_count: 0 } : {}) })
    .where('id', '=', sourceId)
    .execute();
}

export async function setSourceMode(db: Db | Tx, sourceId: number, mode: SourceMode): Promise<void> {
  await db.updateTable('listen_sources').set({ mode }).where('id', '=', sourceId).execute();
}

export async function deleteSource(db: Db | Tx, sourceId: number): Promise<void> {
  await db.deleteFrom('listen_sources').where('id', '=', sourceId).execute();
}

/** What one poll learned about a source (only the fields given change). */
export async function updateSourceAfterPoll(
  db: Db | Tx,
  sourceId: number,
  changes: Partial<{
    url: string;
    title: string;
    siteUrl: string | null;
    status: SourceStatus;
    etag: string | null;
    lastModified: string | null;
    lastFetchedAt: Date;
    lastNewItemAt: Date;
    lastError: string | null;
    lastErrorAt: Date | null;
    errorCount: number;
    nextPollAt: Date | null;
  }>,
): Promise<void> {
  const set: Record<string, unknown> = {};
  const names: Record<string, string> = {
    url: 'url',
    title: 'title',
    siteUrl: 'site_url',
    status: 'status',
    etag: 'etag',
    lastModified: 'last_modified',
    lastFetchedAt: 'last_fetched_at',
    lastNewItemAt: 'last_new_item_at',
    lastError: 'last_error',
    lastErrorAt: 'last_error_at',
    errorCount: 'error_count',
    nextPollAt: 'next_poll_at',
  };
  for (const [key, value] of Object.entries(changes)) if (value !== undefined) set[names[key]!] = value;
  if (Object.keys(set).length === 0) return;
  await db.updateTable('listen_sources').set(set).where('id', '=', sourceId).execute();
}

/** Active sources with no waiting or running poll job (a lost job, a restored backup): the self-healing sweep. */
export async function listSourcesWithoutJob(db: Db, keyPrefix: string, limit: number): Promise<number[]> {
  const { rows } = await sql<{ id: string }>`
    SELECT s.id FROM listen_sources s
    WHERE s.status = 'active'
      AND NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs j WHERE j.key = ${keyPrefix} || s.id::text)
    ORDER BY s.id LIMIT ${limit}`.execute(db);
  return rows.map((r) => Number(r.id));
}

// ------------------------------------------------------------------------------------------ terms

export interface TermRow {
  id: number;
  query: string;
}

export async function listTerms(db: Db, projectId: number): Promise<TermRow[]> {
  const rows = await db.selectFrom('listen_terms').select(['id', 'query']).where('project_id', '=', projectId).orderBy('query').execute();
  return rows.map((r) => ({ id: Number(r.id), query: r.query }));
}

/** Adds a key term; its id, or undefined when the project already has it. Its matches with the items
 *  already stored are found by the listen:match-term job (matches.ts); until then matches_ready is false. */
export async function insertTerm(db: Db | Tx, projectId: number, query: string, createdBy: number | null, now: Date): Promise<number | undefined> {
  const row = await db
    .insertInto('listen_terms')
    .values({ project_id: projectId, query, created_by: createdBy, created_at: now })
    .onConflict((oc) => oc.columns(['project_id', 'query']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

/** Changes a term's query; false when the project has no such term or already has that query. Its old
 *  matches go (a trigger also sets matches_ready back to false); the job finds the new ones. */
export async function updateTermQuery(tx: Tx, projectId: number, termId: number, query: string): Promise<boolean> {
  const row = await tx
    .updateTable('listen_terms')
    .set({ query })
    .where('project_id', '=', projectId)
    .where('id', '=', termId)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('listen_terms as other').select('other.id').where('other.project_id', '=', projectId).where('other.query', '=', query).where('other.id', '<>', termId))),
    )
    .returning('id')
    .executeTakeFirst();
  if (!row) return false;
  await tx.deleteFrom('listen_term_matches').where('term_id', '=', termId).execute();
  return true;
}

/** Removes a term; its matches go with it (ON DELETE CASCADE). */
export async function deleteTerm(db: Db, projectId: number, termId: number): Promise<void> {
  await db.deleteFrom('listen_terms').where('project_id', '=', projectId).where('id', '=', termId).execute();
}

/**
 * One bounded step of matching a term against the items already stored (the listen:match-term job),
 * in the caller's transaction. The term's row is locked first, so an edit of the query and a step never
 * interleave, and the step reads the query and its progress from the row (a job queued for an older
 * query does the newer one's work). Items are taken newest first, `batch` at a time; each range is
 * reconciled (matches added for items that match, removed for items that do not), so a step run twice,
 * or racing an insert, leaves the right rows. After the last range, the items stored since the start
 * are reconciled once more and the term becomes ready. Returns whether more steps are needed.
 */
export async function matchTermStep(tx: Tx, termId: number, batch: number): Promise<'more' | 'done' | 'gone'> {
  const term = await sql<{ project_id: string; query: string; matches_ready: boolean; match_cursor: string | null; match_top: string | null }>`
    SELECT project_id, query, matches_ready, match_cursor, match_top FROM listen_terms WHERE id = ${termId} FOR UPDATE`.execute(tx);
  const row = term.rows[0];
  if (!row) return 'gone';
  if (row.matches_ready) return 'done';
  const projectId = Number(row.project_id);
  let top = row.match_top === null ? null : Number(row.match_top);
  let cursor = row.match_cursor === null ? null : Number(row.match_cursor);
  if (top === null || cursor === null) {
    const max = await sql<{ max: string | null }>`SELECT max(id) AS max FROM listen_items WHERE project_id = ${projectId}`.execute(tx);
    top = Number(max.rows[0]?.max ?? 0);
    cursor = top + 1;
  }
  const bound = await sql<{ id: string }>`
    SELECT id FROM listen_items WHERE project_id = ${projectId} AND id < ${cursor} ORDER BY id DESC OFFSET ${batch - 1} LIMIT 1`.execute(tx);
  const lower = bound.rows[0] ? Number(bound.rows[0].id) : 0;
  await reconcileTermRange(tx, termId, projectId, lower, cursor);
  if (lower > 0) {
    await tx.updateTable('listen_terms').set({ match_cursor: lower, match_top: top }).where('id', '=', termId).execute();
    return 'more';
  }
  await reconcileTermRange(tx, termId, projectId, top + 1, null);
  await tx.updateTable('listen_terms').set({ matches_ready: true, match_cursor: null, match_top: null }).where('id', '=', termId).execute();
  return 'done';
}

/** Makes the term's matches among the project's items with from <= id < to (to null: no end) exactly right. */
async function reconcileTermRange(tx: Tx, termId: number, projectId: number, from: number, to: number | null): Promise<void> {
  const below = to === null ? sql`` : sql`AND i.id < ${to}`;
  await sql`
    DELETE FROM listen_term_matches m USING listen_items i, listen_terms t
    CROSS JOIN LATERAL (SELECT websearch_to_tsquery('english', t.query) AS q) tq
    WHERE t.id = ${termId} AND m.term_id = t.id AND m.item_id >= ${from} ${to === null ? sql`` : sql`AND m.item_id < ${to}`} AND i.id = m.item_id
      AND NOT (i.project_id = t.project_id AND numnode(tq.q) > 0 AND i.search_vector @@ tq.q)`.execute(tx);
  await sql`
    INSERT INTO listen_term_matches (term_id, item_id, fetched_at, sort_at, unread, dismissed)
    SELECT t.id, i.id, i.fetched_at, coalesce(i.published_at, i.fetched_at), i.read_at IS NULL AND i.dismissed_at IS NULL, i.dismissed_at IS NOT NULL
    FROM listen_terms t
    CROSS JOIN LATERAL (SELECT websearch_to_tsquery('english', t.query) AS q) tq
    JOIN listen_items i ON i.project_id = ${projectId} AND i.id >= ${from} ${below}
    WHERE t.id = ${termId} AND numnode(tq.q) > 0 AND i.search_vector @@ tq.q
    ON CONFLICT (term_id, item_id) DO UPDATE SET fetched_at = excluded.fetched_at, sort_at = excluded.sort_at, unread = excluded.unread, dismissed = excluded.dismissed`.execute(tx);
}

/** Terms whose matches are not complete and have no waiting or running job (lost, or a restored backup). */
export async function listTermsNotReadyWithoutJob(db: Db, keyPrefix: string, limit: number): Promise<number[]> {
  const { rows } = await sql<{ id: string }>`
    SELECT t.id FROM listen_terms t
    WHERE NOT t.matches_ready
      AND NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs j WHERE j.key = ${keyPrefix} || t.id::text)
    ORDER BY t.id LIMIT ${limit}`.execute(db);
  return rows.map((r) => Number(r.id));
}

// ------------------------------------------------------------------------------------------ items

export interface NewItem {
  guid: string;
  url: string | null;
  title: string;
  author: string;
  contentHtml: string;
  contentText: string;
  publishedAt: Date | null;
}

/** Stores the items not seen before; returns how many were new. */
export async function insertNewItems(tx: Db | Tx, projectId: number, sourceId: number, items: NewItem[], now: Date): Promise<number> {
  if (items.length === 0) return 0;
  const rows = await tx
    .insertInto('listen_items')
    .values(
      items.map((i) => ({
        project_id: projectId,
        source_id: sourceId,
        guid: i.guid,
        url: i.url,
        title: i.title,
        author: i.author,
        content_html: i.contentHtml,
        content_text: i.contentText,
        published_at: i.publishedAt,
        fetched_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['source_id', 'guid']).doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

export type InboxShow = 'unread' | 'all' | 'dismissed';

export interface InboxFilter {
  show: InboxShow;
  sourceId?: number;
  termId?: number;
}

export interface InboxItem {
  id: number;
  sourceId: number;
  sourceTitle: string;
  url: string | null;
  title: string;
  author: string;
  contentHtml: string;
  /** Plain text with MARK_START/MARK_STOP around matched words (escape, then mark). */
  titleHeadline: string;
  excerptHeadline: string;
  publishedAt: Date | null;
  fetchedAt: Date;
  read: boolean;
  dismissed: boolean;
  /** The key terms this item matches. */
  termIds: number[];
}

const matchesTerm = (termRef: ReturnType<typeof sql>) => sql<SqlBool>`i.search_vector @@ websearch_to_tsquery('english', ${termRef})`;

/**
 * The condition "this item is in its project's inbox" (apart from dismissal), for items aliased i and
 * sources s. Filtered by a term, the term's text is a constant of the query, so the planner can use the
 * text index (a tsquery computed per row from a joined term could not).
 */
function inInbox(termQuery?: string): Expression<SqlBool> {
  if (termQuery !== undefined) return sql<SqlBool>`i.search_vector @@ websearch_to_tsquery('english', ${termQuery})`;
  return sql<SqlBool>`(s.mode = 'all' OR EXISTS (SELECT 1 FROM listen_terms t WHERE t.project_id = i.project_id AND ${matchesTerm(sql.ref('t.query'))}))`;
}

function whereShow(show: InboxShow): Expression<SqlBool> {
  if (show === 'unread') return sql<SqlBool>`i.read_at IS NULL AND i.dismissed_at IS NULL`;
  if (show === 'dismissed') return sql<SqlBool>`i.dismissed_at IS NOT NULL`;
  return sql<SqlBool>`i.dismissed_at IS NULL`;
}

/** One page of a project's inbox, newest first, with the matched words marked. */
export async function listInbox(db: Db, projectId: number, filter: InboxFilter, page: { limit: number; offset: number }): Promise<InboxItem[]> {
  const sourceFilter = filter.sourceId !== undefined ? sql`AND i.source_id = ${filter.sourceId}` : sql``;
  if (filter.termId !== undefined) {
    // Filtered by a term whose matches are complete: walk the term's matches in inbox order (one index)
    // and stop after the page; one round trip. An empty answer may also mean "no such term" or "not
    // ready yet", which the next query tells apart.
    const fromMatches = await inboxPage(
      db,
      filter.termId,
      sql`
        SELECT m.item_id AS id, row_number() OVER (ORDER BY m.fetched_at DESC, m.sort_at DESC, m.item_id DESC) AS position FROM (
          SELECT m.item_id, m.fetched_at, m.sort_at FROM listen_term_matches m
          JOIN listen_terms t ON t.id = m.term_id AND t.project_id = ${projectId} AND t.matches_ready
          WHERE m.term_id = ${filter.termId}
            AND ${filter.show === 'unread' ? sql`m.unread` : filter.show === 'dismissed' ? sql`m.dismissed` : sql`NOT m.dismissed`}
            ${filter.sourceId !== undefined ? sql`AND (SELECT i.source_id FROM listen_items i WHERE i.id = m.item_id) = ${filter.sourceId}` : sql``}
          ORDER BY m.fetched_at DESC, m.sort_at DESC, m.item_id DESC
          LIMIT ${page.limit} OFFSET ${page.offset}
        ) m`,
    );
    if (fromMatches.length > 0) return fromMatches;
    const term = await db.selectFrom('listen_terms').select(['query', 'matches_ready']).where('id', '=', filter.termId).where('project_id', '=', projectId).executeTakeFirst();
    if (!term || term.matches_ready) return [];
    // While a new or edited term's matches are still being found, ask the text index directly, as the
    // site search does (search/queries.ts): with few matches, find them through the text index and sort
    // them; with many, walk the newest items and test each (the planner, left alone, walks for rare
    // terms too, testing every item of the project).
    const viaTextIndex = (await estimateTermMatches(db, projectId, term.query)) <= BITMAP_MAX_MATCHES;
    return inboxPage(db, filter.termId, newestItems(projectId, filter, page, sourceFilter, term.query, viaTextIndex));
  }
  return inboxPage(db, null, newestItems(projectId, filter, page, sourceFilter, undefined, false));
}

/** The page's item ids in order (id, position), walking the project's items newest first. */
function newestItems(projectId: number, filter: InboxFilter, page: { limit: number; offset: number }, sourceFilter: RawBuilder<unknown>, termQuery: string | undefined, viaTextIndex: boolean) {
  return sql`
    SELECT i.id, row_number() OVER (ORDER BY i.f DESC, i.p DESC, i.id DESC) AS position FROM (
      SELECT i.id, i.fetched_at AS f, coalesce(i.published_at, i.fetched_at) AS p FROM listen_items i
      JOIN listen_sources s ON s.id = i.source_id
      WHERE i.project_id = ${projectId}
        AND ${whereShow(filter.show)}
        AND ${inInbox(termQuery)}
        ${sourceFilter}
      ORDER BY ${viaTextIndex ? sql`i.fetched_at + interval '0'` : sql`i.fetched_at`} DESC, coalesce(i.published_at, i.fetched_at) DESC, i.id DESC
      LIMIT ${page.limit} OFFSET ${page.offset}
    ) i`;
}

/** The page's items (ids and order from pageIds), with their terms and highlights computed for them alone. */
async function inboxPage(db: Db, termFilter: number | null, pageIds: RawBuilder<unknown>): Promise<InboxItem[]> {
  const options = `StartSel="${MARK_START}", StopSel="${MARK_STOP}", MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;
  const titleOptions = `StartSel="${MARK_START}", StopSel="${MARK_STOP}", HighlightAll=true`;
  const markers = `${MARK_START}${MARK_STOP}`;
  const { rows } = await sql<{
    id: string;
    source_id: string;
    source_title: string;
    source_url: string;
    url: string | null;
    title: string;
    author: string;
    content_html: string;
    title_headline: string | null;
    excerpt_headline: string | null;
    content_text: string;
    published_at: Date | null;
    fetched_at: Date;
    read_at: Date | null;
    dismissed_at: Date | null;
    term_ids: string[];
  }>`
    SELECT i.id, i.source_id, s.title AS source_title, s.url AS source_url, i.url, i.title, i.author, i.content_html,
      left(i.content_text, 400) AS content_text, i.published_at, i.fetched_at, i.read_at, i.dismissed_at,
      m.term_ids,
      CASE WHEN m.q IS NULL THEN NULL ELSE ts_headline('english', translate(i.title, ${markers}, ''), m.q, ${titleOptions}) END AS title_headline,
      CASE WHEN m.q IS NULL THEN NULL ELSE ts_headline('english', translate(left(i.content_text, 20000), ${markers}, ''), m.q, ${options}) END AS excerpt_headline
    FROM (
      -- The page first (ids only), then the terms and highlights for its items alone.
      ${pageIds}
    ) page
    JOIN listen_items i ON i.id = page.id
    JOIN listen_sources s ON s.id = i.source_id
    CROSS JOIN LATERAL (
      SELECT coalesce(array_agg(t.id ORDER BY t.id), '{}') AS term_ids,
        string_agg('(' || websearch_to_tsquery('english', t.query)::text || ')', ' | ')::tsquery AS q
      FROM listen_terms t
      WHERE t.project_id = i.project_id
        AND (${termFilter}::bigint IS NULL OR t.id = ${termFilter}::bigint)
        AND numnode(websearch_to_tsquery('english', t.query)) > 0
        AND i.search_vector @@ websearch_to_tsquery('english', t.query)
    ) m
    ORDER BY page.position`.execute(db);
  return rows.map((r) => ({
    id: Number(r.id),
    sourceId: Number(r.source_id),
    sourceTitle: r.source_title || r.source_url,
    url: r.url,
    title: r.title,
    author: r.author,
    contentHtml: r.content_html,
    titleHeadline: r.title_headline ?? r.title,
    excerptHeadline: r.excerpt_headline ?? r.content_text,
    publishedAt: r.published_at,
    fetchedAt: r.fetched_at,
    read: r.read_at !== null,
    dismissed: r.dismissed_at !== null,
    termIds: (r.term_ids ?? []).map(Number),
  }));
}

/** The planner's estimate of a project's items matching a term (EXPLAIN: plans, runs nothing). */
async function estimateTermMatches(db: Db, projectId: number, termQuery: string): Promise<number> {
  const compiled = sql`EXPLAIN (FORMAT JSON) SELECT 1 FROM listen_items i WHERE i.project_id = ${projectId} AND i.search_vector @@ websearch_to_tsquery('english', ${termQuery})`.compile(db);
  const { rows } = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(compiled);
  const estimate = Number(rows[0]?.['QUERY PLAN']?.[0]?.Plan?.['Plan Rows']);
  return Number.isFinite(estimate) ? estimate : Infinity;
}

/** Unread items are counted up to this many per project ("1000+"): a bounded cost however full an inbox is. */
export const UNREAD_COUNT_CAP = 1000;

/** Unread inbox items per project, up to UNREAD_COUNT_CAP (projects with none are absent). */
export async function countUnread(db: Db, projectIds: number[]): Promise<Map<number, number>> {
  if (projectIds.length === 0) return new Map();
  const { rows } = await sql<{ project_id: string; n: number }>`
    SELECT p.id AS project_id, (
      SELECT count(*)::int FROM (
        SELECT 1 FROM listen_items i JOIN listen_sources s ON s.id = i.source_id
        WHERE i.project_id = p.id AND i.read_at IS NULL AND i.dismissed_at IS NULL AND ${inInbox()}
        LIMIT ${UNREAD_COUNT_CAP}
      ) capped
    ) AS n
    FROM unnest(ARRAY[${sql.join(projectIds)}]::bigint[]) AS p(id)`.execute(db);
  return new Map(rows.filter((r) => r.n > 0).map((r) => [Number(r.project_id), r.n]));
}

export async function findItem(db: Db, projectId: number, itemId: number) {
  return db
    .selectFrom('listen_items')
    .select(['id', 'url', 'title', 'author', 'content_html', 'source_id', 'read_at', 'dismissed_at'])
    .where('project_id', '=', projectId)
    .where('id', '=', itemId)
    .executeTakeFirst();
}

export async function markItems(db: Db, projectId: number, itemIds: number[], change: 'read' | 'unread' | 'dismiss' | 'restore', now: Date): Promise<void> {
  if (itemIds.length === 0) return;
  const set =
    change === 'read' ? { read_at: now } : change === 'unread' ? { read_at: null } : change === 'dismiss' ? { dismissed_at: now, read_at: now } : { dismissed_at: null };
  let q = db.updateTable('listen_items').set(set).where('project_id', '=', projectId).where('id', 'in', itemIds);
  if (change === 'read') q = q.where('read_at', 'is', null);
  await q.execute();
}

/** Deletes items fetched before the cut-off, per project (each project keeps its own number of days). */
export async function pruneItems(db: Db, now: Date, defaultDays: number): Promise<number> {
  const { numDeletedRows } = await db
    .deleteFrom('listen_items')
    .where(({ eb, ref }) =>
      eb(
        ref('listen_items.fetched_at'),
        '<',
        sql<Date>`${now}::timestamptz - make_interval(days => (SELECT coalesce(CASE WHEN jsonb_typeof(p.settings->'listeningKeepDays') = 'number' THEN (p.settings->>'listeningKeepDays')::int END, ${defaultDays}) FROM projects p WHERE p.id = listen_items.project_id))`,
      ),
    )
    .executeTakeFirst();
  return Number(numDeletedRows ?? 0);
}

// ------------------------------------------------------------------------------------------ private feed tokens

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function replaceInboxFeedToken(db: Db, personId: number, projectId: number, token: string, now: Date): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('listen_feed_tokens').set({ revoked_at: now }).where('person_id', '=', personId).where('project_id', '=', projectId).where('revoked_at', 'is', null).execute();
    await tx.insertInto('listen_feed_tokens').values({ token_hash: hashToken(token), person_id: personId, project_id: projectId, created_at: now }).execute();
  });
}

export async function revokeInboxFeedTokens(db: Db, personId: number, projectId: number, now: Date): Promise<void> {
  await db.updateTable('listen_feed_tokens').set({ revoked_at: now }).where('person_id', '=', personId).where('project_id', '=', projectId).where('revoked_at', 'is', null).execute();
}

export async function hasActiveInboxFeedToken(db: Db, personId: number, projectId: number): Promise<boolean> {
  const row = await db.selectFrom('listen_feed_tokens').select('token_hash').where('person_id', '=', personId).where('project_id', '=', projectId).where('revoked_at', 'is', null).executeTakeFirst();
  return row !== undefined;
}

/** The person and project behind an active token (undefined when unknown, revoked or the person is disabled). */
export async function findInboxFeedToken(db: Db, token: string) {
  return db
    .selectFrom('listen_feed_tokens')
    .innerJoin('people', 'people.id', 'listen_feed_tokens.person_id')
    .innerJoin('projects', 'projects.id', 'listen_feed_tokens.project_id')
    .select(['listen_feed_tokens.person_id', 'listen_feed_tokens.project_id', 'projects.slug', 'projects.title', 'people.is_site_admin'])
    .where('listen_feed_tokens.token_hash', '=', hashToken(token))
    .where('listen_feed_tokens.revoked_at', 'is', null)
    .where('people.disabled_at', 'is', null)
    .executeTakeFirst();
}

