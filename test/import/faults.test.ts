// The WordPress import under real faults, not simulations: the server process killed mid-import, the
// import's PostgreSQL connections ended mid-batch (as a database restart ends them), and a conversion
// worker thread that dies. Each time the import must end done with the export's exact counts, nothing
// twice, comment threads intact, and the process up.
import fs from 'node:fs';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../scripts/generate-wxr.js';
import { createImport } from '../../server/import/jobs.js';
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

async function stageImport(projectId: number): Promise<number> {
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
  // The counts of a clean import of this export (every post, person and comment new; nothing else).
  const zero = { created: 0, updated: 0, unchanged: 0, skipped: 0 };
  expect(report.counts).toEqual({
    people: { ...zero, created: 20 },
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
