// The background-job foundation: when a post first becomes public, it is announced once (email updates,
// WebSub pings, webmentions: server/posts/events.ts). `announced_at` records that it was, so that a post
// is never announced twice (an edit, a second server, a retried job) and a scheduled post that went live
// by time alone is found by the minute sweep. Posts that were already public before this migration count
// as announced: nobody is told about the back catalogue.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE posts ADD COLUMN announced_at timestamptz;
    UPDATE posts SET announced_at = COALESCE(first_published_at, published_at, now())
      WHERE first_published_at IS NOT NULL AND first_published_at <= now();
    -- The sweep's question, "public and not yet announced", reads only the few rows not announced.
    CREATE INDEX posts_unannounced_idx ON posts (published_at)
      WHERE announced_at IS NULL AND deleted_at IS NULL AND status IN ('published', 'scheduled');
    -- Marking a post announced changes no page: it must not empty the page caches (migration 0005).
    DROP TRIGGER pb_cache_notify ON posts;
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR DELETE ON posts
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('project_id');
    CREATE TRIGGER pb_cache_notify_update AFTER UPDATE ON posts
      FOR EACH ROW WHEN ((to_jsonb(OLD) - 'announced_at') IS DISTINCT FROM (to_jsonb(NEW) - 'announced_at'))
      EXECUTE FUNCTION pb_cache_notify('project_id');
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER IF EXISTS pb_cache_notify_update ON posts;
    DROP TRIGGER IF EXISTS pb_cache_notify ON posts;
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON posts
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('project_id');
    DROP INDEX IF EXISTS posts_unannounced_idx;
    ALTER TABLE posts DROP COLUMN IF EXISTS announced_at;
  `.execute(db);
}
