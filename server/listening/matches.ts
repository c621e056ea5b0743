// Key-term matches decided ahead of reading (issue 20; migration 0023). A stored item is matched against
// its project's terms by a database trigger, whatever stores it; a new or edited term is matched against
// the items already stored by the listen:match-term job, one bounded batch per job run, newest items
// first, each run queueing the next. Until a term's job has finished, its matches_ready is false and the
// inbox filtered by it asks the full-text index directly (same results, slower on a big inbox).
import type { Db, Tx } from '../db/create-db.js';
import { enqueue } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/worker.js';
import { insertTerm, listTermsNotReadyWithoutJob, matchTermStep, updateTermQuery } from './queries.js';

export const MATCH_TERM_TASK = 'listen:match-term';
export const MATCH_TERM_JOB_KEY_PREFIX = 'listen:term:';
/** Items checked per job run: a run takes well under a second on the benchmark's machine. */
export const MATCH_TERM_BATCH = 20_000;

export const matchTermJobKey = (termId: number) => `${MATCH_TERM_JOB_KEY_PREFIX}${termId}`;

/** Queues (the next step of) finding a term's matches among the stored items. */
export async function scheduleTermMatching(db: Db | Tx, termId: number): Promise<void> {
  await enqueue(db, MATCH_TERM_TASK, { termId }, { jobKey: matchTermJobKey(termId) });
}

/** Adds a key term and queues the search of the items already stored; undefined when it exists already. */
export async function addTerm(db: Db, projectId: number, query: string, createdBy: number | null, now: Date): Promise<number | undefined> {
  return db.transaction().execute(async (tx) => {
    const id = await insertTerm(tx, projectId, query, createdBy, now);
    if (id !== undefined) await scheduleTermMatching(tx, id);
    return id;
  });
}

/** Changes a term's query; its matches are found again. False when there is no such term or the project already has that query. */
export async function editTerm(db: Db, projectId: number, termId: number, query: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const changed = await updateTermQuery(tx, projectId, termId, query);
    if (changed) await scheduleTermMatching(tx, termId);
    return changed;
  });
}

export const matchTermTask: JobHandler = async (payload, context) => {
  const termId = Number(payload.termId);
  if (!Number.isSafeInteger(termId) || termId <= 0) return;
  await context.db.transaction().execute(async (tx) => {
    const step = await matchTermStep(tx, termId, MATCH_TERM_BATCH);
    if (step === 'more') await scheduleTermMatching(tx, termId);
  });
};

/** For the listen:heal sweep: terms still being matched whose job was lost get one again. */
export async function healTermMatching(db: Db, limit: number): Promise<number> {
  const ids = await listTermsNotReadyWithoutJob(db, MATCH_TERM_JOB_KEY_PREFIX, limit);
  for (const id of ids) await scheduleTermMatching(db, id);
  return ids.length;
}
