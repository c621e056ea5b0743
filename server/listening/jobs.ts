// The listening desk's background work (wired in server/job-list.ts):
//   listen:poll  — one watched feed, then its next poll is queued (poll.ts);
//   listen:heal  — every 5 minutes: an active source without a waiting poll job (lost, or a backup
//                  restored without the queue) gets one again, spread over a few minutes;
//   listen:match-term — a new or edited key term matched against the stored items, in batches (matches.ts);
//   listen:prune — daily: items older than the project's listeningKeepDays (default 180) are deleted.
import type { JobHandler } from '../jobs/worker.js';
import { pollSource, POLL_JOB_KEY_PREFIX, POLL_TASK, schedulePoll } from './poll.js';
import { healTermMatching } from './matches.js';
import { findSource, listSourcesWithoutJob, pruneItems } from './queries.js';

export { POLL_TASK };
export const HEAL_TASK = 'listen:heal';
export const PRUNE_TASK = 'listen:prune';
export const DEFAULT_KEEP_DAYS = 180;
const HEAL_BATCH = 1_000;

export const pollTask: JobHandler = async (payload, context) => {
  const sourceId = Number(payload.sourceId);
  if (!Number.isSafeInteger(sourceId) || sourceId <= 0) return;
  await pollSource(context, sourceId);
};

export const healTask: JobHandler = async (_payload, context) => {
  const ids = await listSourcesWithoutJob(context.db, POLL_JOB_KEY_PREFIX, HEAL_BATCH);
  for (const [index, id] of ids.entries()) {
    const source = await findSource(context.db, id);
    // Spread over up to 5 minutes so a thousand healed sources do not all come due at once.
    if (source) await schedulePoll(context.db, source, ids.length > 1 ? Math.floor((index / ids.length) * 300) : 0);
  }
  if (ids.length > 0) context.log.info({ event: 'listen_healed', sources: ids.length }, `queued polls again for ${ids.length} watched feeds that had none`);
  const terms = await healTermMatching(context.db, HEAL_BATCH);
  if (terms > 0) context.log.info({ event: 'listen_healed_terms', terms }, `queued the matching again for ${terms} key terms that had no job`);
};

export const pruneTask: JobHandler = async (_payload, context) => {
  const removed = await pruneItems(context.db, context.clock.now(), DEFAULT_KEEP_DAYS);
  if (removed > 0) context.log.info({ event: 'listen_pruned', items: removed }, `removed ${removed} old fetched items`);
};
