// Post counts per project and per tag, kept by triggers, so the project home (page count, tag counts),
// the tag pages and the site directory read a few rows instead of counting every post of a project
// (issue 7: the uncached project home grew with the posts). The counts are of *listed* posts: not
// deleted, published or scheduled, with a publication time. "Public" also needs that time to have come,
// which no trigger can see happen; readers subtract the listed posts still in the future (few, and found
// through posts_site_public_idx). Plain PostgreSQL 15.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE project_post_counts (
      project_id  bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
      n           integer NOT NULL
    );
    -- By the project of the post too: the tag page counts a project's posts with the tag.
    CREATE TABLE tag_post_counts (
      tag_id      bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
      project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      n           integer NOT NULL,
      PRIMARY KEY (tag_id, project_id)
    );

    CREATE FUNCTION post_is_listed(status text, published_at timestamptz, deleted_at timestamptz) RETURNS boolean
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT deleted_at IS NULL AND status IN ('published', 'scheduled') AND published_at IS NOT NULL
      $$;

    -- Adds deltas[i] to the counts of post ids[i] in project project_ids[i] and of its current tags.
    -- Increments upsert; decrements only update, as a cascade may already have removed the row (and an
    -- insert would then fail its foreign key). Rows are touched in key order, so writers do not deadlock.
    CREATE FUNCTION post_counts_add(ids bigint[], project_ids bigint[], deltas integer[]) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        WITH c AS (
          SELECT project_id, sum(d)::integer AS d FROM unnest(project_ids, deltas) AS u(project_id, d)
          GROUP BY project_id HAVING sum(d) <> 0
        ), up AS (
          INSERT INTO project_post_counts AS t (project_id, n)
          SELECT project_id, d FROM c WHERE d > 0 ORDER BY project_id
          ON CONFLICT (project_id) DO UPDATE SET n = t.n + excluded.n
        )
        UPDATE project_post_counts t SET n = t.n + c.d FROM c WHERE c.project_id = t.project_id AND c.d < 0;

        WITH c AS (
          SELECT pt.tag_id, u.project_id, sum(u.d)::integer AS d
          FROM unnest(ids, project_ids, deltas) AS u(post_id, project_id, d)
          JOIN post_tags pt ON pt.post_id = u.post_id
          GROUP BY pt.tag_id, u.project_id HAVING sum(u.d) <> 0
        ), up AS (
          INSERT INTO tag_post_counts AS t (tag_id, project_id, n)
          SELECT tag_id, project_id, d FROM c WHERE d > 0 ORDER BY tag_id, project_id
          ON CONFLICT (tag_id, project_id) DO UPDATE SET n = t.n + excluded.n
        )
        UPDATE tag_post_counts t SET n = t.n + c.d FROM c
          WHERE c.tag_id = t.tag_id AND c.project_id = t.project_id AND c.d < 0;
      END
    $$;

    -- posts: inserts per statement (bulk imports would otherwise update one counter row thousands of
    -- times in one transaction); updates and deletes per row, and only when they change a count.
    CREATE FUNCTION post_counts_posts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- The project only: links to a new post are counted by the post_tags trigger, which sees the
        -- post, even when one statement inserts both.
        INSERT INTO project_post_counts AS t (project_id, n)
        SELECT project_id, count(*) FROM new_rows WHERE post_is_listed(status, published_at, deleted_at)
        GROUP BY project_id ORDER BY project_id
        ON CONFLICT (project_id) DO UPDATE SET n = t.n + excluded.n;
        RETURN NULL;
      END
    $$;
    CREATE TRIGGER post_counts_insert AFTER INSERT ON posts
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION post_counts_posts_inserted();

    CREATE FUNCTION post_counts_posts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF post_is_listed(OLD.status, OLD.published_at, OLD.deleted_at) THEN
          PERFORM post_counts_add(ARRAY[OLD.id], ARRAY[OLD.project_id], ARRAY[-1]);
        END IF;
        IF post_is_listed(NEW.status, NEW.published_at, NEW.deleted_at) THEN
          PERFORM post_counts_add(ARRAY[NEW.id], ARRAY[NEW.project_id], ARRAY[1]);
        END IF;
        RETURN NULL;
      END
    $$;
    CREATE TRIGGER post_counts_update AFTER UPDATE OF status, published_at, deleted_at, project_id ON posts
      FOR EACH ROW WHEN (
        post_is_listed(OLD.status, OLD.published_at, OLD.deleted_at) IS DISTINCT FROM post_is_listed(NEW.status, NEW.published_at, NEW.deleted_at)
        OR (post_is_listed(OLD.status, OLD.published_at, OLD.deleted_at) AND OLD.project_id <> NEW.project_id)
      ) EXECUTE FUNCTION post_counts_posts_updated();

    -- (A single statement that both changes whether a post is listed and inserts or deletes its links
    -- would count those links twice or not at all; the editor does them in separate statements.)

    -- Before the delete, while the post's tags are still there (the cascade removes them after). When a
    -- whole project is being deleted its counts go with it: nothing to do.
    CREATE FUNCTION post_counts_posts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM projects WHERE id = OLD.project_id) THEN
          PERFORM post_counts_add(ARRAY[OLD.id], ARRAY[OLD.project_id], ARRAY[-1]);
        END IF;
        RETURN OLD;
      END
    $$;
    CREATE TRIGGER post_counts_delete BEFORE DELETE ON posts
      FOR EACH ROW WHEN (post_is_listed(OLD.status, OLD.published_at, OLD.deleted_at))
      EXECUTE FUNCTION post_counts_posts_deleted();

    -- post_tags: a link counts when its post is listed. A link removed by its post's delete finds the
    -- post gone (counted down above); one removed by its tag's delete loses its counter row anyway.
    -- One function per event: a function may only name the transition tables its trigger declares.
    CREATE FUNCTION post_counts_post_tags_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
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
    CREATE TRIGGER post_counts_insert AFTER INSERT ON post_tags
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION post_counts_post_tags_inserted();

    CREATE FUNCTION post_counts_post_tags_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
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
    CREATE TRIGGER post_counts_delete AFTER DELETE ON post_tags
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION post_counts_post_tags_deleted();

    -- Nothing updates a link today (the editor deletes and inserts); if something does, stay right.
    CREATE FUNCTION post_counts_post_tags_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE tag_post_counts t SET n = t.n - 1 FROM posts p
          WHERE p.id = OLD.post_id AND post_is_listed(p.status, p.published_at, p.deleted_at)
            AND t.tag_id = OLD.tag_id AND t.project_id = p.project_id;
        INSERT INTO tag_post_counts AS t (tag_id, project_id, n)
        SELECT NEW.tag_id, p.project_id, 1 FROM posts p
          WHERE p.id = NEW.post_id AND post_is_listed(p.status, p.published_at, p.deleted_at)
        ON CONFLICT (tag_id, project_id) DO UPDATE SET n = t.n + 1;
        RETURN NULL;
      END
    $$;
    CREATE TRIGGER post_counts_update AFTER UPDATE ON post_tags
      FOR EACH ROW WHEN (OLD.tag_id <> NEW.tag_id OR OLD.post_id <> NEW.post_id)
      EXECUTE FUNCTION post_counts_post_tags_updated();

    -- Writers wait while the counts are taken, so none is missed or counted twice.
    LOCK TABLE posts, post_tags IN SHARE MODE;
    INSERT INTO project_post_counts (project_id, n)
      SELECT project_id, count(*) FROM posts WHERE post_is_listed(status, published_at, deleted_at) GROUP BY project_id;
    INSERT INTO tag_post_counts (tag_id, project_id, n)
      SELECT pt.tag_id, p.project_id, count(*) FROM post_tags pt JOIN posts p ON p.id = pt.post_id
      WHERE post_is_listed(p.status, p.published_at, p.deleted_at) GROUP BY pt.tag_id, p.project_id;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER post_counts_insert ON posts;
    DROP TRIGGER post_counts_update ON posts;
    DROP TRIGGER post_counts_delete ON posts;
    DROP TRIGGER post_counts_insert ON post_tags;
    DROP TRIGGER post_counts_update ON post_tags;
    DROP TRIGGER post_counts_delete ON post_tags;
    DROP FUNCTION post_counts_posts_inserted(), post_counts_posts_updated(), post_counts_posts_deleted(),
      post_counts_post_tags_inserted(), post_counts_post_tags_deleted(), post_counts_post_tags_updated(),
      post_counts_add(bigint[], bigint[], integer[]), post_is_listed(text, timestamptz, timestamptz);
    DROP TABLE tag_post_counts, project_post_counts;
  `.execute(db);
}
