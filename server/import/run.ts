// One import run, shared by the CLI and the web page: read the export files as a stream, apply the
// records in batches (one transaction each, with the progress and the report saved in the same
// transaction), so a crash or restart resumes after the last committed batch and the mapping table
// (import_items) makes anything redone harmless. A dry run applies everything inside one transaction
// that is rolled back: the same report, nothing written.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import { oldHostsFor, rewriteOldLinks } from './links.js';
import { createMediaStore } from './media.js';
import { attachmentInfoOf, emptyReport, WxrImporter, type AttachmentInfo, type ImportReport } from './importer.js';
import { readWxr, WxrError, type WxrItem, type WxrRecord } from './wxr-parser.js';
import { createConvertPool, defaultPoolSize, type ConvertPool } from './convert-pool.js';
import { announceNoCommentFeeds } from '../websub/back-catalogue.js';

export interface ImportSource {
  name: string;
  chunks: () => AsyncIterable<Buffer | Uint8Array>;
}

export interface ImportOptions {
  mediaDir?: string;
  fetchMedia?: boolean;
  dryRun?: boolean;
}

export interface ImportProgress {
  done: number;
  total: number;
  activity: string;
}

export interface RunInput {
  projectId: number;
  sources: ImportSource[];
  options: ImportOptions;
  tagAuthority: string;
  now: Date;
  allowPrivateFetch?: boolean;
  /** The WP_OLD_SITES setting: links to an old host mapped to this project are rewritten too. */
  wpOldSites?: string;
  /** The imports row to record progress in (the web page and the CLI's job); none for a CLI dry run. */
  importId?: number;
  /** Items already applied by an earlier, interrupted try. */
  resumeFrom?: number;
  report?: ImportReport;
  total?: number;
  onProgress?: (progress: ImportProgress) => void;
  /**
   * Worker threads converting and rendering posts and comments while this thread writes
   * (convert-pool.ts). 0: this thread does it all. Default: defaultPoolSize() for an export of
   * POOL_MIN_ITEMS items or more (starting the threads costs more than a small export saves).
   */
  workers?: number;
  /** A conversion taking longer ends its thread and its item is skipped (default 60 s; tests use less). */
  workerTimeoutMs?: number;
}

/** The smallest export for which the import starts its conversion threads by default. */
export const POOL_MIN_ITEMS = 200;

/** Refusals that retrying cannot fix (bad file, mixed sites): the import fails with this message. */
export class ImportRefused extends Error {}

export const BATCH_SIZE = 100;

class DryRunRollback extends Error {}

/**
 * Whether an error belongs to the item being applied (skip it, go on) rather than to the database or the
 * connection (fail the batch: the queue retries it). PostgreSQL's connection, resource, shutdown and
 * transaction-rollback classes (08, 53, 57, 58, 40) are the latter; so is anything the savepoint cannot
 * be rolled back after (checked by the caller).
 */
function isItemError(e: unknown): boolean {
  if (e instanceof DryRunRollback || e instanceof ImportRefused) return false;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(08|53|57|58|40)/.test(code)) return false;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return false; // ECONNRESET and other socket errors
  // pg-pool's own errors carry no code: no connection free in time, or the connection gone.
  if (e instanceof Error && /^(timeout exceeded when trying to connect|Connection terminated)/.test(e.message)) return false;
  return true;
}

/** Counts <item> elements without parsing: the progress total. */
export async function countItems(chunks: AsyncIterable<Buffer | Uint8Array>): Promise<number> {
  let count = 0;
  let tail = '';
  for await (const chunk of chunks) {
    const text = tail + Buffer.from(chunk).toString('latin1');
    count += (text.match(/<item[\s>]/g) ?? []).length;
    tail = text.slice(-5);
    // A match entirely inside the kept tail would be counted twice: the tail is shorter than "<item>".
  }
  return count;
}

/**
 * Every attachment in the export's files (a second streaming read, done only when a post has a
 * [gallery]): galleries name images that the export may list after the post. A file that cannot be
 * read to its end gives what was read; the main pass reports the fault with its line and column.
 */
export async function readAttachmentIndex(sources: ImportSource[]): Promise<Map<string, AttachmentInfo>> {
  const index = new Map<string, AttachmentInfo>();
  for (const source of sources) {
    try {
      for await (const record of readWxr(source.chunks(), source.name)) {
        if (record.type !== 'item' || record.postType !== 'attachment') continue;
        const info = attachmentInfoOf(record);
        if (info) index.set(record.postId, info);
      }
    } catch (e) {
      if (!(e instanceof WxrError)) throw e;
    }
  }
  return index;
}

/**
 * ANALYZE of the tables an import grows. Best effort: one that cannot have its lock in time (someone's
 * VACUUM) is skipped rather than costing the import a try; its savepoint keeps a dry run's one
 * transaction usable.
 */
async function analyzeGrowingTables(tx: Tx): Promise<void> {
  await sql`SAVEPOINT import_analyze`.execute(tx);
  try {
    const { rows } = await sql<{ previous: string }>`SELECT current_setting('lock_timeout') AS previous, set_config('lock_timeout', '2s', true)`.execute(tx);
    await sql`ANALYZE import_items, posts, comments, post_tags, post_authors`.execute(tx);
    await sql`SELECT set_config('lock_timeout', ${rows[0]!.previous}, true)`.execute(tx);
    await sql`RELEASE SAVEPOINT import_analyze`.execute(tx);
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    // Skipped: its lock not had in time (55P03), or over the statement timeout (57014).
    if (code !== '55P03' && code !== '57014' && !isItemError(e)) throw e; // the connection is gone: the queue retries
    await sql`ROLLBACK TO SAVEPOINT import_analyze`.execute(tx);
  }
}

export async function runImport(db: Db, input: RunInput): Promise<ImportReport> {
  let total = input.total ?? 0;
  if (!total) for (const source of input.sources) total += await countItems(source.chunks());
  const workers = input.workers ?? (total - (input.resumeFrom ?? 0) >= POOL_MIN_ITEMS ? defaultPoolSize() : 0);
  const pool = workers > 0 ? createConvertPool({ size: workers, taskTimeoutMs: input.workerTimeoutMs }) : undefined;
  try {
    return await runImportWith(db, input, total, pool);
  } finally {
    await pool?.close();
  }
}

async function runImportWith(db: Db, input: RunInput, total: number, pool: ConvertPool | undefined): Promise<ImportReport> {
  const importer = new WxrImporter(
    {
      projectId: input.projectId,
      tagAuthority: input.tagAuthority,
      now: input.now,
      media: input.options.mediaDir || input.options.fetchMedia
        ? createMediaStore({ projectId: input.projectId, mediaDir: input.options.mediaDir, fetchMedia: input.options.fetchMedia, allowPrivateFetch: input.allowPrivateFetch })
        : undefined,
      attachmentIndex: () => readAttachmentIndex(input.sources),
      pool,
    },
    input.report ?? emptyReport(),
  );
  const resumeFrom = input.resumeFrom ?? 0;
  let index = 0;
  let activity = 'Reading the export';

  const saveProgress = async (q: Db | Tx, done: number) => {
    input.onProgress?.({ done, total, activity });
    if (input.importId === undefined) return;
    await q
      .updateTable('imports')
      .set({ items_done: done, items_total: Math.max(total, done), activity, report: JSON.stringify(importer.report), site: importer.key || null, updated_at: sql<Date>`now()` })
      .where('id', '=', input.importId)
      .execute();
  };

  const applyAll = async (write: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>) => {
    let batch: WxrRecord[] = [];
    // One batch is read ahead: while a batch is written (its transaction), the next one is read from the
    // file and its conversions start on the pool, so neither the database nor the pool waits for the
    // other. Batches are still applied strictly one after another, each after the one before committed.
    let applying: Promise<void> | undefined;
    let nextAnalyzeAt = resumeFrom + BATCH_SIZE;
    const flush = async () => {
      if (batch.length === 0) return;
      const records = batch;
      batch = [];
      importer.startConversions(records.filter((r): r is WxrItem => r.type === 'item'));
      if (applying) await applying;
      applying = apply(records, index);
      applying.catch(() => {}); // awaited before the next batch is applied, and at the end (settle)
    };
    /** Applies what is left and waits for the batch being written. */
    const settle = async () => {
      try {
        await flush();
      } finally {
        const last = applying;
        applying = undefined;
        if (last) await last;
      }
    };
    const apply = async (records: WxrRecord[], doneAt: number) => {
      if (doneAt >= nextAnalyzeAt) {
        // The tables grow under the import faster than statistics are taken (autovacuum may be off, and runs
        // once a minute at best); planned as if they were still small, the batch's look-ups by WordPress id
        // read every row of the project (0.4 s a batch at 20,000 comments), and plans cached by triggers
        // stay that way. Analysed whenever the import has doubled them: a few times in all.
        nextAnalyzeAt = doneAt * 2;
        await write(analyzeGrowingTables);
      }
      await write(async (tx) => {
        // The batch runs under one savepoint; only if an item fails is it rolled back and applied again
        // with one savepoint per item, so that the failing item is skipped alone (reported with its
        // reason) and the rest of the batch is imported. (Two statements per batch, not per item.)
        // Look-ups for the whole batch are read ahead and its rows written at its end (importer.prepare,
        // flushWrites); conversions run on the pool meanwhile.
        const batchCheckpoint = importer.checkpoint();
        await sql`SAVEPOINT import_batch`.execute(tx);
        try {
          await importer.prepare(tx, records.filter((r): r is WxrItem => r.type === 'item'));
          for (const record of records) {
            if (record.type === 'author') await importer.author(tx, record);
            else if (record.type === 'item') {
              activity = `Importing ${record.postType || 'post'} ${record.postId}: ${record.title.slice(0, 80)}`;
              await importer.item(tx, record);
            }
          }
          await importer.flushWrites(tx);
        } catch (e) {
          if (!isItemError(e)) throw e;
          try {
            await sql`ROLLBACK TO SAVEPOINT import_batch`.execute(tx);
          } catch {
            throw e; // the connection itself is gone: the whole batch is retried by the queue
          }
          importer.rollBack(batchCheckpoint);
          for (const record of records) {
            if (record.type !== 'author' && record.type !== 'item') continue;
            const checkpoint = importer.checkpoint();
            await sql`SAVEPOINT import_item`.execute(tx);
            try {
              if (record.type === 'author') await importer.author(tx, record);
              else await importer.item(tx, record);
              await importer.flushWrites(tx);
            } catch (itemError) {
              if (!isItemError(itemError)) throw itemError;
              try {
                await sql`ROLLBACK TO SAVEPOINT import_item`.execute(tx);
              } catch {
                throw itemError;
              }
              importer.restore(checkpoint, record, itemError instanceof Error ? itemError.message : String(itemError));
            }
            await sql`RELEASE SAVEPOINT import_item`.execute(tx);
          }
        }
        await sql`RELEASE SAVEPOINT import_batch`.execute(tx);
        // Progress of a real import commits with the batch; a dry run's goes through the outer db.
        await saveProgress(input.options.dryRun ? db : tx, doneAt);
      });
    };
    const readAll = async () => {
      for (const source of input.sources) {
        activity = `Reading ${source.name}`;
        try {
          for await (const record of readWxr(source.chunks(), source.name)) {
            if (record.type === 'site') {
              try {
                importer.startSite(record);
              } catch (e) {
                throw new ImportRefused(e instanceof Error ? e.message : String(e));
              }
              continue;
            }
            if (record.type === 'item') {
              index++;
              if (index <= resumeFrom) continue;
            }
            // An author before the resume point was applied (and counted) in a batch an earlier try committed.
            if (record.type === 'author' && index < resumeFrom) continue;
            batch.push(record);
            if (batch.length >= BATCH_SIZE) await flush();
          }
        } catch (e) {
          if (e instanceof WxrError) {
            await settle().catch(() => {});
            throw new ImportRefused(`${e.message}${index > 0 ? ` The ${Math.min(index, Math.max(resumeFrom, index - batch.length))} items before it were imported; fix the file and import it again: nothing will be imported twice.` : ''}`);
          }
          throw e;
        }
      }
    };
    try {
      await readAll();
    } catch (e) {
      // Never leave with a batch's transaction still running.
      const last = applying;
      applying = undefined;
      await last?.catch(() => {});
      throw e;
    }
    await settle();
    importer.finish();
    // Every item is known now: links between them that still point at the old site are rewritten.
    if (importer.key) {
      activity = 'Rewriting links to the old site';
      await write(async (tx) => {
        const project = await tx.selectFrom('projects').select('slug').where('id', '=', input.projectId).executeTakeFirstOrThrow();
        const result = await rewriteOldLinks(tx, { projectId: input.projectId, projectSlug: project.slug, siteKey: importer.key, hosts: oldHostsFor(importer.key, project.slug, input.wpOldSites), now: input.now });
        importer.report.links = result;
        await saveProgress(input.options.dryRun ? db : tx, index);
      });
    }
    activity = 'Finished';
    await saveProgress(db, index);
  };

  if (input.options.dryRun) {
    try {
      await db.transaction().execute(async (outer) => {
        await announceNoCommentFeeds(outer);
        await applyAll((fn) => fn(outer));
        throw new DryRunRollback();
      });
    } catch (e) {
      if (!(e instanceof DryRunRollback)) throw e;
    }
  } else {
    // Imported comments are a back catalogue: no WebSub announcement per comment (websub/back-catalogue.ts).
    await applyAll((fn) => db.transaction().execute(async (tx) => {
      await announceNoCommentFeeds(tx);
      return fn(tx);
    }));
  }
  return importer.report;
}

/** A plain-text report: what the CLI prints and the web page shows in a table. */
export function reportLines(report: ImportReport, dryRun = false): string[] {
  const lines: string[] = [];
  lines.push(`${dryRun ? 'Dry run (nothing was written): ' : ''}import from ${report.site || 'an unnamed site'}`);
  for (const [kind, c] of Object.entries(report.counts)) {
    if (c.created + c.updated + c.unchanged + c.skipped === 0) continue;
    lines.push(`  ${kind}: ${c.created} new, ${c.updated} updated, ${c.unchanged} unchanged, ${c.skipped} skipped`);
  }
  if (report.links?.links) lines.push(`  links to the old site rewritten: ${report.links.links} in ${report.links.items} posts and pages`);
  if (report.people.length) {
    lines.push('People:');
    for (const p of report.people) lines.push(`  ${p.name} (${p.login}) ${p.created ? 'added without a password' : 'matched an existing person'}: ${p.email}, handle ${p.handle}`);
  }
  if (report.notes.length) {
    lines.push('Items skipped or changed:');
    for (const n of report.notes) lines.push(`  ${n.kind} ${n.wpId ? `#${n.wpId} ` : ''}“${n.title}”: ${n.action}. ${n.reason}`);
  }
  return lines;
}
