// SQL for comments as the public sees them: approved only, threaded. Private fields (email, address
// hash) are never selected here.
import type { Db } from '../db/create-db.js';

export interface PublicComment {
  id: number;
  parentId: number | null;
  depth: number;
  authorName: string;
  isTeamReply: boolean;
  authorHandle: string | null;
  bodyHtml: string;
  createdAt: Date;
  replies: PublicComment[];
}

export async function listApprovedComments(db: Db, postId: number): Promise<PublicComment[]> {
  const rows = await db
    .selectFrom('comments')
    .leftJoin('people', 'people.id', 'comments.person_id')
    .select([
      'comments.id',
      'comments.parent_id',
      'comments.depth',
      'comments.author_name',
      'comments.is_team_reply',
      'people.handle',
      'comments.body_html',
      'comments.created_at',
    ])
    .where('comments.post_id', '=', postId)
    .where('comments.status', '=', 'approved')
    .orderBy('comments.created_at')
    .orderBy('comments.id')
    .execute();
  return threadComments(
    rows.map((r) => ({
      id: r.id,
      parentId: r.parent_id,
      depth: r.depth,
      authorName: r.author_name,
      isTeamReply: r.is_team_reply,
      authorHandle: r.is_team_reply ? r.handle : null,
      bodyHtml: r.body_html,
      createdAt: r.created_at,
      replies: [],
    })),
  );
}

/**
 * Builds the reply tree from a flat, oldest-first list. A reply whose parent is not shown (held,
 * rejected) is lifted to the nearest shown level so that an approved comment is never hidden.
 */
export function threadComments(flat: PublicComment[]): PublicComment[] {
  const byId = new Map(flat.map((c) => [c.id, c]));
  const roots: PublicComment[] = [];
  for (const c of flat) {
    const parent = c.parentId !== null ? byId.get(c.parentId) : undefined;
    if (parent) parent.replies.push(c);
    else roots.push(c);
  }
  return roots;
}

export async function countApprovedComments(db: Db, postId: number): Promise<number> {
  const row = await db
    .selectFrom('comments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('post_id', '=', postId)
    .where('status', '=', 'approved')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** For openness: how many comments on a post were not published under the comment policy. */
export async function countWithheldComments(db: Db, postId: number): Promise<number> {
  const row = await db
    .selectFrom('comments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('post_id', '=', postId)
    .where('status', 'in', ['rejected', 'spam'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
