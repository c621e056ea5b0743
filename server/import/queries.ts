// SQL for the import pages: an import run of a project, and a project's latest runs. (The importer's batch
// writer keeps its own statements beside its rules: importer.ts, run.ts, jobs.ts.)
import { sql } from 'kysely';
import type { Db } from '../db/create-db.js';

export async function findImportRun(db: Db, projectId: number, id: number) {
  return db.selectFrom('imports').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
}

/** A project's latest import runs, newest first. */
export async function listImportRuns(db: Db, projectId: number, limit: number) {
  return db
    .selectFrom('imports')
    .select(['id', 'status', 'dry_run', 'file_names', 'created_at', 'items_done', 'items_total'])
    .where('project_id', '=', projectId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/**
 * The earlier import of the same project that a queued one waits for: a project's imports run one at a
 * time, in order (their jobs share one named queue, across servers), so a second tab's upload waits.
 */
export async function findImportAhead(db: Db, projectId: number, id: number) {
  // The one running if any (imports of a project run one at a time); else an earlier one still queued.
  return db
    .selectFrom('imports')
    .select(['id', 'status'])
    .where('project_id', '=', projectId)
    .where('id', '!=', id)
    .where((eb) => eb.or([eb('status', '=', 'running'), eb.and([eb('status', '=', 'queued'), eb('id', '<', id)])]))
    .orderBy(sql`status = 'running'`, 'desc')
    .orderBy('id', 'asc')
    .executeTakeFirst();
}
