// Hot statements marked `/* prepare <name> */` are sent as named prepared statements (server/db/create-db.ts):
// PostgreSQL parses and plans them once per connection. These tests look at the connection's
// pg_prepared_statements, with a pool of one connection so that every query shares the session.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../server/db/create-db.js';
import { buildTestApp, createTestDatabase, type TestApp, type TestDatabase } from '../helpers/test-app.js';
import { commentById, idFromLocation, openPost, postComment, setSettings } from '../comments/helpers.js';

const prepared = async (db: Db) =>
  (await sql<{ name: string; calls: string }>`SELECT name, generic_plans + custom_plans AS calls FROM pg_prepared_statements ORDER BY name`.execute(db)).rows;

describe('statements marked /* prepare <name> */', () => {
  let database: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { max: 1 });
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('are prepared once per connection under their name and give the right answer on every call', async () => {
    for (const n of [1, 2, 3]) {
      const { rows } = await sql<{ doubled: number }>`/* prepare pb_test_double */ SELECT ${n}::int * 2 AS doubled`.execute(db);
      expect(rows).toEqual([{ doubled: n * 2 }]);
    }
    const names = (await prepared(db)).map((r) => r.name);
    expect(names).toContain('pb_test_double');
  });

  it('leave every other statement unnamed', async () => {
    await sql`SELECT ${7}::int AS seven`.execute(db);
    await sql`SELECT 1 /* prepare pb_not_at_the_start */`.execute(db);
    expect((await prepared(db)).map((r) => r.name)).toEqual(['pb_test_double']);
  });
});

describe('the comment call', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ seed: true, dbConnections: 1 });
  });

  it('is one prepared statement, reused by every comment, also after its copy of the post went stale', async () => {
    const post = await openPost(t, 1);
    const ids: number[] = [];
    for (const n of [1, 2, 3]) {
      if (n === 3) await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'hold-all' }); // the kept copy goes stale
      const { response } = await postComment(t, post.url, { name: 'Prepared', email: 'prepared@example.org', body: `Prepared comment ${n}.` }, { ip: `198.51.100.${n}` });
      expect(response.statusCode).toBe(303);
      ids.push(idFromLocation(response.headers.location));
    }
    expect(new Set(ids).size).toBe(3);
    expect((await commentById(t, ids[2]!)).status).toBe('pending');
    const accept = (await prepared(t.db)).find((r) => r.name === 'pb_accept_current_comment_v2');
    expect(accept).toBeDefined();
    expect(Number(accept!.calls)).toBeGreaterThanOrEqual(4); // three comments, one of them sent twice (stale, then fresh)
  });
});
