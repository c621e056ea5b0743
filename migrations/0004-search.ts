// Full-text search over posts: a weighted tsvector kept current by the database itself, so every
// writer (editor, imports, psql) keeps the index right. Title A, summary and tags B, body C; English
// stemming. Frozen once shipped. PostgreSQL 15 features only.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- Plain text of a post body: the rendered HTML without tags and with the entities sanitize-html
    -- writes decoded; the Markdown source when the post has not been rendered yet. Also used for
    -- search excerpts, so the index and the excerpt read the same words.
    CREATE FUNCTION post_plain_text(body_md text, body_html text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN coalesce(body_html, '') = '' THEN coalesce(body_md, '')
          ELSE replace(replace(replace(replace(replace(replace(
                 regexp_replace(body_html, '<[^>]*>', ' ', 'g'),
                 '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''), '&nbsp;', ' '), '&amp;', '&')
        END
      $$;

    CREATE FUNCTION post_search_vector(post_id bigint, title text, summary text, body_md text, body_html text)
      RETURNS tsvector LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A')
            || setweight(to_tsvector('english', coalesce(summary, '')), 'B')
            || setweight(to_tsvector('english', coalesce(
                 (SELECT string_agg(t.name, ' ') FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
                   WHERE pt.post_id = post_search_vector.post_id), '')), 'B')
            || setweight(to_tsvector('english', post_plain_text(body_md, body_html)), 'C')
      $$;

    ALTER TABLE posts ADD COLUMN search_vector tsvector;

    CREATE FUNCTION posts_search_vector_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.search_vector := post_search_vector(NEW.id, NEW.title, NEW.summary, NEW.body_md, NEW.body_html);
        RETURN NEW;
      END
    $$;
    CREATE TRIGGER posts_search_vector BEFORE INSERT OR UPDATE OF title, summary, body_md, body_html ON posts
      FOR EACH ROW EXECUTE FUNCTION posts_search_vector_trigger();

    -- Tags are part of the document: adding, removing or renaming one re-indexes its posts. Setting
    -- search_vector directly does not fire the posts trigger above (it names its columns).
    CREATE FUNCTION post_tags_search_vector_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE posts SET search_vector = post_search_vector(id, title, summary, body_md, body_html)
          WHERE id IN (SELECT post_id FROM changed_tags);
        RETURN NULL;
      END
    $$;
    CREATE TRIGGER post_tags_search_vector_insert AFTER INSERT ON post_tags
      REFERENCING NEW TABLE AS changed_tags FOR EACH STATEMENT EXECUTE FUNCTION post_tags_search_vector_trigger();
    CREATE TRIGGER post_tags_search_vector_delete AFTER DELETE ON post_tags
      REFERENCING OLD TABLE AS changed_tags FOR EACH STATEMENT EXECUTE FUNCTION post_tags_search_vector_trigger();

    CREATE FUNCTION tags_search_vector_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE posts SET search_vector = post_search_vector(id, title, summary, body_md, body_html)
          WHERE id IN (SELECT post_id FROM post_tags WHERE tag_id = NEW.id);
        RETURN NULL;
      END
    $$;
    CREATE TRIGGER tags_search_vector AFTER UPDATE OF name ON tags
      FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION tags_search_vector_trigger();

    UPDATE posts SET search_vector = post_search_vector(id, title, summary, body_md, body_html);

    CREATE INDEX posts_search_idx ON posts USING gin (search_vector) WHERE deleted_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER tags_search_vector ON tags;
    DROP TRIGGER post_tags_search_vector_insert ON post_tags;
    DROP TRIGGER post_tags_search_vector_delete ON post_tags;
    DROP TRIGGER posts_search_vector ON posts;
    DROP FUNCTION tags_search_vector_trigger(), post_tags_search_vector_trigger(), posts_search_vector_trigger();
    ALTER TABLE posts DROP COLUMN search_vector;
    DROP FUNCTION post_search_vector(bigint, text, text, text, text), post_plain_text(text, text);
  `.execute(db);
}
