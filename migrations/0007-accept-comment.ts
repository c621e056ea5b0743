// Receiving a public comment in one round trip instead of six (BEGIN, lock, rate count, duplicate and
// known-commenter checks, insert with its log entry, COMMIT). Each statement of a round trip costs a
// write and a read on the socket, and that, not the database's work, capped comment POSTs near 300/s.
//
// The rules stay in TypeScript (server/comments/rules.ts): the app decides, before calling, what the
// rules say for each combination of the two facts only the database knows (is it a duplicate? has this
// email an approved comment in the project?), and passes the four decisions. Under the advisory lock the
// function finds the facts and stores the matching decision. A PL/pgSQL function takes a fresh snapshot
// for each statement, so the checks after the lock see every comment committed before it was granted.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION pb_accept_comment(
      p_lock_key    text,         -- what must be serialised: one address (rate limit) or one text (duplicates)
      p_project_id  bigint,
      p_rate_limit  integer,      -- most comments from one address in the window; 0: no limit
      p_rate_since  timestamptz,  -- start of the window
      p_check_known boolean,      -- whether the decision depends on the email being known
      p_decisions   jsonb,        -- [new, new+known, duplicate, duplicate+known]: {status, reasons[], action}
      p_comment     jsonb         -- the comment's columns (status, hold_reasons and decision times aside)
    ) RETURNS TABLE (id bigint, status text, reasons text[])
    LANGUAGE plpgsql AS $fn$
    DECLARE
      c comments;
      duplicate boolean;
      known boolean := false;
      decision jsonb;
      new_reasons text[];
      new_id bigint;
      new_status text;
    BEGIN
      c := jsonb_populate_record(NULL::comments, p_comment);
      PERFORM pg_advisory_xact_lock(hashtext(p_lock_key));
      IF p_rate_limit > 0 AND (
        SELECT count(*) FROM comments x JOIN posts p ON p.id = x.post_id
         WHERE p.project_id = p_project_id AND x.ip_hash = c.ip_hash AND x.created_at > p_rate_since AND NOT x.is_team_reply
      ) >= p_rate_limit THEN
        RETURN QUERY SELECT NULL::bigint, 'rate-limited'::text, '{}'::text[];
        RETURN;
      END IF;
      duplicate := EXISTS (
        SELECT 1 FROM comments x
         WHERE x.post_id = c.post_id AND lower(x.author_email) = lower(c.author_email) AND x.body_src = c.body_src
      );
      IF p_check_known THEN
        known := EXISTS (
          SELECT 1 FROM comments x JOIN posts p ON p.id = x.post_id
           WHERE p.project_id = p_project_id AND lower(x.author_email) = lower(c.author_email) AND x.status = 'approved'
        );
      END IF;
      decision := p_decisions -> (duplicate::int * 2 + known::int);
      new_reasons := ARRAY(SELECT jsonb_array_elements_text(decision -> 'reasons'));
      INSERT INTO comments (post_id, parent_id, depth, status, author_name, author_email, body_src, body_html,
                            rendered_version, ip_hash, user_agent, hold_reasons, created_at, approved_at, decided_at)
      VALUES (c.post_id, c.parent_id, c.depth, decision ->> 'status', c.author_name, c.author_email, c.body_src, c.body_html,
              c.rendered_version, c.ip_hash, c.user_agent, new_reasons, c.created_at,
              CASE WHEN decision ->> 'status' = 'approved' THEN c.created_at END,
              CASE WHEN decision ->> 'status' <> 'pending' THEN c.created_at END)
      RETURNING comments.id, comments.status INTO new_id, new_status;
      -- The rules' decision in the moderation log (actor null: no person decided).
      INSERT INTO moderation_log (comment_id, project_id, actor_id, action, reason, previous_status, new_status, created_at)
      VALUES (new_id, p_project_id, NULL, decision ->> 'action', NULLIF(array_to_string(new_reasons, ', '), ''), NULL, new_status, c.created_at);
      RETURN QUERY SELECT new_id, new_status, new_reasons;
    END
    $fn$
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION pb_accept_comment(text, bigint, integer, timestamptz, boolean, jsonb, jsonb)`.execute(db);
}
