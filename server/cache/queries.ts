// The page cache's one query: what a page being stored needs to know to be dropped in time. Plain
// functions, db first, like every domain's queries.
import { sql } from 'kysely';
import type { Db } from '../db/create-db.js';

export interface StoreFacts {
  /** The project the page shows (by its URL's slug), or null. */
  projectId: number | null;
  /** When the next scheduled post goes public (the page may change then), or null. */
  nextPublicationAt: Date | null;
}

/**
 * Which project a page shows, and when the next scheduled post goes public after `startedAt` (a post
 * that went public after the request started is found too, so its entry expires at once).
 */
export async function findStoreFacts(db: Db, projectSlug: string | undefined, startedAt: Date): Promise<StoreFacts> {
  const { rows } = await sql<{ project_id: number | null; next_at: Date | null }>`
    SELECT (SELECT id FROM projects WHERE slug = ${projectSlug ?? ''}) AS project_id,
           (SELECT min(published_at) FROM posts
             WHERE deleted_at IS NULL AND status IN ('published', 'scheduled') AND published_at > ${startedAt}) AS next_at
  `.execute(db);
  const row = rows[0];
  return {
    projectId: projectSlug && row?.project_id != null ? Number(row.project_id) : null,
    nextPublicationAt: row?.next_at ? new Date(row.next_at) : null,
  };
}
