// A feed's Last-Modified is when what it shows last changed, including entries that left it. Those
// leave a trace in rows the app already writes: an unpublished or deleted post keeps updated_at, a
// comment taken out of a feed or a queue leaves a moderation_log row with its previous status. These
// indexes make "the newest such trace" one index lookup per feed request.
//
// The moderation_log index is partial (previous_status IS NOT NULL: decisions by a person, edits) and
// leads with (project, previous status), so "the newest removal" is a short backward scan. The public
// comment path (pb_accept_current_comment) logs with previous_status NULL, so a comment POST never
// writes to this index. Posts are written by the editor only.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE INDEX posts_project_changed_idx ON posts (project_id, updated_at) WHERE first_published_at IS NOT NULL;
    CREATE INDEX posts_site_changed_idx ON posts (updated_at) WHERE first_published_at IS NOT NULL;
    CREATE INDEX moderation_log_decided_idx ON moderation_log (project_id, previous_status, created_at) WHERE previous_status IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS moderation_log_decided_idx;
    DROP INDEX IF EXISTS posts_site_changed_idx;
    DROP INDEX IF EXISTS posts_project_changed_idx;
  `.execute(db);
}
