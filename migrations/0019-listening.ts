// The listening desk (issue 20): feeds a project watches, the key terms it listens for, the items fetched
// from those feeds (other people's text, stored sanitized, shown to the team only, pruned after a
// project setting), and private feed tokens for the inbox. Frozen once shipped.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE listen_sources (
      id bigserial PRIMARY KEY,
      project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      url text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
      title text NOT NULL DEFAULT '' CHECK (length(title) <= 300),
      site_url text CHECK (length(site_url) <= 2000),
      -- 'all': every new item is in the inbox; 'matches': only items that match a key term.
      mode text NOT NULL DEFAULT 'all' CHECK (mode IN ('all', 'matches')),
      -- 'active' is polled; 'paused' by a person; 'gone' after 410 (the site removed the feed for good).
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'gone')),
      etag text,
      last_modified text,
      last_fetched_at timestamptz,
      last_new_item_at timestamptz,
      last_error text,
      last_error_at timestamptz,
      error_count integer NOT NULL DEFAULT 0,
      next_poll_at timestamptz,
      created_by bigint REFERENCES people (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (project_id, url)
    );

    CREATE TABLE listen_terms (
      id bigserial PRIMARY KEY,
      project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      query text NOT NULL CHECK (length(query) BETWEEN 1 AND 200),
      created_by bigint REFERENCES people (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (project_id, query)
    );

    CREATE TABLE listen_items (
      id bigserial PRIMARY KEY,
      project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      source_id bigint NOT NULL REFERENCES listen_sources (id) ON DELETE CASCADE,
      -- The feed's own id for the item (or its link, or a hash of its title), to see it only once.
      guid text NOT NULL CHECK (length(guid) <= 2000),
      url text CHECK (length(url) <= 2000),
      title text NOT NULL DEFAULT '' CHECK (length(title) <= 1000),
      author text NOT NULL DEFAULT '' CHECK (length(author) <= 300),
      -- Sanitized through server/markdown (sanitizeRemoteHtml); plain text for search beside it.
      content_html text NOT NULL DEFAULT '',
      content_text text NOT NULL DEFAULT '',
      published_at timestamptz,
      fetched_at timestamptz NOT NULL,
      read_at timestamptz,
      dismissed_at timestamptz,
      search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', content_text), 'C')
      ) STORED,
      UNIQUE (source_id, guid)
    );
    CREATE INDEX listen_items_inbox_idx ON listen_items (project_id, fetched_at DESC, id DESC);
    CREATE INDEX listen_items_unread_idx ON listen_items (project_id) WHERE read_at IS NULL AND dismissed_at IS NULL;
    CREATE INDEX listen_items_search_idx ON listen_items USING gin (search_vector);

    -- Private Atom feeds of a project's inbox, one per person and project, at a secret (revocable) URL.
    CREATE TABLE listen_feed_tokens (
      token_hash text PRIMARY KEY,
      person_id bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
      project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS listen_feed_tokens, listen_items, listen_terms, listen_sources`.execute(db);
}
