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
