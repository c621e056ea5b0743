// What other parts of the product hear about a post's life, through the job queue: every save or
// delete of a post queues `post:changed`; a minute sweep queues it for scheduled posts whose time has
// come (they go live by time alone, with no save). The task decides, from the row as it is when the job
// runs, what happened:
//   - `firstTime`: the post is public and had never been announced; `announced_at` is set in the same
//     transaction as the listeners' jobs are queued, so a post is announced once, whatever the retries,
//     servers or edits (email updates go out only then);
//   - otherwise a change to a post that is or was public (WebSub pings, webmentions for added or
//     removed links); listeners ignore posts that never were public.
// Listeners queue their own jobs in that transaction; they are wired in server/job-list.ts, so this
// domain depends on none of them.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import { enqueue } from '../jobs/queue.js';
import type { JobContext, JobHandler } from '../jobs/worker.js';
import { isPostPublic } from '../db/sql-helpers.js';

export interface PostChange {
  postId: number;
  projectId: number;
  /** Public at the job's time (the app clock). */
  publicNow: boolean;
  /** Became public for the first time: announce it (once). */
  firstTime: boolean;
  /** Was ever public (first_published_at set and reached): a change the outside world may have seen. */
  everPublic: boolean;
}

export type PostChangeListener = (tx: Tx, change: PostChange, context: JobContext) => Promise<void>;

export const POST_CHANGED = 'post:changed';
export const SWEEP_LIVE_POSTS = 'posts:sweep-live';

/** Queues the post's change for the listeners; call inside the transaction that saved or deleted it. */
export async function queuePostChanged(db: Db | Tx, postId: number): Promise<void> {
  // One waiting job per post: quick saves in a row make one check.
  await enqueue(db, POST_CHANGED, { postId }, { jobKey: `post-changed:${postId}` });
}

/** The `post:changed` task, telling each listener what happened. */
export function postChangedTask(listeners: PostChangeListener[]): JobHandler {
  return async (payload, context) => {
    const postId = Number(payload.postId);
    if (!Number.isSafeInteger(postId)) return;
    const now = context.clock.now();
    await context.db.transaction().execute(async (tx) => {
      const post = await tx
        .selectFrom('posts')
        .select(['id', 'project_id', 'status', 'published_at', 'first_published_at', 'deleted_at', 'announced_at'])
        .where('id', '=', postId)
        .forUpdate()
        .executeTakeFirst();
      if (!post) return;
      const publicNow = isPostPublic(post, now);
      const firstTime = publicNow && post.announced_at === null;
      if (firstTime) await tx.updateTable('posts').set({ announced_at: now }).where('id', '=', postId).execute();
      const everPublic = publicNow || post.announced_at !== null;
      const change: PostChange = { postId, projectId: post.project_id, publicNow, firstTime, everPublic };
      for (const listener of listeners) await listener(tx, change, context);
    });
  };
}

/** The minute sweep: scheduled posts that have gone live by time alone and were not announced. */
export const sweepLivePosts: JobHandler = async (_payload, context) => {
  const now = context.clock.now();
  const due = await context.db
    .selectFrom('posts')
    .select('id')
    .where('announced_at', 'is', null)
    .where('deleted_at', 'is', null)
    .where('status', 'in', ['published', 'scheduled'])
    .where('published_at', '<=', now)
    .limit(500)
    .execute();
  for (const { id } of due) await queuePostChanged(context.db, id);
};

/** For tests and tools: does the queue hold a waiting `post:changed` for this post? */
export async function hasQueuedPostChange(db: Db, postId: number): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = ${`post-changed:${postId}`}`.execute(db);
  return (rows[0]?.n ?? 0) > 0;
}
