// Issue 16, items 6 and 9. Every project gets a comment-policy page (every post links to it; before this
// only the demo projects had one, so new projects linked to a 404); the text is a frozen copy of
// server/projects/default-pages.ts, stored unrendered (rendered_version 0) so that the start-up re-render
// (markdown/rerender.ts) renders it with the current pipeline. And comments.edited_at: when a moderator
// last edited the text, so the public page can say "edited by the team"; filled from the log for past edits.
// And an index of the log's decisions by a person per comment: the public "N not published" counts spam
// only when a person marked it (comments/queries.ts: countWithheldComments).
import { sql, type Kysely } from 'kysely';

const POLICY = `Comments are welcome. They are how we hear what we have missed, got wrong, or should look at next.

## How comments are moderated

Depending on this project's settings, a comment may appear at once or be read by the project team first.
Comments with many links or certain words are held for a person to read. We aim to decide on held comments
within a few working days.

## What we will not publish

- abuse, threats, or discrimination against anyone
- personal information about someone else (names of members of the public, addresses, case details)
- advertising, spam, or links that have nothing to do with the post
- comments that are off-topic, or that name a member of staff who is not part of the discussion

We may edit a comment to remove personal information; an edited comment is marked as edited by the team.

## Your email address

We ask for your email address so that the team can contact you about your comment if they need to. It is
never shown publicly and never used for anything else.

*The project team can change this page.*
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    INSERT INTO pages (project_id, slug, title, body_md, body_html, rendered_version)
    SELECT pr.id, 'comment-policy', 'Comment policy', ${POLICY}, '', 0 FROM projects pr
     WHERE NOT EXISTS (SELECT 1 FROM pages pg WHERE pg.project_id = pr.id AND pg.slug = 'comment-policy')
  `.execute(db);
  await sql`ALTER TABLE comments ADD COLUMN edited_at timestamptz`.execute(db);
  await sql`
    UPDATE comments c SET edited_at = l.at
      FROM (SELECT comment_id, max(created_at) AS at FROM moderation_log WHERE action = 'edit' AND comment_id IS NOT NULL GROUP BY comment_id) l
     WHERE c.id = l.comment_id
  `.execute(db);
  await sql`CREATE INDEX moderation_log_person_decision_idx ON moderation_log (comment_id) WHERE actor_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS moderation_log_person_decision_idx`.execute(db);
  await sql`ALTER TABLE comments DROP COLUMN edited_at`.execute(db);
}
