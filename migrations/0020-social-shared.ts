// Two things the social web needed across servers (issue 19's leftovers). Frozen once shipped.
//
// 1. webmention_throttle: the webmention flood limit (per source host, per sending address, sliding
//    hour) counted in PostgreSQL, like the email form's throttle, so every app server behind a load
//    balancer sees the same counts (server/responses/receive.ts: webmentionFloodAllows).
//
// 2. WebSub for comment feeds: a comment that becomes public or stops being public (or a public one
//    edited) changes its post's comment feed and its project's comment feed. Comments change through
//    many paths (the public form's one-round-trip function pb_accept_comment_v2, team replies, moderator
//    actions, the import, a post deleted with its comments), so one trigger sees them all and queues,
//    in the same transaction, one graphile-worker job per post: job key per post, run 10 s later,
//    job_key_mode 'preserve_run_at', so a burst of comments on a post is one distribution, not a burst
//    of identical ones; the job announces the post's and the project's comment feeds
//    (server/websub/hub.ts: publishCommentFeed). Webmentions are comment rows
//    too but never in comment feeds, so they are left out. Held comments change no feed: nothing queued.
//    A transaction that writes a back catalogue (the demo seed) sets pb.announce_comments = 'off' locally.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE webmention_throttle (
      key text NOT NULL,
      at timestamptz NOT NULL
    );
    CREATE INDEX webmention_throttle_key_idx ON webmention_throttle (key, at);
    CREATE INDEX webmention_throttle_at_idx ON webmention_throttle (at);

    CREATE FUNCTION pb_websub_comment_feeds() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      r comments;
    BEGIN
      IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
      IF r.webmention_id IS NOT NULL THEN RETURN NULL; END IF;
      -- A back catalogue written in bulk (the demo seed) says so for its transaction: nothing to announce.
      IF current_setting('pb.announce_comments', true) = 'off' THEN RETURN NULL; END IF;
      IF TG_OP = 'INSERT' AND NEW.status <> 'approved' THEN RETURN NULL; END IF;
      IF TG_OP = 'DELETE' AND OLD.status <> 'approved' THEN RETURN NULL; END IF;
      IF TG_OP = 'UPDATE' AND NOT (
           (OLD.status = 'approved') <> (NEW.status = 'approved')
           OR (NEW.status = 'approved' AND (OLD.body_src IS DISTINCT FROM NEW.body_src OR OLD.author_name IS DISTINCT FROM NEW.author_name))
         ) THEN RETURN NULL; END IF;
      -- The job queue's schema is installed after our migrations; before that there is no one to tell.
      IF to_regnamespace('graphile_worker') IS NULL THEN RETURN NULL; END IF;
      -- One job per post, not per project too: the job key's row is locked until this transaction
      -- commits, so a project-wide key would make every approved comment of a project wait on the
      -- others. The post's job announces the project's comment feed as well.
      PERFORM graphile_worker.add_job('websub:comment-feed', json_build_object('postId', r.post_id),
        run_at => now() + interval '10 seconds', max_attempts => 6,
        job_key => 'websub-comments:post:' || r.post_id, job_key_mode => 'preserve_run_at');
      RETURN NULL;
    END $$;

    CREATE TRIGGER pb_websub_comment_feeds AFTER INSERT OR UPDATE OR DELETE ON comments
      FOR EACH ROW EXECUTE FUNCTION pb_websub_comment_feeds();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER IF EXISTS pb_websub_comment_feeds ON comments;
    DROP FUNCTION IF EXISTS pb_websub_comment_feeds();
    DROP TABLE IF EXISTS webmention_throttle;
  `.execute(db);
}
