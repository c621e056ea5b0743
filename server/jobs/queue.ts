// The one background-job mechanism: graphile-worker's queue in PostgreSQL (schema graphile_worker).
// Why this library: jobs live in the same database as the rows they act on, so a job is queued in the
// same transaction as the change that needs it (publish a post and queue its emails: both or neither);
// workers take jobs with SKIP LOCKED, so several servers share one queue without doing a job twice;
// failed jobs retry with exponential backoff; a job whose worker died is released and retried
// (after 4 hours by default, sooner for the tasks that set a shorter lock); cron items are taken once
// across all servers. Workers wake on LISTEN/NOTIFY, not by a polling loop of ours.
//
// This file is the writing side (queue a job, install the schema); server/jobs/worker.ts runs them;
// server/job-list.ts is the list of every task in the product.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';

export interface EnqueueOptions {
  /**
   * At most one waiting job per key: queueing again replaces the waiting one's payload and time
   * (e.g. 'post:42:websub'). A running job is not replaced; the new one waits for it.
   */
  jobKey?: string;
  /** Seconds from now (database time) before the job may run. */
  delaySeconds?: number;
  /** Tries before the job is left as failed (default 10; backoff is exp(attempt) seconds, capped). */
  maxAttempts?: number;
  /** Jobs in one named queue run one at a time, in order (e.g. one import per project). */
  queueName?: string;
  /** Lower runs first (default 0). */
  priority?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * Queues a job. Pass the transaction that makes the change the job acts on, so that both commit or
 * neither does. The payload is JSON; keep it to ids, never secrets.
 */
export async function enqueue(db: Db | Tx, task: string, payload: Record<string, unknown>, options: EnqueueOptions = {}): Promise<void> {
  const delay = Math.max(0, options.delaySeconds ?? 0);
  await sql`SELECT graphile_worker.add_job(
      identifier => ${task},
      payload => ${JSON.stringify(payload)}::json,
      queue_name => ${options.queueName ?? null}::text,
      run_at => now() + make_interval(secs => ${delay}::double precision),
      max_attempts => ${options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS}::int,
      job_key => ${options.jobKey ?? null}::text,
      priority => ${options.priority ?? 0}::int
    )`.execute(db);
}

/** Drops a waiting job by its key (a scheduled post unscheduled, say); a running one finishes. */
export async function dequeue(db: Db | Tx, jobKey: string): Promise<void> {
  await sql`SELECT graphile_worker.remove_job(${jobKey})`.execute(db);
}

export interface LockedJob {
  id: string;
  lockedBy: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
}

/** The jobs of one task that a worker has taken and not finished (their rows are locked by it). */
export async function lockedJobs(db: Db | Tx, task: string): Promise<LockedJob[]> {
  const { rows } = await sql<{ id: string; locked_by: string; payload: Record<string, unknown>; attempts: number; max_attempts: number }>`
    SELECT jobs.id::text AS id, jobs.locked_by, jobs.payload, jobs.attempts, jobs.max_attempts
    FROM graphile_worker._private_jobs jobs JOIN graphile_worker._private_tasks tasks ON tasks.id = jobs.task_id
    WHERE tasks.identifier = ${task} AND jobs.locked_at IS NOT NULL AND jobs.locked_by IS NOT NULL
    ORDER BY jobs.id`.execute(db);
  return rows.map((r) => ({ id: r.id, lockedBy: r.locked_by, payload: r.payload ?? {}, attempts: r.attempts, maxAttempts: r.max_attempts }));
}

/**
 * Releases one job (and its named queue) still locked by `lockedBy`, for a worker known to be gone (a
 * server killed with SIGKILL, or by the machine). graphile-worker itself releases a dead worker's jobs
 * only after 4 hours. The library's force_unlock_workers releases every job of a worker; this releases
 * just the one, so a live worker that merely lost one connection keeps its other jobs.
 */
export async function releaseJob(db: Db | Tx, jobId: string, lockedBy: string): Promise<boolean> {
  const { rows } = await sql<{ queue: number | null }>`
    UPDATE graphile_worker._private_jobs SET locked_at = NULL, locked_by = NULL
    WHERE id = ${jobId}::bigint AND locked_by = ${lockedBy}
    RETURNING job_queue_id AS queue`.execute(db);
  if (rows.length === 0) return false;
  const queue = rows[0]!.queue;
  if (queue !== null) {
    await sql`UPDATE graphile_worker._private_job_queues SET locked_at = NULL, locked_by = NULL WHERE id = ${queue} AND locked_by = ${lockedBy}`.execute(db);
  }
  return true;
}
