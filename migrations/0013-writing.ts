// Issue 16, item 10 (writing): what an upload's image shows (alt text, or decorative on purpose), a post
// pinned to the top of its project's listing, and the note an editor leaves when sending a submitted post
// back to its contributor.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- NULL only for images uploaded before alt text was asked for; '' means decorative, chosen explicitly.
    ALTER TABLE images ADD COLUMN alt_text text;
    -- Pinned posts come first in their project's listing, most recently pinned first.
    ALTER TABLE posts ADD COLUMN pinned_at timestamptz;
    -- Set when an editor sends a post in review back to draft; cleared when it is submitted again.
    ALTER TABLE posts ADD COLUMN review_note text;
    ALTER TABLE posts ADD COLUMN review_note_by bigint REFERENCES people (id) ON DELETE SET NULL;
    CREATE INDEX posts_project_pinned_idx ON posts (project_id, pinned_at) WHERE pinned_at IS NOT NULL AND deleted_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS posts_project_pinned_idx;
    ALTER TABLE posts DROP COLUMN IF EXISTS review_note_by;
    ALTER TABLE posts DROP COLUMN IF EXISTS review_note;
    ALTER TABLE posts DROP COLUMN IF EXISTS pinned_at;
    ALTER TABLE images DROP COLUMN IF EXISTS alt_text;
  `.execute(db);
}
