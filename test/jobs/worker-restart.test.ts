// The job worker survives a database failure at the moment its cron schedules (each minute's turn).
// graphile-worker then stops its runner for good and leaves rejected promises unhandled, which ended the
// whole server (a database restart or a full disk at the wrong second took the site down). Here the real
// JobWorker runs in a process of its own; the test holds a lock on the cron's table so that the cron's
// query waits, then ends that query's connection as a database restart would. The process must stay up,
// say what happened, start a new runner, and run jobs again.
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/test-app.js';
import { waitUntil } from '../helpers/wait.js';

const fixture = path.join(import.meta.dirname, 'fixtures', 'worker-process.ts');
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('the job worker and a database failure at a cron minute', () => {
  it('keeps the process up, logs it, starts a new runner and runs jobs again', async () => {
    const t = await buildTestApp();
    const url = t.database.url;
    let output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    expect(await waitUntil(() => output.includes('worker ready'), 60_000), output).toBe(true);

    const locker = new pg.Client({ connectionString: url });
    const admin = new pg.Client({ connectionString: url });
    await locker.connect();
    await admin.connect();
    cleanups.push(() => locker.end().catch(() => {}), () => admin.end().catch(() => {}));
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE graphile_worker._private_known_crontabs IN ACCESS EXCLUSIVE MODE');
    // At the next minute's turn the cron's query waits on the lock: end its connection.
    let cronPid: number | undefined;
    const waiting = await waitUntil(async () => {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%known_crontabs%' AND pid <> pg_backend_pid()`,
      );
      cronPid = rows[0]?.pid;
      return cronPid !== undefined;
    }, 75_000, 250);
    expect(waiting, `the cron never queried its table; output:\n${output}`).toBe(true);
    await admin.query('SELECT pg_terminate_backend($1)', [cronPid]);
    await locker.query('ROLLBACK');

    expect(await waitUntil(() => output.includes('job_worker_stopped'), 30_000), output).toBe(true);
    expect(await waitUntil(() => output.includes('job_worker_restarted'), 30_000), output).toBe(true);
    expect(child.exitCode, output).toBeNull();
    await admin.query(`SELECT graphile_worker.add_job('mark')`);
    expect(await waitUntil(() => output.includes('ran mark'), 30_000), output).toBe(true);
    expect(child.exitCode, output).toBeNull();
  }, 180_000);
});
