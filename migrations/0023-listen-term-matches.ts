// The listening desk's key-term matches, decided when an item is stored or a term is added instead of at
// read time (issue 20: the inbox filtered by a term over a million items). One row per (term, item) that
// matches, with the item's inbox sort key copied, so the term-filtered inbox walks one index in order
// and stops after a page. Frozen once shipped.
//
// - A new item is matched against its project's terms by a statement-level trigger, whatever stores it
//   (a poll, a WebSub push, a direct insert); an item whose text or dates change is matched again.
// - A new or edited term is matched against the items already stored by a job (listen:match-term) in
//   bounded batches; until it has finished, listen_terms.matches_ready is false and the inbox asks the
//   full-text index directly, as before. Any change of a term's query sets matches_ready back to false.
// - An item read, dismissed or restored: its rows' copies of that state follow (a trigger), so the
//   unread, all and dismissed views each walk an index in order.
// - A removed term or a pruned item takes its rows with it (ON DELETE CASCADE).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE listen_terms
      ADD COLUMN matches_ready boolean NOT NULL DEFAULT false,
      -- The backfill's progress: the items with ids below this one are still to be checked (NULL: not started).
      ADD COLUMN match_cursor bigint,
      -- The highest item id when the backfill started (items above it are checked once more at the end).
      ADD COLUMN match_top bigint;

    CREATE TABLE listen_term_matches (
      term_id bigint NOT NULL REFERENCES listen_terms (id) ON DELETE CASCADE,
      item_id bigint NOT NULL REFERENCES listen_items (id) ON DELETE CASCADE,
      -- The item's inbox order: fetched_at DESC, coalesce(published_at, fetched_at) DESC, id DESC.
      fetched_at timestamptz NOT NULL,
      sort_at timestamptz NOT NULL,
      -- The item's state, copied (kept by a trigger), so each of the inbox's views walks its own index:
      -- unread = read_at IS NULL AND dismissed_at IS NULL; dismissed = dismissed_at IS NOT NULL.
      unread boolean NOT NULL,
      dismissed boolean NOT NULL,
      PRIMARY KEY (term_id, item_id)
    );
    CREATE INDEX listen_term_matches_page_idx ON listen_term_matches (term_id, dismissed, fetched_at DESC, sort_at DESC, item_id DESC);
    CREATE INDEX listen_term_matches_unread_idx ON listen_term_matches (term_id, fetched_at DESC, sort_at DESC, item_id DESC) WHERE unread;
    CREATE INDEX listen_term_matches_item_idx ON listen_term_matches (item_id);

    -- New items: matched against their project's terms (the same expression as the site search's syntax).
    CREATE FUNCTION listen_items_match_new() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO listen_term_matches (term_id, item_id, fetched_at, sort_at, unread, dismissed)
      SELECT t.id, n.id, n.fetched_at, coalesce(n.published_at, n.fetched_at), n.read_at IS NULL AND n.dismissed_at IS NULL, n.dismissed_at IS NOT NULL
      FROM new_items n
      JOIN listen_terms t ON t.project_id = n.project_id
      CROSS JOIN LATERAL (SELECT websearch_to_tsquery('english', t.query) AS q) tq
      WHERE numnode(tq.q) > 0 AND n.search_vector @@ tq.q
      ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$;
    CREATE TRIGGER listen_items_match_new AFTER INSERT ON listen_items
      REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION listen_items_match_new();

    -- An item whose text or dates change: its matches are decided again (read/dismiss changes skip this).
    CREATE FUNCTION listen_items_match_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM listen_term_matches WHERE item_id = NEW.id;
      INSERT INTO listen_term_matches (term_id, item_id, fetched_at, sort_at, unread, dismissed)
      SELECT t.id, NEW.id, NEW.fetched_at, coalesce(NEW.published_at, NEW.fetched_at), NEW.read_at IS NULL AND NEW.dismissed_at IS NULL, NEW.dismissed_at IS NOT NULL
      FROM listen_terms t
      CROSS JOIN LATERAL (SELECT websearch_to_tsquery('english', t.query) AS q) tq
      WHERE t.project_id = NEW.project_id AND numnode(tq.q) > 0 AND NEW.search_vector @@ tq.q
      ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$;
    CREATE TRIGGER listen_items_match_changed AFTER UPDATE ON listen_items FOR EACH ROW
      WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.content_text IS DISTINCT FROM NEW.content_text
        OR OLD.fetched_at IS DISTINCT FROM NEW.fetched_at OR OLD.published_at IS DISTINCT FROM NEW.published_at
        OR OLD.project_id IS DISTINCT FROM NEW.project_id)
      EXECUTE FUNCTION listen_items_match_changed();

    -- Read, unread, dismissed, restored: the copies follow.
    CREATE FUNCTION listen_items_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE listen_term_matches SET unread = NEW.read_at IS NULL AND NEW.dismissed_at IS NULL, dismissed = NEW.dismissed_at IS NOT NULL
      WHERE item_id = NEW.id;
      RETURN NULL;
    END $$;
    CREATE TRIGGER listen_items_state_changed AFTER UPDATE ON listen_items FOR EACH ROW
      WHEN ((OLD.read_at IS NULL) IS DISTINCT FROM (NEW.read_at IS NULL) OR (OLD.dismissed_at IS NULL) IS DISTINCT FROM (NEW.dismissed_at IS NULL))
      EXECUTE FUNCTION listen_items_state_changed();

    -- A term whose query changes is not ready until its matches are rebuilt (the inbox asks the text index meanwhile).
    CREATE FUNCTION listen_terms_query_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.matches_ready := false;
      NEW.match_cursor := NULL;
      NEW.match_top := NULL;
      RETURN NEW;
    END $$;
    CREATE TRIGGER listen_terms_query_changed BEFORE UPDATE ON listen_terms FOR EACH ROW
      WHEN (OLD.query IS DISTINCT FROM NEW.query OR OLD.project_id IS DISTINCT FROM NEW.project_id)
      EXECUTE FUNCTION listen_terms_query_changed();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER IF EXISTS listen_terms_query_changed ON listen_terms;
    DROP TRIGGER IF EXISTS listen_items_state_changed ON listen_items;
    DROP TRIGGER IF EXISTS listen_items_match_changed ON listen_items;
    DROP TRIGGER IF EXISTS listen_items_match_new ON listen_items;
    DROP FUNCTION IF EXISTS listen_terms_query_changed(), listen_items_state_changed(), listen_items_match_changed(), listen_items_match_new();
    DROP TABLE IF EXISTS listen_term_matches;
    ALTER TABLE listen_terms DROP COLUMN IF EXISTS matches_ready, DROP COLUMN IF EXISTS match_cursor, DROP COLUMN IF EXISTS match_top;
  `.execute(db);
}
