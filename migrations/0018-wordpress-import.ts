// The WordPress (WXR) import (issue 17): one row per import run with its progress and stored report,
// the uploaded export files kept as chunks in the database (so any server's worker can read them and a
// restarted job reads them again), and the mapping from each WordPress item (keyed by the export's site
// and its WordPress id) to what it became here: what makes a second import create nothing twice, and
// what answers the old addresses with 301s.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE imports (
      id            bigserial PRIMARY KEY,
      project_id    bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
      dry_run       boolean NOT NULL DEFAULT false,
      options       jsonb NOT NULL DEFAULT '{}',
      file_names    text[] NOT NULL DEFAULT '{}',
      site          text,
      items_total   integer NOT NULL DEFAULT 0,
      items_done    integer NOT NULL DEFAULT 0,
      activity      text NOT NULL DEFAULT '',
      report        jsonb,
      error         text,
      created_by    bigint REFERENCES people (id) ON DELETE SET NULL,
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_at    timestamptz NOT NULL DEFAULT now(),
      finished_at   timestamptz
    );
    CREATE INDEX imports_project_idx ON imports (project_id, id DESC);

    CREATE TABLE import_chunks (
      import_id   bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
      file_index  integer NOT NULL,
      seq         integer NOT NULL,
      bytes       bytea NOT NULL,
      PRIMARY KEY (import_id, file_index, seq)
    );

    CREATE TABLE import_items (
      project_id   bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      site         text NOT NULL,
      kind         text NOT NULL CHECK (kind IN ('person', 'post', 'page', 'comment', 'ping', 'attachment', 'term')),
      wp_id        text NOT NULL,
      local_id     bigint,
      fingerprint  text NOT NULL DEFAULT '',
      old_url      text,
      old_path     text,
      old_slug     text,
      created_at   timestamptz NOT NULL DEFAULT now(),
      updated_at   timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (project_id, site, kind, wp_id)
    );
    CREATE INDEX import_items_old_path_idx ON import_items (project_id, old_path) WHERE old_path IS NOT NULL;
    CREATE INDEX import_items_old_slug_idx ON import_items (project_id, kind, old_slug) WHERE old_slug IS NOT NULL;
    CREATE INDEX import_items_wp_id_idx ON import_items (project_id, kind, wp_id);

    -- A commenter's web address (imported comments have one; WordPress asks for it).
    ALTER TABLE comments ADD COLUMN author_url text CHECK (author_url ~ '^https?://' AND length(author_url) <= 2000);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE comments DROP COLUMN IF EXISTS author_url; DROP TABLE IF EXISTS import_items; DROP TABLE IF EXISTS import_chunks; DROP TABLE IF EXISTS imports;`.execute(db);
}
