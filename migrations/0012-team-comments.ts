// Issue 16, item 7: who a comment is from. Two facts only the database knows join the two of migration
// 0007, still in the one round trip of a public comment:
//   - "known commenter" (policy hold-first-time) now needs the same email AND the same commenter id: a
//     random id the earlier commenter's browser holds in a signed, long-lived cookie and that was stored
//     with the approved comment (comments.commenter_id). Typing someone's email no longer earns their trust.
//   - "uses a team member's name or email": an anonymous comment whose name or email is that of a member
//     of the project's team; the rules hold it ('team-name').
// So the app passes eight decisions (index team * 4 + duplicate * 2 + known) instead of four. Comments
// from before this migration have no commenter id: their writers are treated as new once more.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE comments ADD COLUMN commenter_id text`.execute(db);
  await sql`
    CREATE FUNCTION pb_accept_comment_v2(
      p_lock_key    text,
      p_project_id  bigint,
      p_rate_limit  integer,
      p_rate_since  timestamptz,
      p_check_known boolean,
      p_decisions   jsonb,        -- [team*4 + duplicate*2 + known]: {status, reasons[], action}
      p_comment     jsonb         -- the comment's columns, commenter_id included
    ) RETURNS TABLE (id bigint, status text, reasons text[])
    LANGUAGE plpgsql AS $fn$
    DECLARE
      c comments;
      duplicate boolean;
      known boolean := false;
      team boolean;
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
      IF p_check_known AND c.commenter_id IS NOT NULL THEN
        known := EXISTS (
          SELECT 1 FROM comments x JOIN posts p ON p.id = x.post_id
           WHERE p.project_id = p_project_id AND lower(x.author_email) = lower(c.author_email) AND x.status = 'approved'
             AND x.commenter_id = c.commenter_id
        );
      END IF;
      team := EXISTS (
        SELECT 1 FROM memberships m JOIN people pe ON pe.id = m.person_id
         WHERE m.project_id = p_project_id
           AND (lower(pe.email) = lower(c.author_email) OR lower(btrim(pe.display_name)) = lower(btrim(c.author_name)))
      );
      decision := p_decisions -> (team::int * 4 + duplicate::int * 2 + known::int);
      new_reasons := ARRAY(SELECT jsonb_array_elements_text(decision -> 'reasons'));
      INSERT INTO comments (post_id, parent_id, depth, status, author_name, author_email, body_src, body_html,
                            rendered_version, ip_hash, user_agent, hold_reasons, created_at, approved_at, decided_at, commenter_id)
      VALUES (c.post_id, c.parent_id, c.depth, decision ->> 'status', c.author_name, c.author_email, c.body_src, c.body_html,
              c.rendered_version, c.ip_hash, c.user_agent, new_reasons, c.created_at,
              CASE WHEN decision ->> 'status' = 'approved' THEN c.created_at END,
              CASE WHEN decision ->> 'status' <> 'pending' THEN c.created_at END,
              c.commenter_id)
      RETURNING comments.id, comments.status INTO new_id, new_status;
      INSERT INTO moderation_log (comment_id, project_id, actor_id, action, reason, previous_status, new_status, created_at)
      VALUES (new_id, p_project_id, NULL, decision ->> 'action', NULLIF(array_to_string(new_reasons, ', '), ''), NULL, new_status, c.created_at);
      RETURN QUERY SELECT new_id, new_status, new_reasons;
    END
    $fn$
  `.execute(db);
  await sql`
    CREATE FUNCTION pb_accept_current_comment_v2(
      p_stamp       text,
      p_lock_key    text,
      p_project_id  bigint,
      p_rate_limit  integer,
      p_rate_since  timestamptz,
      p_check_known boolean,
      p_decisions   jsonb,
      p_comment     jsonb
    ) RETURNS TABLE (id bigint, status text, reasons text[])
    LANGUAGE plpgsql AS $fn$
    BEGIN
      IF p_stamp IS NOT NULL AND p_stamp IS DISTINCT FROM pb_comment_target_stamp(p_project_id, (p_comment ->> 'post_id')::bigint) THEN
        RETURN QUERY SELECT NULL::bigint, 'stale'::text, '{}'::text[];
        RETURN;
      END IF;
      RETURN QUERY SELECT a.id, a.status, a.reasons
        FROM pb_accept_comment_v2(p_lock_key, p_project_id, p_rate_limit, p_rate_since, p_check_known, p_decisions, p_comment) a;
    END
    $fn$
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION pb_accept_current_comment_v2(text, text, bigint, integer, timestamptz, boolean, jsonb, jsonb)`.execute(db);
  await sql`DROP FUNCTION pb_accept_comment_v2(text, bigint, integer, timestamptz, boolean, jsonb, jsonb)`.execute(db);
  await sql`ALTER TABLE comments DROP COLUMN commenter_id`.execute(db);
}
