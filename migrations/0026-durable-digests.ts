// Email updates, durable (issue 18): one row per digest run of the site (a period of a frequency),
// inserted once by whichever server's tick gets there first. Runs of one frequency never overlap (an
// exclusion constraint on the period, enforced by the database across servers) and each starts where
// the last one ended (server/email/digests.ts), so a digest missed while every server was down is sent
// when one comes back, and changing the digest time neither repeats nor skips a moment. The cursor of an
// existing site is its latest digest period. Also the account emails (set-password links, invitations)
// that the mail server refused, listed for site admins until one reaches that person. Frozen once shipped.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE email_digest_runs (
      id bigserial PRIMARY KEY,
      frequency text NOT NULL CHECK (frequency IN ('daily', 'weekly')),
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (period_end > period_start),
      UNIQUE (frequency, period_end),
      CONSTRAINT email_digest_runs_daily_no_overlap EXCLUDE USING gist (tstzrange(period_start, period_end) WITH &&) WHERE (frequency = 'daily'),
      CONSTRAINT email_digest_runs_weekly_no_overlap EXCLUDE USING gist (tstzrange(period_start, period_end) WITH &&) WHERE (frequency = 'weekly')
    );
    INSERT INTO email_digest_runs (frequency, period_start, period_end)
    SELECT DISTINCT ON (frequency) frequency, period_start, period_end FROM email_digests
    WHERE period_end > period_start
    ORDER BY frequency, period_end DESC;

    CREATE TABLE email_account_refusals (
      id bigserial PRIMARY KEY,
      person_id bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
      to_address text NOT NULL,
      what text NOT NULL CHECK (what IN ('password-link', 'invitation', 'team-note')),
      reason text NOT NULL CHECK (length(reason) <= 500),
      refused_at timestamptz NOT NULL
    );
    CREATE INDEX email_account_refusals_person_idx ON email_account_refusals (person_id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS email_account_refusals, email_digest_runs`.execute(db);
}
