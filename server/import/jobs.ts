// The import as a background job (server/jobs): `import:wxr` with { importId }. The export files were
// staged in import_chunks when the import was asked for (CLI or web page), so any server's worker can
// run it, and a retry after a crash reads them again and resumes after the last committed batch.
// A refusal (malformed file, a DOCTYPE, mixed sites) fails the import with its message, for good;
// anything else (the database went away) throws, and the queue retries it.
// A run holds a session advisory lock on a connection of its own for as long as it runs: PostgreSQL drops
// it the moment the process dies (SIGKILL, the machine), so `import:reclaim` (at each worker's start and
// every minute) can tell a dead run's job from a live one and release it at once, instead of the queue's
// 4 hours. The lock also means one import never runs twice at once.
import { sql } from 'kysely';
import type pg from 'pg';
import { poolOf, type Db, type Tx } from '../db/create-db.js';
import { enqueue, lockedJobs, releaseJob } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/worker.js';
import { loadSiteIdentity } from '../site/identity.js';
import type { ImportReport } from './importer.js';
import { checkedExport } from './upload-check.js';
import { countItems, ImportRefused, runImport, type ImportOptions, type ImportSource } from './run.js';

export const IMPORT_WXR = 'import:wxr';
export const IMPORT_RECLAIM = 'import:reclaim';
/** The first key of the runs' advisory locks (the second is the import's id): "wxr1". */
export const RUN_LOCK = 0x77787231;
export const CHUNK_BYTES = 1024 * 1024;

/** An upload over its limit: the transaction staging it is rolled back, nothing of it is kept. */
export class UploadTooLarge extends Error {}

type StagedFile = { name: string; chunks: AsyncIterable<Buffer | Uint8Array> };

/**
 * Creates an import, stages its files chunk by chunk (1 MB rows, never a whole file in memory) and queues
 * its job, all in one transaction: a file over `maxBytes` (all files together), or any failure while
 * reading them, rolls everything back; a file that is not an export is refused (UploadRefused) before
 * anything is imported. `files` may be produced as they arrive (a streamed upload), and the
 * options may be known only once they have (form fields after the file).
 */
export async function createImport(
  db: Db,
  input: { projectId: number; createdBy: number | null; options: ImportOptions | (() => ImportOptions); files: Iterable<StagedFile> | AsyncIterable<StagedFile>; maxBytes?: number },
): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('imports')
      .values({ project_id: input.projectId, created_by: input.createdBy })
      .returning('id')
      .executeTakeFirstOrThrow();
    const names: string[] = [];
    const budget = { left: input.maxBytes ?? Number.POSITIVE_INFINITY };
    for await (const file of input.files) {
      // Recognised (and decompressed, or transcoded to UTF-8) as it is staged: see upload-check.ts.
      await stageFile(tx, row.id, names.length, checkedExport(file.name, file.chunks), budget);
      names.push(file.name);
    }
    const options = typeof input.options === 'function' ? input.options() : input.options;
    await tx.updateTable('imports').set({ dry_run: options.dryRun ?? false, options: JSON.stringify(options), file_names: names }).where('id', '=', row.id).execute();
    await enqueue(tx, IMPORT_WXR, { importId: row.id }, { jobKey: `import:${row.id}`, queueName: `import:project:${input.projectId}`, maxAttempts: 5 });
    return row.id;
  });
}

async function stageFile(tx: Tx, importId: number, fileIndex: number, chunks: AsyncIterable<Buffer | Uint8Array>, budget: { left: number }): Promise<void> {
  let seq = 0;
  let pending: Buffer[] = [];
  let size = 0;
  const write = async () => {
    if (size === 0) return;
    const bytes = Buffer.concat(pending);
    pending = [];
    size = 0;
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
      await tx.insertInto('import_chunks').values({ import_id: importId, file_index: fileIndex, seq: seq++, bytes: bytes.subarray(at, at + CHUNK_BYTES) }).execute();
    }
  };
  for await (const chunk of chunks) {
    budget.left -= chunk.length;
    if (budget.left < 0) throw new UploadTooLarge('over the limit');
    pending.push(Buffer.from(chunk));
    size += chunk.length;
    if (size >= CHUNK_BYTES) await write();
  }
  await write();
}

/** A staged file read back one chunk at a time (never all of it in memory). */
function stagedSource(db: Db, importId: number, fileIndex: number, name: string): ImportSource {
  return {
    name,
    chunks: async function* () {
      for (let seq = 0; ; seq++) {
        const row = await db.selectFrom('import_chunks').select('bytes').where('import_id', '=', importId).where('file_index', '=', fileIndex).where('seq', '=', seq).executeTakeFirst();
        if (!row) return;
        yield row.bytes;
      }
    },
  };
}

/** A run's hold on its import: lost when its connection ends (then the run stops at its next batch). */
interface RunLock {
  lost(): boolean;
  release(): Promise<void>;
}

/** Takes the import's run lock on a connection kept for the run; undefined if a live run holds it. */
async function takeRunLock(db: Db, importId: number): Promise<RunLock | undefined> {
  const client: pg.PoolClient = await poolOf(db).connect();
  let lost = false;
  const gone = () => {
    lost = true;
  };
  client.on('error', gone);
  client.on('end', gone);
  const done = (broken: boolean) => {
    client.off('error', gone);
    client.off('end', gone);
    client.release(broken);
  };
  try {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [RUN_LOCK, importId]);
    if (!rows[0]?.ok) {
      done(false);
      return undefined;
    }
  } catch (e) {
    done(true);
    throw e;
  }
  return {
    lost: () => lost,
    async release() {
      if (lost) return done(true);
      try {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [RUN_LOCK, importId]);
        done(false);
      } catch {
        done(true); // the connection went: PostgreSQL released the lock with it
      }
    },
  };
}

/** A run whose lock's connection ended: it stops (its batch rolled back) and the queue retries it. */
class RunLockLost extends Error {}

export const importWxrTask: JobHandler = async (payload, context, job) => {
  const importId = Number(payload.importId);
  const { db } = context;
  // Taken first, before anything is read: import:reclaim releases a taken job whose lock is free.
  const runLock = await takeRunLock(db, importId);
  if (!runLock) throw new Error(`Import ${importId} is being run by another process; this try waits for it.`);
  try {
    await runImportJob(importId, context, job, runLock);
  } finally {
    await runLock.release();
  }
};

async function runImportJob(importId: number, context: Parameters<JobHandler>[1], job: Parameters<JobHandler>[2], runLock: RunLock): Promise<void> {
  const { db } = context;
  const row = await db.selectFrom('imports').selectAll().where('id', '=', importId).executeTakeFirst();
  if (!row || row.status === 'done' || row.status === 'failed') return;
  const sources = row.file_names.map((name, i) => stagedSource(db, importId, i, name));
  let total = row.items_total;
  if (!total) {
    for (const s of sources) total += await countItems(s.chunks());
    await db.updateTable('imports').set({ items_total: total }).where('id', '=', importId).execute();
  }
  await db.updateTable('imports').set({ status: 'running', activity: row.items_done ? `Resuming after item ${row.items_done}` : 'Starting', updated_at: sql<Date>`now()` }).where('id', '=', importId).execute();
  const identity = await loadSiteIdentity(db, context.config.publicUrl, context.clock.now());
  const options = (row.options ?? {}) as ImportOptions;
  try {
    const report = await runImport(db, {
      projectId: row.project_id,
      sources,
      options,
      tagAuthority: identity.authority,
      now: context.clock.now(),
      allowPrivateFetch: context.config.allowPrivateFetch,
      wpOldSites: context.config.wpOldSites,
      importId,
      resumeFrom: row.dry_run ? 0 : row.items_done,
      report: row.dry_run ? undefined : ((row.report as ImportReport | null) ?? undefined),
      total,
      // Called as each batch is saved, inside its transaction: without the lock (its connection ended, so
      // import:reclaim may hand the job to another server) this run stops before committing more.
      onProgress: () => {
        if (runLock.lost()) throw new RunLockLost('The connection holding this import’s run lock ended; the import is retried.');
      },
    });
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('imports').set({ status: 'done', report: JSON.stringify(report), activity: 'Finished', finished_at: sql<Date>`now()`, updated_at: sql<Date>`now()` }).where('id', '=', importId).execute();
      await tx.deleteFrom('import_chunks').where('import_id', '=', importId).execute();
    });
  } catch (e) {
    const permanent = e instanceof ImportRefused;
    if (!permanent && !job.lastAttempt) throw e;
    const message = permanent ? (e as Error).message : `The import stopped after several tries: ${e instanceof Error ? e.message : String(e)}`;
    await db.updateTable('imports').set({ status: 'failed', error: message, activity: 'Stopped', finished_at: sql<Date>`now()`, updated_at: sql<Date>`now()` }).where('id', '=', importId).execute();
    context.log.warn({ event: 'import_failed', importId }, 'import failed');
  }
}

/**
 * Releases the jobs of imports whose run died with its process (the job is still taken, but no live
 * connection holds the run's lock), so that a worker takes them again now and they resume after their
 * last committed batch. One that had no try left is marked failed, with the reason.
 */
export const reclaimImportsTask: JobHandler = async (_payload, context) => {
  const { db } = context;
  for (const job of await lockedJobs(db, IMPORT_WXR)) {
    const importId = Number(job.payload.importId);
    if (!Number.isSafeInteger(importId)) continue;
    await db.transaction().execute(async (tx) => {
      // Free only if no run holds it: then the worker that took the job is gone. Held to the commit, so a
      // run starting meanwhile finds it taken and waits for its retry rather than racing this decision.
      const free = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${RUN_LOCK}, ${importId}) AS ok`.execute(tx);
      if (!free.rows[0]?.ok) return;
      if (!(await releaseJob(tx, job.id, job.lockedBy))) return;
      if (job.attempts >= job.maxAttempts) {
        await tx
          .updateTable('imports')
          .set({ status: 'failed', error: 'The import stopped after several tries: the server running it stopped each time.', activity: 'Stopped', finished_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
          .where('id', '=', importId)
          .where('status', 'in', ['queued', 'running'])
          .execute();
      }
      context.log.warn({ event: 'import_reclaimed', importId, jobId: job.id, worker: job.lockedBy }, 'an import whose server stopped mid-run was released to be resumed');
    });
  }
};
