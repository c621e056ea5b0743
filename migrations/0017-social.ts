// The social web (issue 19): webmentions received (verified, then moderated as comments), webmentions
// sent (what was sent to whom, per post), WebSub subscriptions to the built-in hub, and page-cache
// notifications for the "Responses elsewhere" section (team-added links). Plain PostgreSQL 15.
//
// A verified webmention becomes a row in `comments` with `webmention_id` set, so it takes the one
// moderation path (rules, queue, decisions, log, concurrency) that comments take; public comment
// listings leave those rows out, and the "Responses elsewhere" section shows them.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE webmentions (
      id            bigserial PRIMARY KEY,
      -- The status URL's secret part: who sent it may read what became of it, nobody can enumerate.
      token         text NOT NULL UNIQUE,
      source        text NOT NULL CHECK (source ~ '^https?://' AND length(source) <= 2000),
      target        text NOT NULL CHECK (length(target) <= 2000),
      post_id       bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
      -- pending: waiting for verification; verified: the source links here (then moderated as a comment);
      -- rejected: it does not (reason says why); removed: the source went away or stopped linking.
      status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'rejected', 'removed')),
      reason        text,
      kind          text CHECK (kind IN ('reply', 'like', 'repost', 'bookmark', 'mention')),
      author_name   text,
      author_url    text,
      published_at  timestamptz,
      received_at   timestamptz NOT NULL,
      checked_at    timestamptz,
      UNIQUE (source, post_id)
    );
    CREATE INDEX webmentions_post_idx ON webmentions (post_id);

    ALTER TABLE comments ADD COLUMN webmention_id bigint UNIQUE REFERENCES webmentions (id) ON DELETE CASCADE;
    -- The "Responses elsewhere" section reads a post's approved webmentions through this index.
    CREATE INDEX comments_post_webmention_idx ON comments (post_id, created_at) WHERE status = 'approved' AND webmention_id IS NOT NULL;

    -- Webmentions this site sent for a post's links: the last result per link; a link no longer in the
    -- post is sent once more (the receiver then sees it gone) and marked so.
    CREATE TABLE webmention_sends (
      id            bigserial PRIMARY KEY,
      post_id       bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
      target        text NOT NULL CHECK (length(target) <= 2000),
      still_linked  boolean NOT NULL DEFAULT true,
      outcome       text NOT NULL CHECK (outcome IN ('sent', 'no-endpoint', 'failed')),
      endpoint      text,
      http_status   integer,
      message       text NOT NULL DEFAULT '',
      sent_at       timestamptz NOT NULL,
      UNIQUE (post_id, target)
    );

    -- Subscribers of the built-in WebSub hub. Only verified subscriptions are stored.
    CREATE TABLE websub_subscriptions (
      id             bigserial PRIMARY KEY,
      topic          text NOT NULL CHECK (length(topic) <= 2000),
      callback       text NOT NULL CHECK (callback ~ '^https?://' AND length(callback) <= 2000),
      secret         text CHECK (length(secret) < 200),
      lease_seconds  integer NOT NULL,
      expires_at     timestamptz NOT NULL,
      created_at     timestamptz NOT NULL,
      updated_at     timestamptz NOT NULL,
      UNIQUE (topic, callback)
    );
    CREATE INDEX websub_subscriptions_topic_idx ON websub_subscriptions (topic, expires_at);

    -- Team-added links show on the public post page at once.
    CREATE TRIGGER pb_cache_notify AFTER INSERT OR UPDATE OR DELETE ON post_links
      FOR EACH ROW EXECUTE FUNCTION pb_cache_notify('post_id');
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER IF EXISTS pb_cache_notify ON post_links;
    DROP TABLE IF EXISTS websub_subscriptions;
    DROP TABLE IF EXISTS webmention_sends;
    ALTER TABLE comments DROP COLUMN IF EXISTS webmention_id;
    DROP TABLE IF EXISTS webmentions;
  `.execute(db);
}
