// Links to conversations elsewhere that a team adds to a post by hand (the editor; the listening desk's
// "link from a post"). One home for the rule of what such a link may be, so both ways in agree.
import type { Db, Tx } from '../db/create-db.js';

export interface TeamLinkInput {
  postId: number;
  url: string;
  title: string;
  note?: string | null;
  addedBy: number | null;
  now: Date;
}

export type TeamLinkProblem = Partial<Record<'url' | 'title' | 'note', string>>;

/** What is wrong with a link a person typed, field by field (empty when nothing). */
export function teamLinkProblems(input: { url: string; title: string; note?: string | null }): TeamLinkProblem {
  const problems: TeamLinkProblem = {};
  let parsed: URL | undefined;
  try {
    parsed = new URL(input.url.trim());
  } catch {
    /* reported below */
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) problems.url = 'Enter the full address of the conversation, starting with https:// or http://';
  else if (input.url.trim().length > 2000) problems.url = 'The address must be 2,000 characters or fewer.';
  if (!input.title.trim()) problems.title = 'Enter a title for the link.';
  else if (input.title.trim().length > 300) problems.title = 'The title must be 300 characters or fewer.';
  if ((input.note ?? '').length > 2000) problems.note = 'The note must be 2,000 characters or fewer.';
  return problems;
}

/** Adds (or, for the same URL on the same post, updates) a team-added link. Validate first. */
export async function addTeamLink(db: Db | Tx, input: TeamLinkInput): Promise<void> {
  const values = {
    post_id: input.postId,
    url: new URL(input.url.trim()).href,
    title: input.title.trim(),
    note: input.note?.trim() || null,
    added_by: input.addedBy,
    created_at: input.now,
  };
  await db
    .insertInto('post_links')
    .values(values)
    .onConflict((oc) => oc.columns(['post_id', 'url']).doUpdateSet({ title: values.title, note: values.note }))
    .execute();
}

export async function removeTeamLink(db: Db | Tx, postId: number, linkId: number): Promise<void> {
  await db.deleteFrom('post_links').where('post_id', '=', postId).where('id', '=', linkId).execute();
}

/** A post's team-added links, oldest first. */
export async function teamLinksOf(db: Db, postId: number) {
  return db.selectFrom('post_links').select(['id', 'url', 'title', 'note', 'created_at']).where('post_id', '=', postId).orderBy('created_at').orderBy('id').execute();
}
