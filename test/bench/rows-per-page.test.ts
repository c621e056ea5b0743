// Issue 7: an uncached page must cost about the same with 1,000 posts as with 100,000. Without timing
// anything: EXPLAIN ANALYZE every query a page makes and add up the rows its plan nodes produced; adding
// a thousand posts to the project must not add to it (the tag counts and the page count once read every
// post of the project, or of the site).
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEASURED, seedCorpus } from '../../bench/corpus.js';
import { buildTestApp, clockToDatabaseNow, get, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let client: pg.Client;
let captured: Array<{ sql: string; parameters: readonly unknown[] }> | undefined;

beforeAll(async () => {
  t = await buildTestApp({ onQuery: (text, parameters) => captured?.push({ sql: text, parameters }) });
  client = new pg.Client({ connectionString: t.database.url });
  await client.connect();
  await seedCorpus(client, { projects: 2, posts: 40, comments: 3 });
  await clockToDatabaseNow(t); // the corpus is dated by the database's clock
});
afterAll(async () => {
  await client?.end();
});

interface PlanNode {
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}
const rowsOf = (node: PlanNode): number =>
  node['Actual Rows'] * node['Actual Loops'] + (node.Plans ?? []).reduce((sum, child) => sum + rowsOf(child), 0);

/** Rows produced by every plan node of every query the page makes, and the worst query. */
async function rowsFor(url: string): Promise<{ total: number; worst: string }> {
  captured = [];
  const res = await get(t.app, url);
  const queries = captured;
  captured = undefined;
  expect(res.statusCode, url).toBe(200);
  let total = 0;
  let worst = { rows: -1, sql: '' };
  for (const q of queries) {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.sql}`, q.parameters as unknown[]);
    const [explained] = rows[0]['QUERY PLAN'] as [{ Plan: PlanNode }];
    const n = rowsOf(explained.Plan);
    total += n;
    if (n > worst.rows) worst = { rows: n, sql: q.sql };
  }
  return { total, worst: `${worst.rows} rows: ${worst.sql.slice(0, 160)}` };
}

const PAGES = [
  `/${MEASURED.project}/`,
  `/${MEASURED.project}/?page=2`,
  `/${MEASURED.project}/tags/topic-2`,
  `/${MEASURED.project}/posts/${MEASURED.post}`,
  `/${MEASURED.project}/feed.atom`,
  '/',
];

describe('rows read per page', () => {
  it('do not grow with the number of posts', async () => {
    const before = new Map<string, number>();
    for (const url of PAGES) before.set(url, (await rowsFor(url)).total);

    // A thousand more public posts in the measured project, all tagged like the corpus tags them, and
    // statistics as autovacuum would leave them.
    await sql`
      WITH p AS (SELECT id FROM projects WHERE slug = ${MEASURED.project}),
      new_posts AS (
        INSERT INTO posts (project_id, slug, title, body_html, status, published_at, first_published_at)
        SELECT p.id, 'older-' || k, 'Older ' || k, '<p>Older.</p>', 'published', now() - make_interval(days => k), now() - make_interval(days => k)
        FROM p, generate_series(1, 1000) k RETURNING id, project_id
      )
      INSERT INTO post_tags (post_id, tag_id)
      SELECT n.id, t.id FROM new_posts n JOIN tags t ON t.project_id = n.project_id AND t.slug = 'topic-' || (1 + n.id % 5)
    `.execute(t.db);
    await client.query('VACUUM ANALYZE');

    for (const url of PAGES) {
      const after = await rowsFor(url);
      const n = before.get(url)!;
      // A little room for a plan that changes shape; reading the new posts would add 1,000 or more.
      expect(after.total, `${url}: ${n} rows with 40 posts, ${after.total} with 1,040 (worst query ${after.worst})`).toBeLessThan(n + 100);
    }
  });
});
