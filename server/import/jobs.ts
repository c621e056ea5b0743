// The import as a background job (server/jobs): `import:wxr` with { importId }. The export files were
// staged in import_chunks when the import was asked for (CLI or web page), so any server's worker can
// run it, and a retry after a crash reads them again and resumes after the last committed batch.
// A refusal (malformed file, a DOCTYPE, mixed sites) fails the import with its message, for good;
// anything else (the database went away) throws, and the queue retries it.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import { enqueue } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/worker.js';
import { loadSiteIdentity } from '../site/identity.js';
import type { ImportReport } from './importer.js';
import { checkedExport } from './upload-check.js';
import { countItems, ImportRefused, runImport, type ImportOptions, type ImportSource } from './run.js';

export const IMPORT_WXR = 'import:wxr';
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

export const importWxrTask: JobHandler = async (payload, context, job) => {
  const importId = Number(payload.importId);
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
};
