// The listening desk, second part (issue 20): WebSub subscriptions of watched feeds (the subscriber side,
// so a feed's updates arrive when published, polling staying the fallback) and the daily email of new
// matches (a per-member per-project choice; one email per member, project and day, enforced here by a
// unique key). Frozen once shipped.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE listen_websub (
      id bigserial PRIMARY KEY,
      -- NULL once the source was removed: the row lives on until the hub confirms the unsubscription.
      source_id bigint UNIQUE REFERENCES listen_sources (id) ON DELETE SET NULL,
      hub text NOT NULL CHECK (hub ~ '^https?://' AND length(hub) <= 2000),
      topic text NOT NULL CHECK (topic ~ '^https?://' AND length(topic) <= 2000),
      -- The unguessable part of the callback URL (/listening/websub/<token>), and the hub.secret.
      token text NOT NULL UNIQUE CHECK (length(token) BETWEEN 32 AND 100),
      secret text NOT NULL CHECK (length(secret) BETWEEN 32 AND 199),
      -- 'subscribing': asked, not yet verified (also during a renewal); 'subscribed': the hub verified;
      -- 'unsubscribing': asked to stop (a removed or paused source); 'failed': the hub refused or failed.
      state text NOT NULL CHECK (state IN ('subscribing', 'subscribed', 'unsubscribing', 'failed')),
      lease_seconds integer,
      expires_at timestamptz,
      requested_at timestamptz NOT NULL,
      verified_at timestamptz,
      last_push_at timestamptz,
      last_error text CHECK (length(last_error) <= 500),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX listen_websub_expiry_idx ON listen_websub (expires_at) WHERE state = 'subscribed';

    -- Members who asked for the daily email of new matches, per project, and up to when they have had them.
    CREATE TABLE listen_email_prefs (
      person_id bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
      project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      -- Items fetched after this instant are "new" for the next email.
      sent_through timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (person_id, project_id)
    );

    -- One row per member, project and day (in the site's time zone): the database sends at most one.
    CREATE TABLE listen_email_sends (
      id bigserial PRIMARY KEY,
      person_id bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
      project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      day date NOT NULL,
      period_end timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'skipped', 'failed')),
      items integer NOT NULL DEFAULT 0,
      last_error text,
      sent_at timestamptz,
      UNIQUE (person_id, project_id, day)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS listen_email_sends, listen_email_prefs, listen_websub`.execute(db);
}
