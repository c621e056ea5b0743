// SQL for the daily email of new matches (migration 0022): who asked for it, one row per member, project
// and day (UNIQUE: the database sends at most one), and the items new since a member's last email that
// match one of the project's key terms.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';

export async function wantsDailyEmail(db: Db, personId: number, projectId: number): Promise<boolean> {
  const row = await db.selectFrom('listen_email_prefs').select('person_id').where('person_id', '=', personId).where('project_id', '=', projectId).executeTakeFirst();
  return row !== undefined;
}

/** Turns the email on (new matches from now on) or off. */
export async function setDailyEmail(db: Db, personId: number, projectId: number, on: boolean, now: Date): Promise<void> {
  if (on) {
    await db
      .insertInto('listen_email_prefs')
      .values({ person_id: personId, project_id: projectId, sent_through: now, created_at: now })
      .onConflict((oc) => oc.columns(['person_id', 'project_id']).doNothing())
      .execute();
  } else {
    await db.deleteFrom('listen_email_prefs').where('person_id', '=', personId).where('project_id', '=', projectId).execute();
  }
}

/**
 * Today's row for every member who asked and still may use the project's desk (owner, editor or site
 * admin, not disabled); an existing row for the day is left alone. Returns the new rows' ids.
 */
export async function insertDueSends(tx: Db | Tx, day: string, periodEnd: Date): Promise<number[]> {
  const { rows } = await sql<{ id: string }>`
    INSERT INTO listen_email_sends (person_id, project_id, day, period_end)
    SELECT p.person_id, p.project_id, ${day}::date, ${periodEnd}::timestamptz
    FROM listen_email_prefs p
    JOIN people pe ON pe.id = p.person_id
    LEFT JOIN memberships m ON m.person_id = p.person_id AND m.project_id = p.project_id
    WHERE pe.disabled_at IS NULL AND (pe.is_site_admin OR m.role IN ('owner', 'editor'))
    ORDER BY p.project_id, p.person_id
    ON CONFLICT (person_id, project_id, day) DO NOTHING
    RETURNING id`.execute(tx);
  return rows.map((r) => Number(r.id));
}

/** Claims a queued row (queued → sending); undefined when another worker has it or it is done. */
export async function claimSend(db: Db, id: number) {
  return db
    .updateTable('listen_email_sends')
    .set({ status: 'sending' })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .returning(['id', 'person_id', 'project_id', 'period_end'])
    .executeTakeFirst();
}

export async function finishSend(db: Db, id: number, status: 'sent' | 'skipped' | 'failed' | 'queued', values: { items?: number; lastError?: string | null; now: Date }): Promise<void> {
  await db
    .updateTable('listen_email_sends')
    .set({ status, items: values.items ?? 0, last_error: values.lastError ?? null, sent_at: status === 'sent' ? values.now : null })
    .where('id', '=', id)
    .execute();
}

/** The person, project and their last email's end, for one send. */
export async function sendContext(db: Db, personId: number, projectId: number) {
  return db
    .selectFrom('listen_email_prefs')
    .innerJoin('people', 'people.id', 'listen_email_prefs.person_id')
    .innerJoin('projects', 'projects.id', 'listen_email_prefs.project_id')
    .select(['people.email', 'people.display_name', 'projects.slug', 'projects.title', 'listen_email_prefs.sent_through'])
    .where('listen_email_prefs.person_id', '=', personId)
    .where('listen_email_prefs.project_id', '=', projectId)
    .executeTakeFirst();
}

export async function advanceSentThrough(db: Db, personId: number, projectId: number, through: Date): Promise<void> {
  await db.updateTable('listen_email_prefs').set({ sent_through: through }).where('person_id', '=', personId).where('project_id', '=', projectId).where('sent_through', '<', through).execute();
}

export interface MatchForEmail {
  title: string;
  url: string | null;
  sourceTitle: string;
  terms: string[];
}

/** Items fetched in (after, through] that match a key term and are not dismissed: newest first, up to `limit`, and how many in all. */
export async function newMatches(db: Db, projectId: number, after: Date, through: Date, limit: number): Promise<{ items: MatchForEmail[]; total: number }> {
  const { rows } = await sql<{ title: string; url: string | null; source_title: string; source_url: string; terms: string[]; total: number }>`
    SELECT i.title, i.url, s.title AS source_title, s.url AS source_url, m.terms, count(*) OVER ()::int AS total
    FROM listen_items i
    JOIN listen_sources s ON s.id = i.source_id
    CROSS JOIN LATERAL (
      SELECT array_agg(t.query ORDER BY t.query) AS terms FROM listen_terms t
      WHERE t.project_id = i.project_id AND i.search_vector @@ websearch_to_tsquery('english', t.query)
    ) m
    WHERE i.project_id = ${projectId} AND i.fetched_at > ${after} AND i.fetched_at <= ${through}
      AND i.dismissed_at IS NULL AND m.terms IS NOT NULL
    ORDER BY i.fetched_at DESC, i.id DESC
    LIMIT ${limit}`.execute(db);
  return { items: rows.map((r) => ({ title: r.title, url: r.url, sourceTitle: r.source_title || r.source_url, terms: r.terms })), total: rows[0]?.total ?? 0 };
}
