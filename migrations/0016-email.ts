// Email updates (issue 18): addresses, their subscriptions (double opt-in), one delivery row per
// (address, post) whose UNIQUE constraint is the at-most-once guarantee across servers and crashes,
// one digest row per (address, frequency, period), the outbox used when no SMTP server is configured,
// and the form's throttle (per address and per client, counted here so it holds across servers).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE email_addresses (
      id bigserial PRIMARY KEY,
      address text NOT NULL UNIQUE CHECK (address = lower(address) AND length(address) BETWEEN 3 AND 254),
      hard_bounces int NOT NULL DEFAULT 0,
      last_bounce text,
      suspended_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE email_subscriptions (
      id bigserial PRIMARY KEY,
      address_id bigint NOT NULL REFERENCES email_addresses (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('project', 'tag', 'person', 'search')),
      project_id bigint REFERENCES projects (id) ON DELETE CASCADE,
      tag_id bigint REFERENCES tags (id) ON DELETE CASCADE,
      person_id bigint REFERENCES people (id) ON DELETE CASCADE,
      search jsonb,
      target_key text NOT NULL CHECK (length(target_key) <= 600),
      frequency text NOT NULL CHECK (frequency IN ('each', 'daily', 'weekly')),
      confirmed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (address_id, target_key)
    );
    CREATE INDEX email_subscriptions_project_idx ON email_subscriptions (project_id) WHERE confirmed_at IS NOT NULL;
    CREATE INDEX email_subscriptions_tag_idx ON email_subscriptions (tag_id) WHERE confirmed_at IS NOT NULL;
    CREATE INDEX email_subscriptions_person_idx ON email_subscriptions (person_id) WHERE confirmed_at IS NOT NULL;
    CREATE INDEX email_subscriptions_search_idx ON email_subscriptions (kind) WHERE kind = 'search' AND confirmed_at IS NOT NULL;

    CREATE TABLE email_deliveries (
      id bigserial PRIMARY KEY,
      address_id bigint NOT NULL REFERENCES email_addresses (id) ON DELETE CASCADE,
      post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped', 'unknown')),
      claim_token text,
      claimed_at timestamptz,
      sent_at timestamptz,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (address_id, post_id)
    );
    CREATE INDEX email_deliveries_sending_idx ON email_deliveries (claimed_at) WHERE status = 'sending';

    CREATE TABLE email_digests (
      id bigserial PRIMARY KEY,
      address_id bigint NOT NULL REFERENCES email_addresses (id) ON DELETE CASCADE,
      frequency text NOT NULL CHECK (frequency IN ('daily', 'weekly')),
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped', 'unknown')),
      claim_token text,
      claimed_at timestamptz,
      sent_at timestamptz,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (address_id, frequency, period_end)
    );

    CREATE TABLE email_outbox (
      id bigserial PRIMARY KEY,
      to_address text NOT NULL,
      subject text NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}',
      text_body text NOT NULL,
      html_body text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX email_outbox_created_idx ON email_outbox (created_at DESC);

    CREATE TABLE email_throttle (
      key text NOT NULL,
      at timestamptz NOT NULL
    );
    CREATE INDEX email_throttle_key_idx ON email_throttle (key, at);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS email_throttle, email_outbox, email_digests, email_deliveries, email_subscriptions, email_addresses`.execute(db);
}
