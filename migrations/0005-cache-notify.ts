// Page-cache invalidation across app servers: every write that can change a public page or feed sends
// NOTIFY pb_cache with the id of the project it touches, or 'all' when it touches every project (a
// person's name, site settings) or the project cannot be found (a cascade already removed the post).
// Each app server LISTENs (server/cache/listener.ts) and drops what the notification names. NOTIFY is
// sent at commit, so a server never hears of a write that was rolled back. Plain PostgreSQL 15.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- TG_ARGV[0] says where the row names its project: its own id (projects), a project_id column,
    -- a post_id column (looked up in posts), or nowhere ('all').
    CREATE FUNCTION pb_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      old_key text;
      new_key text;
    BEGIN
      IF TG_ARGV[0] = 'project' THEN
        IF TG_OP <> 'INSERT' THEN old_key := OLD.id::text; END IF;
        IF TG_OP <> 'DELETE' THEN new_key := NEW.id::text; END IF;
      ELSIF TG_ARGV[0] = 'project_id' THEN
        IF TG_OP <> 'INSERT' THEN old_key := OLD.project_id::text; END IF;
        IF TG_OP <> 'DELETE' THEN new_key := NEW.project_id::text; END IF;
      ELSIF TG_ARGV[0] = 'post_id' THEN
        IF TG_OP <> 'INSERT' THEN
          old_key := coalesce((SELECT p.project_id::text FROM posts p WHERE p.id = OLD.post_id), 'all');
        END IF;
        IF TG_OP <> 'DELETE' THEN
          new_key := coalesce((SELECT p.project_id::text FROM posts p WHERE p.id = NEW.post_id), 'all');
        END IF;
      ELSE
        old_key := 'all';
      END IF;
      -- Identical notifications in one transaction are folded into one by PostgreSQL.
      IF old_key IS NOT NULL THEN PERFORM pg_notify('pb_cache', old_key); END IF;
      IF new_key IS NOT NULL AND new_key IS DISTINCT FROM old_key THEN PERFORM pg_notify('pb_cache', new_key); END IF;
      RETURN NULL;
    END
    $fn$;

    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON projects
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('project');
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON posts
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('project_id');
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON pages
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('project_id');
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON tags
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('project_id');
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON memberships
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('project_id');
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON comments
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('post_id');
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON post_tags
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('post_id');
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON post_authors
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('post_id');
    -- People appear on every project's pages (bylines, teams); site settings change every page.
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON people
      FOR EACH STATEMENT EXECUTE FUNCTION pb_cache_notify('all');
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON site_settings
      FOR EACH STATEMENT EXECUTE FUNCTION pb_cache_notify('all');
    -- A revoked moderator feed link must stop working at once, not when its cached copy expires.
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON moderator_feed_tokens
      FOR EACH STATEMENT EXECUTE FUNCTION pb_cache_notify('all');
    -- TRUNCATE (tests, restores) fires no row triggers.
    CREATE TRIGGER pb_cache_notify_truncate AFTER TRUNCATE ON posts
      FOR EACH STATEMENT EXECUTE FUNCTION pb_cache_notify('all');
    CREATE TRIGGER pb_cache_notify_truncate AFTER TRUNCATE ON comments
      FOR EACH STATEMENT EXECUTE FUNCTION pb_cache_notify('all');
    CREATE TRIGGER pb_cache_notify_truncate AFTER TRUNCATE ON projects
      FOR EACH STATEMENT EXECUTE FUNCTION pb_cache_notify('all');
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER pb_cache_notify ON projects;
    DROP TRIGGER pb_cache_notify ON posts;
    DROP TRIGGER pb_cache_notify ON pages;
    DROP TRIGGER pb_cache_notify ON tags;
    DROP TRIGGER pb_cache_notify ON memberships;
    DROP TRIGGER pb_cache_notify ON comments;
    DROP TRIGGER pb_cache_notify ON post_tags;
    DROP TRIGGER pb_cache_notify ON post_authors;
    DROP TRIGGER pb_cache_notify ON people;
    DROP TRIGGER pb_cache_notify ON site_settings;
    DROP TRIGGER pb_cache_notify ON moderator_feed_tokens;
    DROP TRIGGER pb_cache_notify_truncate ON posts;
    DROP TRIGGER pb_cache_notify_truncate ON comments;
    DROP TRIGGER pb_cache_notify_truncate ON projects;
    DROP FUNCTION pb_cache_notify();
  `.execute(db);
}
