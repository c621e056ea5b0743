// Two things that made writing many posts (the WordPress import) slow, and slower the more posts a
// site has. Frozen once shipped.
//
// 1. A bulk writer may give a new post's tags with the post, so that its search
// vector is computed once, at its INSERT, instead of again by the post_tags trigger once its tags are
// linked (about 1 ms of the database's time per post: a third of an import's). The writer sets
// pb.post_tags_given, for its transaction, to a JSON object of new post id → the names of the tags it
// is about to link, ordered by name (code points, COLLATE "C"); both triggers then use it for those posts, and only for INSERTs
// and the links' INSERT. Everything else is computed as before. The tags' names in the document are
// now ordered that way too, so the vector is the same whichever way it was computed.
//
// 2. The tag counts' triggers on post_tags (migration 0008) joined the links' transition table to posts,
//    and PostgreSQL caches a trigger's plan: planned while a site was small (or before statistics were
//    taken), it read every listed post of every project for each statement — 30 ms per statement at
//    2,000 posts, 170 ms at 10,000, for a batch of links or one. Each link now looks up its own post by
//    its primary key (a LATERAL subquery that OFFSET 0 keeps from being flattened, with the "listed" test
//    outside it, so no partial index of listed posts can be chosen instead), whatever the estimates.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- The document of a post: title A, summary and tags B, body C (one home for the weights).
    CREATE FUNCTION post_search_document(title text, summary text, tag_names text, body_md text, body_html text)
      RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
            || setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B')
            || setweight(to_tsvector('english'::regconfig, coalesce(tag_names, '')), 'B')
            || setweight(to_tsvector('english'::regconfig, post_plain_text(body_md, body_html)), 'C')
      $$;

    CREATE OR REPLACE FUNCTION post_search_vector(post_id bigint, title text, summary text, body_md text, body_html text)
      RETURNS tsvector LANGUAGE sql STABLE AS $$
        SELECT post_search_document(title, summary,
          (SELECT string_agg(t.name, ' ' ORDER BY t.name COLLATE "C") FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
            WHERE pt.post_id = post_search_vector.post_id),
          body_md, body_html)
      $$;

    -- The tags given for a new post (pb.post_tags_given), or NULL when none are given for it.
    CREATE FUNCTION post_tags_given(post_id bigint) RETURNS text LANGUAGE sql STABLE AS $$
      SELECT nullif(current_setting('pb.post_tags_given', true), '')::jsonb ->> post_id::text
    $$;

    CREATE OR REPLACE FUNCTION posts_search_vector_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        given text;
      BEGIN
        IF TG_OP = 'INSERT' THEN given := post_tags_given(NEW.id); END IF;
        IF given IS NOT NULL THEN
          NEW.search_vector := post_search_document(NEW.title, NEW.summary, given, NEW.body_md, NEW.body_html);
        ELSE
          NEW.search_vector := post_search_vector(NEW.id, NEW.title, NEW.summary, NEW.body_md, NEW.body_html);
        END IF;
        RETURN NEW;
      END
    $$;

    -- One post at a time, by its key: a plan the trigger caches for a whole statement (with a filter on
    -- posts) could read every post, planned while the table was small.
    CREATE OR REPLACE FUNCTION post_tags_search_vector_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        changed bigint;
        given boolean := TG_OP = 'INSERT' AND nullif(current_setting('pb.post_tags_given', true), '') IS NOT NULL;
      BEGIN
        FOR changed IN SELECT DISTINCT post_id FROM changed_tags LOOP
          CONTINUE WHEN given AND post_tags_given(changed) IS NOT NULL;
          UPDATE posts SET search_vector = post_search_vector(id, title, summary, body_md, body_html) WHERE id = changed;
        END LOOP;
        RETURN NULL;
      END
    $$;

    CREATE OR REPLACE FUNCTION post_counts_post_tags_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO tag_post_counts AS t (tag_id, project_id, n)
        SELECT l.tag_id, p.project_id, count(*)
        FROM new_rows l
        CROSS JOIN LATERAL (SELECT p.project_id, p.status, p.published_at, p.deleted_at FROM posts p WHERE p.id = l.post_id OFFSET 0) p
        WHERE post_is_listed(p.status, p.published_at, p.deleted_at)
        GROUP BY l.tag_id, p.project_id ORDER BY l.tag_id, p.project_id
        ON CONFLICT (tag_id, project_id) DO UPDATE SET n = t.n + excluded.n;
        RETURN NULL;
      END
    $$;

    CREATE OR REPLACE FUNCTION post_counts_post_tags_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        WITH c AS (
          SELECT l.tag_id, p.project_id, count(*)::integer AS d
          FROM old_rows l
          CROSS JOIN LATERAL (SELECT p.project_id, p.status, p.published_at, p.deleted_at FROM posts p WHERE p.id = l.post_id OFFSET 0) p
          WHERE post_is_listed(p.status, p.published_at, p.deleted_at)
          GROUP BY l.tag_id, p.project_id
        )
        UPDATE tag_post_counts t SET n = t.n - c.d FROM c WHERE c.tag_id = t.tag_id AND c.project_id = t.project_id;
        RETURN NULL;
      END
    $$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION post_counts_post_tags_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO tag_post_counts AS t (tag_id, project_id, n)
        SELECT l.tag_id, p.project_id, count(*)
        FROM new_rows l JOIN posts p ON p.id = l.post_id
        WHERE post_is_listed(p.status, p.published_at, p.deleted_at)
        GROUP BY l.tag_id, p.project_id ORDER BY l.tag_id, p.project_id
        ON CONFLICT (tag_id, project_id) DO UPDATE SET n = t.n + excluded.n;
        RETURN NULL;
      END
    $$;
    CREATE OR REPLACE FUNCTION post_counts_post_tags_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        WITH c AS (
          SELECT l.tag_id, p.project_id, count(*)::integer AS d
          FROM old_rows l JOIN posts p ON p.id = l.post_id
          WHERE post_is_listed(p.status, p.published_at, p.deleted_at)
          GROUP BY l.tag_id, p.project_id
        )
        UPDATE tag_post_counts t SET n = t.n - c.d FROM c WHERE c.tag_id = t.tag_id AND c.project_id = t.project_id;
        RETURN NULL;
      END
    $$;
    CREATE OR REPLACE FUNCTION post_tags_search_vector_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE posts SET search_vector = post_search_vector(id, title, summary, body_md, body_html)
          WHERE id IN (SELECT post_id FROM changed_tags);
        RETURN NULL;
      END
    $$;
    CREATE OR REPLACE FUNCTION posts_search_vector_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.search_vector := post_search_vector(NEW.id, NEW.title, NEW.summary, NEW.body_md, NEW.body_html);
        RETURN NEW;
      END
    $$;
    CREATE OR REPLACE FUNCTION post_search_vector(post_id bigint, title text, summary text, body_md text, body_html text)
      RETURNS tsvector LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A')
            || setweight(to_tsvector('english', coalesce(summary, '')), 'B')
            || setweight(to_tsvector('english', coalesce(
                 (SELECT string_agg(t.name, ' ') FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
                   WHERE pt.post_id = post_search_vector.post_id), '')), 'B')
            || setweight(to_tsvector('english', post_plain_text(body_md, body_html)), 'C')
      $$;
    DROP FUNCTION post_tags_given(bigint);
    DROP FUNCTION post_search_document(text, text, text, text, text);
  `.execute(db);
}
