// Two leftovers of email updates and the listening desk. Confirmation emails of subscribers that the
// mail server refused (a 5xx), listed for site admins at /admin/email as account emails are: which
// address (gone with it: ON DELETE CASCADE, so forgetting or pruning an address removes its refusals),
// what it asked for, the server's words, when. And WebSub pushes to the listening desk, stored when
// their signature is verified and read by the listen:websub-push job, so the hub is answered at once:
// one row per source and body (UNIQUE on the body's SHA-256), so a hub that retries adds nothing.
// Frozen once shipped.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE email_confirmation_refusals (
      id bigserial PRIMARY KEY,
      address_id bigint NOT NULL REFERENCES email_addresses (id) ON DELETE CASCADE,
      description text NOT NULL CHECK (length(description) <= 500),
      reason text NOT NULL CHECK (length(reason) <= 500),
      refused_at timestamptz NOT NULL
    );
    CREATE INDEX email_confirmation_refusals_address_idx ON email_confirmation_refusals (address_id);

    CREATE TABLE listen_websub_pushes (
      id bigserial PRIMARY KEY,
      source_id bigint NOT NULL REFERENCES listen_sources (id) ON DELETE CASCADE,
      websub_id bigint NOT NULL REFERENCES listen_websub (id) ON DELETE CASCADE,
      body bytea NOT NULL,
      body_sha256 text NOT NULL,
      content_type text NOT NULL,
      received_at timestamptz NOT NULL,
      UNIQUE (source_id, body_sha256)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS listen_websub_pushes, email_confirmation_refusals`.execute(db);
}
