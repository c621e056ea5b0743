// "Responses elsewhere": links to conversations on other sites that a team adds to a post by hand (from
// the editor, or from the listening desk's inbox). Shown under the post beside received webmentions,
// marked as added by the team. Team-added, so public as soon as added; removable.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE post_links (
      id bigserial PRIMARY KEY,
      post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
      url text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
      note text CHECK (length(note) <= 2000),
      added_by bigint REFERENCES people (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (post_id, url)
    );
    CREATE INDEX post_links_post_idx ON post_links (post_id, created_at);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS post_links`.execute(db);
}
