// A held (pending) comment changes no public page: the queue and the moderators' feed are never cached.
// So a comment flood, which lands as pending, no longer empties the page cache of its project; any
// change that involves an approved, rejected, spam or deleted comment still notifies (the withheld
// count on a post page counts rejected and spam ones).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER pb_cache_notify ON comments;
    CREATE TRIGGER pb_cache_notify_insert AFTER INSERT ON comments
      FOR EACH ROW WHEN (NEW.status <> 'pending') EXECUTE FUNCTION pb_cache_notify('post_id');
    CREATE TRIGGER pb_cache_notify_update AFTER UPDATE ON comments
      FOR EACH ROW WHEN (OLD.status <> 'pending' OR NEW.status <> 'pending') EXECUTE FUNCTION pb_cache_notify('post_id');
    CREATE TRIGGER pb_cache_notify_delete AFTER DELETE ON comments
      FOR EACH ROW WHEN (OLD.status <> 'pending') EXECUTE FUNCTION pb_cache_notify('post_id');
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER pb_cache_notify_insert ON comments;
    DROP TRIGGER pb_cache_notify_update ON comments;
    DROP TRIGGER pb_cache_notify_delete ON comments;
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON comments
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('post_id');
  `.execute(db);
}
