// The pages a new project starts with, so that every link the site prints to them works from day one.
// The owners edit them like any other page. Migration 0011 gave existing projects the same policy page
// (with its own frozen copy of this text).

export const COMMENT_POLICY_SLUG = 'comment-policy';

export const DEFAULT_COMMENT_POLICY = {
  slug: COMMENT_POLICY_SLUG,
  title: 'Comment policy',
  body: `Comments are welcome. They are how we hear what we have missed, got wrong, or should look at next.

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
`,
} as const;
