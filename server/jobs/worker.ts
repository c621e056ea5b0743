// Runs the queued jobs (server/jobs/queue.ts) in this process. Every server runs one worker; they share
// the queue safely (SKIP LOCKED), so adding servers adds workers. Tasks are plain functions that get a
// JobContext (what they use: db, config, clock, site settings, a logger), never the web app, so a task
// can be run and tested without the HTTP side. The task list and cron schedule are in server/job-list.ts.
//
// Faults: a task that throws is retried with backoff (the library's exp(attempts) seconds) up to its
// max attempts, and each failure is logged as a `job_failed` event; a database restart makes the
// worker's queries fail until it is back (logged, retried by the library's poll); when the library
// stops its runner for good (its cron could not reach the database), a new one is started with backoff
// (`job_worker_stopped`, `job_worker_restarted`); on shutdown the worker stops taking jobs and waits for
// the running ones.
import type { FastifyBaseLogger } from 'fastify';
import { Logger, parseCronItems, run, runOnce, type CronItem, type Runner, type TaskList } from 'graphile-worker';
import type { Config } from '../config.js';
import type { Db } from '../db/create-db.js';
import { poolOf } from '../db/create-db.js';
import { isDatabaseUnavailable, isStorageFull } from '../errors.js';
import { enqueue } from './queue.js';

export interface JobContext {
  db: Db;
  config: Config;
  /** The app's clock (tests move it); the queue itself runs on the database's time. */
  clock: { now(): Date };
  log: FastifyBaseLogger;
  /**
   * One of this site's own public pages or feeds as an anonymous reader gets it (WebSub delivers a
   * feed's current content). Not the web app itself: a GET through its routes, in process.
   */
  readOwnPage?: (path: string) => Promise<{ status: number; contentType: string; body: Buffer }>;
}

export interface JobInfo {
  id: string;
  attempts: number;
  maxAttempts: number;
  /** This is the last try: a task may record a permanent failure instead of throwing again. */
  lastAttempt: boolean;
  /** Aborted when the server is stopping (5 s after SIGTERM): long tasks stop and throw, to be retried. */
  signal?: AbortSignal;
}

export type JobHandler = (payload: Record<string, unknown>, context: JobContext, job: JobInfo) => Promise<void>;

export interface JobDefinitions {
  tasks: Record<string, JobHandler>;
  /** Cron items (server time is the database's): `{ task, match: '*\/5 * * * *', identifier }`. */
  cron?: Array<{ task: string; match: string; identifier?: string; payload?: Record<string, unknown> }>;
  /** Tasks queued once each time a worker starts (once across servers starting together: one job key). */
  atStart?: string[];
}

export interface JobWorkerOptions {
  context: JobContext;
  definitions: JobDefinitions;
  /** Jobs run at once by this server (JOB_CONCURRENCY). */
  concurrency: number;
  /** How often the worker looks for due jobs when no NOTIFY woke it (scheduled jobs), in ms. */
  pollIntervalMs?: number;
}

export class JobWorker {
  private runner: Runner | undefined;
  private started = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly taskList: TaskList;

  constructor(private readonly options: JobWorkerOptions) {
    const { context } = options;
    this.taskList = Object.fromEntries(
      Object.entries(options.definitions.tasks).map(([name, handler]) => [
        name,
        async (payload: unknown, helpers) => {
          const job = helpers.job;
          await handler((payload ?? {}) as Record<string, unknown>, context, {
            id: String(job.id),
            attempts: job.attempts,
            maxAttempts: job.max_attempts,
            lastAttempt: job.attempts >= job.max_attempts,
            signal: helpers.abortSignal,
          });
        },
      ]),
    );
  }

  /** Starts taking jobs (and running cron items) until stop(). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    guardBackgroundDatabaseErrors(this.options.context.log);
    await this.launch();
  }

  private async launch(): Promise<void> {
    const { context } = this.options;
    const cron: CronItem[] = (this.options.definitions.cron ?? []).map((item) => ({
      task: item.task,
      match: item.match,
      identifier: item.identifier ?? item.task,
      payload: item.payload ?? {},
      // After downtime run a missed item once, not once per missed minute.
      options: { backfillPeriod: 0, maxAttempts: 3, jobKey: `cron:${item.identifier ?? item.task}`, jobKeyMode: 'replace' },
    }));
    const runner = await run({
      pgPool: poolOf(context.db),
      concurrency: this.options.concurrency,
      pollInterval: this.options.pollIntervalMs ?? 2_000,
      noHandleSignals: true,
      taskList: this.taskList,
      parsedCronItems: parseCronItems(cron),
      logger: jobLogger(context.log),
    });
    if (!this.started) {
      await runner.stop(); // stop() was called while this one was starting
      return;
    }
    this.runner = runner;
    this.restarts = 0;
    for (const task of this.options.definitions.atStart ?? []) {
      await enqueue(context.db, task, {}, { jobKey: `start:${task}` }).catch((err: unknown) =>
        context.log.warn({ event: 'job_not_queued', task, err }, `could not queue ${task} at the worker's start`),
      );
    }
    // One structured event per failed try; `final` when no try is left (the job stays, failed, in
    // graphile_worker.jobs for an operator to read).
    runner.events.on('job:error', ({ job, error }) => {
      const final = job.attempts >= job.max_attempts;
      const fields = { event: 'job_failed', task: job.task_identifier, jobId: String(job.id), attempts: job.attempts, maxAttempts: job.max_attempts, final, err: error };
      if (final) context.log.error(fields, `job ${job.task_identifier} failed for the last time (try ${job.attempts} of ${job.max_attempts})`);
      else context.log.warn(fields, `job ${job.task_identifier} failed (try ${job.attempts} of ${job.max_attempts}); it will be retried`);
    });
    // The library stops its runner for good when its cron cannot reach the database at a minute's
    // turn (a restart, a full disk): this server would then run no job again. Start a new one.
    runner.promise.then(
      () => {},
      (err: unknown) => {
        if (this.runner !== runner) return; // stopped on purpose
        this.runner = undefined;
        this.launchLater(err);
      },
    );
  }

  /** Starts a new runner after a backoff (1 s, doubling, at most 30 s), again until one starts. */
  private launchLater(err: unknown): void {
    if (!this.started) return;
    const delayMs = Math.min(30_000, 1_000 * 2 ** this.restarts++);
    this.options.context.log.error({ event: 'job_worker_stopped', err, restartInMs: delayMs }, `the job worker stopped after an error; starting it again in ${delayMs / 1000} s`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.started) return;
      this.launch().then(
        () => this.runner && this.options.context.log.info({ event: 'job_worker_restarted' }, 'the job worker is running again'),
        (error: unknown) => this.launchLater(error),
      );
    }, delayMs);
    this.restartTimer.unref();
  }

  /** Stops taking jobs and waits for those running. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const runner = this.runner;
    this.runner = undefined;
    await runner?.stop();
  }

  /** Runs every job that is due now, then returns (tests, and the CLI's one-off work). */
  async runUntilIdle(): Promise<void> {
    await runOnce({ pgPool: poolOf(this.options.context.db), concurrency: 1, taskList: this.taskList, logger: jobLogger(this.options.context.log) });
  }
}

let guardedProcess = false;

/**
 * graphile-worker's runner leaves promises derived from its cron and worker pool without a handler
 * (runner.js: `cron.promise.finally(…)`): when the database is away at a cron minute's turn they reject,
 * and Node ends a process on an unhandled rejection. That was "a database restart, or a full disk, at
 * the wrong second kills the server". Those rejections are database outages, which the runner's
 * restart above recovers from: they are logged and the process stays up. Any other unhandled rejection
 * still ends the process, as before.
 */
function guardBackgroundDatabaseErrors(log: FastifyBaseLogger): void {
  if (guardedProcess) return;
  guardedProcess = true;
  process.on('unhandledRejection', (reason) => {
    if (isDatabaseUnavailable(reason) || isStorageFull(reason)) {
      log.warn({ event: 'background_database_error', err: reason }, 'a background database call failed (the database is away or full); the server keeps running');
      return;
    }
    throw reason;
  });
}

// graphile-worker's log lines into ours, with its scope (task, job id) as fields.
function jobLogger(log: FastifyBaseLogger): Logger {
  return new Logger((scope) => (level, message, meta) => {
    const fields = { event: 'job_queue', ...scope, ...(meta ?? {}) };
    // Task failures are logged once by the job:error listener above; the library's own line is detail.
    if (level === 'error' && !('taskIdentifier' in fields)) log.error(fields, message);
    else if (level === 'error' || level === 'warning') log.warn(fields, message);
    else if (level === 'info') log.debug(fields, message);
    else log.trace(fields, message);
  });
}
