// The data model of the whole product (reading, teams, comments, moderation, feeds, search).
// Frozen: change the schema in a new migration, never here. Plain SQL, within PostgreSQL 15.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE people (
      id              bigserial PRIMARY KEY,
      handle          text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$'),
      display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
      bio             text NOT NULL DEFAULT '',
      email           text NOT NULL CHECK (email = lower(email)),
      password_hash   text,
      is_site_admin   boolean NOT NULL DEFAULT false,
      disabled_at     timestamptz,
      created_at      timestamptz NOT NULL DEFAULT now(),
      updated_at      timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX people_email_key ON people (email);

    CREATE TABLE projects (
      id               bigserial PRIMARY KEY,
      slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$'),
      title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
      summary          text NOT NULL DEFAULT '',
      description_md   text NOT NULL DEFAULT '',
      description_html text NOT NULL DEFAULT '',
      rendered_version integer NOT NULL DEFAULT 0,
      status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed', 'archived')),
      time_zone        text NOT NULL DEFAULT 'UTC',
      -- Comment rules and other per-project switches; read through one typed accessor in code.
      settings         jsonb NOT NULL DEFAULT '{}',
      created_at       timestamptz NOT NULL DEFAULT now(),
      updated_at       timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX projects_status_idx ON projects (status, title);

    CREATE TABLE memberships (
      project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
      role        text NOT NULL CHECK (role IN ('owner', 'editor', 'author', 'contributor', 'moderator')),
      position    integer NOT NULL DEFAULT 0,
      created_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (project_id, person_id)
    );
    CREATE INDEX memberships_person_idx ON memberships (person_id);

    CREATE TABLE posts (
      id                 bigserial PRIMARY KEY,
      project_id         bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      slug               text NOT NULL CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$'),
      title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
      summary            text NOT NULL DEFAULT '',
      body_md            text NOT NULL DEFAULT '',
      body_html          text NOT NULL DEFAULT '',
      rendered_version   integer NOT NULL DEFAULT 0,
      -- draft → review (a contributor asks) → scheduled/published; unpublished answers 410.
      status             text NOT NULL DEFAULT 'draft'
                           CHECK (status IN ('draft', 'review', 'scheduled', 'published', 'unpublished')),
      -- For scheduled posts, the time they become public; the public predicate compares it with now.
      published_at       timestamptz,
      -- Set once, at first publication: feed ids are minted from it and never change.
      first_published_at timestamptz,
      atom_id            text UNIQUE,
      comments_open      boolean NOT NULL DEFAULT true,
      -- Optimistic locking: a save names the version it started from.
      version            integer NOT NULL DEFAULT 1,
      created_by         bigint REFERENCES people (id) ON DELETE SET NULL,
      created_at         timestamptz NOT NULL DEFAULT now(),
      updated_at         timestamptz NOT NULL DEFAULT now(),
      deleted_at         timestamptz
    );
    CREATE UNIQUE INDEX posts_project_slug_key ON posts (project_id, slug) WHERE deleted_at IS NULL;
    -- The public listing: a project's visible posts, newest first.
    CREATE INDEX posts_public_idx ON posts (project_id, published_at DESC, id DESC)
      WHERE deleted_at IS NULL AND status IN ('published', 'scheduled');
    CREATE INDEX posts_site_public_idx ON posts (published_at DESC, id DESC)
      WHERE deleted_at IS NULL AND status IN ('published', 'scheduled');
    CREATE INDEX posts_project_status_idx ON posts (project_id, status) WHERE deleted_at IS NULL;

    CREATE TABLE post_authors (
      post_id    bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
      person_id  bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
      position   integer NOT NULL DEFAULT 0,
      PRIMARY KEY (post_id, person_id)
    );
    CREATE INDEX post_authors_person_idx ON post_authors (person_id, post_id);

    CREATE TABLE tags (
      id          bigserial PRIMARY KEY,
      project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      slug        text NOT NULL CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$'),
      name        text NOT NULL,
      UNIQUE (project_id, slug)
    );

    CREATE TABLE post_tags (
      post_id  bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
      tag_id   bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
      PRIMARY KEY (post_id, tag_id)
    );
    CREATE INDEX post_tags_tag_idx ON post_tags (tag_id, post_id);

    -- Old slugs of a post keep working as 301s to the current one.
    CREATE TABLE slug_redirects (
      project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      old_slug    text NOT NULL,
      post_id     bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
      created_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (project_id, old_slug)
    );

    CREATE TABLE post_revisions (
      id          bigserial PRIMARY KEY,
      post_id     bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
      person_id   bigint REFERENCES people (id) ON DELETE SET NULL,
      title       text NOT NULL,
      summary     text NOT NULL DEFAULT '',
      body_md     text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX post_revisions_post_idx ON post_revisions (post_id, id DESC);

    CREATE TABLE pages (
      id               bigserial PRIMARY KEY,
      project_id       bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      slug             text NOT NULL CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$'),
      title            text NOT NULL,
      body_md          text NOT NULL DEFAULT '',
      body_html        text NOT NULL DEFAULT '',
      rendered_version integer NOT NULL DEFAULT 0,
      version          integer NOT NULL DEFAULT 1,
      created_at       timestamptz NOT NULL DEFAULT now(),
      updated_at       timestamptz NOT NULL DEFAULT now(),
      UNIQUE (project_id, slug)
    );

    CREATE TABLE comments (
      id               bigserial PRIMARY KEY,
      post_id          bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
      parent_id        bigint REFERENCES comments (id) ON DELETE SET NULL,
      depth            smallint NOT NULL DEFAULT 1 CHECK (depth BETWEEN 1 AND 3),
      status           text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'approved', 'rejected', 'spam', 'deleted')),
      author_name      text NOT NULL,
      author_email     text NOT NULL,       -- private: never rendered on a public page
      person_id        bigint REFERENCES people (id) ON DELETE SET NULL,
      is_team_reply    boolean NOT NULL DEFAULT false,
      body_src         text NOT NULL,
      body_html        text NOT NULL,
      rendered_version integer NOT NULL DEFAULT 0,
      ip_hash          text,
      user_agent       text,
      hold_reasons     text[] NOT NULL DEFAULT '{}',
      created_at       timestamptz NOT NULL DEFAULT now(),
      updated_at       timestamptz NOT NULL DEFAULT now(),
      approved_at      timestamptz,
      decided_at       timestamptz
    );
    CREATE INDEX comments_post_approved_idx ON comments (post_id, created_at) WHERE status = 'approved';
    CREATE INDEX comments_status_idx ON comments (status, created_at);
    CREATE INDEX comments_email_idx ON comments (lower(author_email));

    -- Every moderation decision, append-only.
    CREATE TABLE moderation_log (
      id               bigserial PRIMARY KEY,
      comment_id       bigint REFERENCES comments (id) ON DELETE SET NULL,
      project_id       bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      actor_id         bigint REFERENCES people (id) ON DELETE SET NULL,
      action           text NOT NULL,
      reason           text,
      previous_status  text,
      new_status       text,
      previous_body    text,
      created_at       timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX moderation_log_project_idx ON moderation_log (project_id, id DESC);

    -- Uploaded images live in the database so app servers stay stateless.
    CREATE TABLE images (
      id            bigserial PRIMARY KEY,
      sha256        text NOT NULL UNIQUE,
      content_type  text NOT NULL,
      byte_size     integer NOT NULL,
      bytes         bytea NOT NULL,
      project_id    bigint REFERENCES projects (id) ON DELETE SET NULL,
      uploaded_by   bigint REFERENCES people (id) ON DELETE SET NULL,
      created_at    timestamptz NOT NULL DEFAULT now()
    );

    -- Server-side sessions behind an opaque cookie; the id is the SHA-256 of the cookie's token.
    CREATE TABLE sessions (
      id            text PRIMARY KEY,
      person_id     bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
      created_at    timestamptz NOT NULL DEFAULT now(),
      last_seen_at  timestamptz NOT NULL DEFAULT now(),
      expires_at    timestamptz NOT NULL,
      ip            text,
      user_agent    text
    );
    CREATE INDEX sessions_person_idx ON sessions (person_id);

    -- One-time set-password links; only the SHA-256 of the token is stored.
    CREATE TABLE password_tokens (
      token_hash   text PRIMARY KEY,
      person_id    bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
      created_by   bigint REFERENCES people (id) ON DELETE SET NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      expires_at   timestamptz NOT NULL,
      used_at      timestamptz
    );

    -- Login throttling, per account and per address, shared by every app server.
    CREATE TABLE login_throttle (
      key              text PRIMARY KEY,
      failures         integer NOT NULL DEFAULT 0,
      last_failure_at  timestamptz NOT NULL DEFAULT now(),
      blocked_until    timestamptz
    );

    -- Private Atom feeds of a moderator's queue, at a secret (revocable) URL.
    CREATE TABLE moderator_feed_tokens (
      token_hash  text PRIMARY KEY,
      person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
      created_at  timestamptz NOT NULL DEFAULT now(),
      revoked_at  timestamptz
    );

    -- Site-wide switches (e.g. a pre-election pause on comments).
    CREATE TABLE site_settings (
      key         text PRIMARY KEY,
      value       jsonb NOT NULL,
      updated_at  timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE site_settings, moderator_feed_tokens, login_throttle, password_tokens, sessions, images,
      moderation_log, comments, pages, post_revisions, slug_redirects, post_tags, tags, post_authors,
      posts, memberships, projects, people CASCADE;
  `.execute(db);
}
