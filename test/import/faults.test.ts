// The WordPress import under real faults, not simulations: the server process killed mid-import, the
// import's PostgreSQL connections ended mid-batch (as a database restart ends them), and a conversion
// worker thread that dies. Each time the import must end done with the export's exact counts, nothing
// twice, comment threads intact, and the process up.
import fs from 'node:fs';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../scripts/generate-wxr.js';
import { createImport, reclaimImportsTask, RUN_LOCK } from '../../server/import/jobs.js';
import type { ImportReport } from '../../server/import/importer.js';
import { runImport, type ImportSource } from '../../server/import/run.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { freePort, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { waitUntil } from '../helpers/wait.js';
import { makeProject, post, wxr } from './helpers.js';

const POSTS = 600;
const COMMENTS = 3000;
const EXPORT = `/tmp/import-faults-${POSTS}-${COMMENTS}.xml`;

let t: TestApp;
const cleanups: Array<() => unknown> = [];
beforeAll(async () => {
  t = await buildTestApp();
  if (!fs.existsSync(EXPORT)) {
    // Written to a name of its own first: a file running at the same time never reads half an export.
    const partial = `${EXPORT}.${process.pid}`;
    await generate(partial, POSTS, COMMENTS);
    fs.renameSync(partial, EXPORT);
  }
}, 60_000);
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function fileChunks(file: string): AsyncIterable<Buffer> {
  return fs.createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>;
}

/** Whether the export's 20 authors are people here already (an earlier test imported them): then matched, not new. */
let authorsKnown = false;
async function stageImport(projectId: number): Promise<number> {
  const known = await t.db.selectFrom('people').select(sql<number>`count(*)`.as('n')).where('email', 'like', '%@big.example.org').executeTakeFirstOrThrow();
  authorsKnown = known.n > 0;
  return createImport(t.db, { projectId, createdBy: null, options: {}, files: [{ name: 'big.xml', chunks: fileChunks(EXPORT) }] });
}

async function importRow(importId: number) {
  return t.db.selectFrom('imports').selectAll().where('id', '=', importId).executeTakeFirstOrThrow();
}

/** Each comment's parent (by WordPress id, '0' for none) and depth as the export has them. */
function exportThreads(xml: string): Map<string, { parent: string; depth: number }> {
  const parents = new Map<string, string>();
  for (const m of xml.matchAll(/<wp:comment_id>(\d+)<\/wp:comment_id>[\s\S]*?<wp:comment_parent>(\d+)<\/wp:comment_parent>/g)) parents.set(m[1]!, m[2]!);
  const chain = (id: string): string[] => {
    const up: string[] = [];
    for (let at = parents.get(id); at && at !== '0'; at = parents.get(at)) up.unshift(at);
    return up; // root first
  };
  // Threads here are at most 3 deep: a deeper reply hangs under its ancestor at depth 2 (importer.ts).
  return new Map([...parents.keys()].map((id) => {
    const ancestors = chain(id);
    const depth = ancestors.length + 1;
    return [id, { parent: depth === 1 ? '0' : ancestors[Math.min(depth - 1, 2) - 1]!, depth: Math.min(depth, 3) }];
  }));
}

/** What a finished import of the generated export must have left: exact counts, nothing twice, threads. */
async function expectCompleteImport(projectId: number, importId: number) {
  const row = await importRow(importId);
  expect(row.status, row.error ?? '').toBe('done');
  expect(row.items_done).toBe(POSTS);
  const report = row.report as ImportReport;
  // The counts of a clean import of this export (every post and comment new, each person new or matched
  // once; nothing else).
  const zero = { created: 0, updated: 0, unchanged: 0, skipped: 0 };
  expect(report.counts).toEqual({
    people: { ...zero, [authorsKnown ? 'unchanged' : 'created']: 20 },
    posts: { ...zero, created: POSTS },
    pages: zero,
    comments: { ...zero, created: COMMENTS },
    pings: zero,
    attachments: zero,
    images: zero,
    other: zero,
  });
  expect(report.people).toHaveLength(20);
  expect(report.notes.filter((n) => n.action === 'skipped')).toEqual([]);
  const posts = await t.db.selectFrom('posts').select(sql<number>`count(*)`.as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
  expect(posts.n).toBe(POSTS);
  const comments = await t.db.selectFrom('comments').innerJoin('posts', 'posts.id', 'comments.post_id').select(sql<number>`count(*)`.as('n')).where('posts.project_id', '=', projectId).executeTakeFirstOrThrow();
  expect(comments.n).toBe(COMMENTS);
  // One mapping per WordPress item, each pointing at a row of its own.
  const dupes = await sql<{ kind: string; n: number }>`
    SELECT kind, count(*) - count(DISTINCT local_id) AS n FROM import_items WHERE project_id = ${projectId} GROUP BY kind`.execute(t.db);
  expect(dupes.rows.filter((r) => r.n > 0)).toEqual([]);
  const mapped = await sql<{ kind: string; n: number }>`SELECT kind, count(*)::int AS n FROM import_items WHERE project_id = ${projectId} GROUP BY kind ORDER BY kind`.execute(t.db);
  expect(mapped.rows).toEqual([{ kind: 'comment', n: COMMENTS }, { kind: 'person', n: 20 }, { kind: 'post', n: POSTS }]);
  // Threads: each comment hangs under the comment the export names (capped at depth 3), on its own post.
  const stored = await sql<{ wp_id: string; parent_wp_id: string | null; depth: number; same_post: boolean }>`
    SELECT i.wp_id, pi.wp_id AS parent_wp_id, c.depth, (p.post_id IS NULL OR p.post_id = c.post_id) AS same_post
    FROM import_items i JOIN comments c ON c.id = i.local_id
    LEFT JOIN comments p ON p.id = c.parent_id
    LEFT JOIN import_items pi ON pi.project_id = i.project_id AND pi.kind = 'comment' AND pi.local_id = p.id
    WHERE i.project_id = ${projectId} AND i.kind = 'comment'`.execute(t.db);
  const expected = exportThreads(fs.readFileSync(EXPORT, 'utf8'));
  expect(stored.rows).toHaveLength(expected.size);
  const wrong = stored.rows.filter((r) => {
    const e = expected.get(r.wp_id);
    return !e || (r.parent_wp_id ?? '0') !== e.parent || r.depth !== e.depth || !r.same_post;
  });
  expect(wrong).toEqual([]);
  expect([...expected.values()].some((e) => e.depth === 3)).toBe(true); // the export does thread
  // The staged copy of the export is gone.
  const chunks = await t.db.selectFrom('import_chunks').select(sql<number>`count(*)`.as('n')).where('import_id', '=', importId).executeTakeFirstOrThrow();
  expect(chunks.n).toBe(0);
  return report;
}

async function serverOn(databaseUrl: string): Promise<ServerProcess> {
  const port = await freePort();
  const proc = startServerProcess({ PORT: String(port), DATABASE_URL: databaseUrl, PUBLIC_URL: `http://127.0.0.1:${port}`, SEED_DEMO: 'never', RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn' });
  cleanups.push(() => proc.child.exitCode === null && proc.child.signalCode === null && proc.child.kill('SIGKILL'));
  await proc.waitFor(/is running/, 60_000);
  return proc;
}

describe('the server process killed mid-import', () => {
  it('a new server finishes the import: exact counts, nothing twice, threads intact', { timeout: 150_000 }, async () => {
    const projectId = await makeProject(t, 'killed');
    const first = await serverOn(t.database.url);
    const importId = await stageImport(projectId);
    // The server's job worker takes the import; once some batches (not all) have committed, SIGKILL.
    const partWay = await waitUntil(async () => {
      const row = await importRow(importId);
      return row.items_done > 0 && row.items_done < POSTS - 200;
    }, 60_000, 20);
    expect(partWay, first.output()).toBe(true);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = await importRow(importId);
    expect(killedAt.status).toBe('running');
    expect(killedAt.items_done).toBeLessThan(POSTS);

    const second = await serverOn(t.database.url);
    const finished = await waitUntil(async () => (await importRow(importId)).status !== 'running', 90_000, 200);
    expect(finished, `import still running at ${(await importRow(importId)).items_done}; output:\n${second.output()}`).toBe(true);
    await expectCompleteImport(projectId, importId);
    expect(second.child.exitCode).toBeNull();
    expect(second.output()).toContain('"event":"import_reclaimed"'); // taken up at once, not after the queue's 4 hours
    expect(second.output()).not.toMatch(/"statusCode":5\d\d|job_failed/);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});

describe('the import’s PostgreSQL connections ended mid-batch', () => {
  it('each try fails alone, the queue retries it, and the import resumes to exact counts', { timeout: 150_000 }, async () => {
    const projectId = await makeProject(t, 'terminated');
    const server = await serverOn(t.database.url);
    const admin = new pg.Client({ connectionString: t.database.url });
    admin.on('error', () => {});
    await admin.connect();
    cleanups.push(() => admin.end().catch(() => {}));
    const importId = await stageImport(projectId);
    const base = `http://127.0.0.1:${/127\.0\.0\.1:(\d+)/.exec(server.output())![1]}`;

    // Ends the server's connection running a statement that matches, as a database restart would end it.
    // With `table`, the test first holds a SHARE lock on that table, so the import's INSERT into it waits
    // (mid-batch, inside its transaction) and is found for certain, however fast the machine.
    const locker = new pg.Client({ connectionString: t.database.url });
    locker.on('error', () => {});
    await locker.connect();
    cleanups.push(() => locker.end().catch(() => {}));
    const ended: string[] = [];
    const endConnection = async (what: string, pattern: string, table?: string) => {
      if (table) {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE ${table} IN SHARE MODE`);
      }
      try {
        const found = await waitUntil(async () => {
          const { rows } = await admin.query<{ pid: number; done: number }>(
            `SELECT a.pid, i.items_done AS done FROM pg_stat_activity a, imports i
             WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.query ILIKE $1
               AND ($2::boolean IS FALSE OR a.wait_event_type = 'Lock') AND i.id = $3`,
            [pattern, table !== undefined, importId],
          );
          const row = rows[0];
          if (!row) {
            // The import's ANALYZE between batches (run.ts) waits on the lock too: let it through first.
            const analyzing = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'analyze%' AND wait_event_type = 'Lock'`);
            if (table && analyzing.rowCount) {
              await locker.query('ROLLBACK');
              await waitUntil(async () => (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'analyze%' AND state = 'active'`)).rowCount === 0, 10_000, 5);
              await locker.query('BEGIN');
              await locker.query(`LOCK TABLE ${table} IN SHARE MODE`);
            }
            return false;
          }
          const { rows: [result] } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [row.pid]);
          if (result?.ok) ended.push(`${what} at ${row.done}`);
          return result?.ok === true;
        }, 60_000, 10);
        expect(found, `no connection doing ${what}; ended so far: ${ended.join(', ')}; output:\n${server.output()}`).toBe(true);
      } finally {
        if (table) await locker.query('ROLLBACK');
      }
      // Meanwhile the site answers its readers as ever.
      expect((await fetch(`${base}/terminated/`)).status).toBe(200);
    };
    // The queue's backoff (e^attempts s) is not what is tested: the retry is made due at once.
    const retryNow = () => admin.query(`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE locked_at IS NULL AND run_at > now()`);
    const progressed = async (beyond: number) =>
      expect(await waitUntil(async () => {
        await retryNow();
        return (await importRow(importId)).items_done > beyond;
      }, 60_000, 50)).toBe(true);

    // 1. While the batch's held writes go in (flushWrites): its posts written, its comments' INSERT waiting.
    await endConnection('inserting comments', 'insert into "comments"%', 'comments');
    const afterFirst = (await importRow(importId)).items_done;
    await progressed(afterFirst);
    // 2. At the batch's last write, its import_items rows, before its progress and commit.
    await endConnection('inserting import_items', 'insert into "import_items"%', 'import_items');
    await progressed((await importRow(importId)).items_done);
    // 3. The run's own lock connection (idle, outside any transaction): the run stops at its next batch.
    await endConnection('holding the run lock', 'SELECT pg_try_advisory_lock%');
    const finished = await waitUntil(async () => {
      await retryNow();
      return ['done', 'failed'].includes((await importRow(importId)).status);
    }, 90_000, 100);
    expect(finished, `ended: ${ended.join(', ')}; output:\n${server.output()}`).toBe(true);
    expect(ended).toHaveLength(3);
    await expectCompleteImport(projectId, importId);
    // Each ending cost one try, logged as such; the process stayed up and answers; no 500 anywhere.
    expect(server.output().match(/"event":"job_failed"/g)?.length ?? 0, server.output()).toBeGreaterThanOrEqual(2);
    expect(server.child.exitCode).toBeNull();
    expect(server.output()).not.toMatch(/"statusCode":5\d\d/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});

/** A post whose conversion needs more memory than a converter may use: 2 MB of `<b>x</b>` (250,000 elements). */
const HOSTILE_ID = 3;
function exportWithHostilePost(): string {
  const comment = (id: number, parent = 0) =>
    `<wp:comment><wp:comment_id>${id}</wp:comment_id><wp:comment_author>Reader ${id}</wp:comment_author><wp:comment_content>Comment ${id}.</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>${parent}</wp:comment_parent><wp:comment_date_gmt>2021-01-05 10:00:00</wp:comment_date_gmt></wp:comment>`;
  const items = [1, 2, 3, 4, 5, 6].map((i) =>
    i === HOSTILE_ID ? post(i, 'Heavy', '<b>x</b>'.repeat(250_000), comment(i * 10)) : post(i, `Post ${i}`, `Text of post ${i}.\n\nA <em>second</em> paragraph.`, comment(i * 10) + comment(i * 10 + 1, i * 10)),
  );
  // A second batch after it (batches are 100 records): converted after the worker died, on a fresh one.
  const more = Array.from({ length: 100 }, (_, i) => post(101 + i, `More ${101 + i}`, `More text ${i}.`));
  return wxr([...items, ...more].join('\n'));
}

async function expectHostilePostSkipped(projectId: number, report: ImportReport) {
  expect(report.counts.posts).toEqual({ created: 105, updated: 0, unchanged: 0, skipped: 1 });
  expect(report.counts.comments.created).toBe(10); // not the skipped post's one
  const notes = report.notes.filter((n) => n.action === 'skipped');
  expect(notes).toEqual([expect.objectContaining({ kind: 'posts', wpId: String(HOSTILE_ID), title: 'Heavy' })]);
  const posts = await t.db.selectFrom('posts').select('slug').where('project_id', '=', projectId).where('slug', 'in', ['post-1', 'post-2', 'post-3', 'post-4', 'post-5', 'post-6']).orderBy('slug').execute();
  expect(posts.map((p) => p.slug)).toEqual(['post-1', 'post-2', 'post-4', 'post-5', 'post-6']);
  return notes[0]!.reason;
}

describe('a conversion that needs more memory than it may use', () => {
  it('on a worker thread: the worker dies, the item is skipped with the reason, a fresh worker converts the rest', { timeout: 60_000 }, async () => {
    const projectId = await makeProject(t, 'worker-dies');
    const xml = exportWithHostilePost();
    const source: ImportSource = { name: 'heavy.xml', chunks: async function* () { yield Buffer.from(xml, 'utf8'); } };
    const report = await runImport(t.db, { projectId, sources: [source], options: {}, tagAuthority: 'example.test,2026', now: t.clock.now(), workers: 1 });
    const reason = await expectHostilePostSkipped(projectId, report);
    expect(reason).toMatch(/the converter stopped \(.*memory limit/);
  });

  it('in the server process, on its own thread (a small export): the server stays up and skips the item', { timeout: 90_000 }, async () => {
    const projectId = await makeProject(t, 'server-heavy');
    const server = await serverOn(t.database.url);
    const xml = exportWithHostilePost();
    const importId = await createImport(t.db, { projectId, createdBy: null, options: {}, files: [{ name: 'heavy.xml', chunks: (async function* () { yield Buffer.from(xml, 'utf8'); })() }] });
    const finished = await waitUntil(async () => ['done', 'failed'].includes((await importRow(importId)).status) || server.child.exitCode !== null || server.child.signalCode !== null, 60_000, 100);
    expect(finished).toBe(true);
    expect(server.child.exitCode, server.output().slice(-3000)).toBeNull();
    expect(server.child.signalCode, server.output().slice(-3000)).toBeNull();
    const row = await importRow(importId);
    expect(row.status, row.error ?? '').toBe('done');
    const reason = await expectHostilePostSkipped(projectId, row.report as ImportReport);
    expect(reason).toMatch(/too large to convert/);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});

describe('import:reclaim', () => {
  const takeJob = async (importId: number, attempts: number) => {
    await sql`UPDATE graphile_worker._private_jobs SET locked_at = now(), locked_by = 'worker-gone', attempts = ${attempts} WHERE key = ${`import:${importId}`}`.execute(t.db);
    await sql`UPDATE graphile_worker._private_job_queues SET locked_at = now(), locked_by = 'worker-gone' WHERE id = (SELECT job_queue_id FROM graphile_worker._private_jobs WHERE key = ${`import:${importId}`})`.execute(t.db);
  };
  const jobState = async (importId: number) =>
    (await sql<{ job: string | null; queue: string | null }>`SELECT j.locked_by AS job, q.locked_by AS queue FROM graphile_worker._private_jobs j
      LEFT JOIN graphile_worker._private_job_queues q ON q.id = j.job_queue_id WHERE j.key = ${`import:${importId}`}`.execute(t.db)).rows[0];
  const reclaim = async () => {
    const logged: unknown[] = [];
    const log = { warn: (fields: unknown) => logged.push(fields) } as unknown as Parameters<typeof reclaimImportsTask>[1]['log'];
    await reclaimImportsTask({}, { db: t.db, config: t.config, clock: t.clock, log }, { id: '1', attempts: 1, maxAttempts: 10, lastAttempt: false });
    return logged;
  };

  it('leaves the job of a live run alone, and releases it (job and queue) once the run’s lock is gone', async () => {
    const projectId = await makeProject(t, 'reclaim-live');
    const importId = await createImport(t.db, { projectId, createdBy: null, options: {}, files: [{ name: 'a.xml', chunks: (async function* () { yield Buffer.from(wxr(post(1, 'One', 'a'))); })() }] });
    await takeJob(importId, 1);
    const run = new pg.Client({ connectionString: t.database.url });
    await run.connect();
    cleanups.push(() => run.end().catch(() => {}));
    await run.query('SELECT pg_advisory_lock($1, $2)', [RUN_LOCK, importId]);
    expect(await reclaim()).toEqual([]);
    expect(await jobState(importId)).toEqual({ job: 'worker-gone', queue: 'worker-gone' });
    await run.end(); // the process holding it died: PostgreSQL drops its lock
    expect(await reclaim()).toEqual([expect.objectContaining({ event: 'import_reclaimed', importId })]);
    expect(await jobState(importId)).toEqual({ job: null, queue: null });
    expect((await importRow(importId)).status).toBe('queued'); // taken again by the next worker
  });

  it('marks failed an import whose dead run had no try left', async () => {
    const projectId = await makeProject(t, 'reclaim-last');
    const importId = await createImport(t.db, { projectId, createdBy: null, options: {}, files: [{ name: 'a.xml', chunks: (async function* () { yield Buffer.from(wxr(post(1, 'One', 'a'))); })() }] });
    await takeJob(importId, 5);
    await reclaim();
    const row = await importRow(importId);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/stopped after several tries/);
  });
});
