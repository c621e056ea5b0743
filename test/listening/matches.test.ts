// Key-term matches decided ahead of reading (migration 0023): the rows in listen_term_matches must be
// exactly what a direct full-text query finds (websearch_to_tsquery over the item's search_vector, the
// site search's syntax), with the item's inbox sort key, after every change: new items, added terms
// (matched by the job in batches, with items arriving meanwhile), edited and removed terms, pruned and
// changed items. And the inbox filtered by a term gives the same page either way.
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { healTask } from '../../server/listening/jobs.js';
import { addTerm, editTerm, MATCH_TERM_TASK } from '../../server/listening/matches.js';
import { deleteTerm, insertNewItems, listInbox, markItems, matchTermStep, pruneItems, type NewItem } from '../../server/listening/queries.js';
import { buildTestApp, queuedJobs, runJobs, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let projectId: number;
let otherProjectId: number;
let sourceId: number;
let otherSourceId: number;
let seq = 0;

const WORDS = ['open', 'data', 'budget', 'bus', 'cycle', 'climate', 'energy', 'museum', 'festival', 'library', 'the', 'weather', 'council'];

/** Items whose texts are drawn from a small vocabulary (deterministic), so every term matches some and misses some. */
function items(n: number, seed = seq): NewItem[] {
  return Array.from({ length: n }, (_, k) => {
    const g = seed + k;
    seq = Math.max(seq, g + 1);
    const w = (m: number) => WORDS[(g * m) % WORDS.length]!;
    return {
      guid: `g${g}`,
      url: `https://elsewhere.example/${g}`,
      title: `${w(7)} ${w(3)} news ${g}`,
      author: '',
      contentHtml: '',
      contentText: `${g % 5 === 0 ? 'open data: ' : ''}${g % 4 === 1 ? 'budget data; ' : ''}${w(5)} ${w(11)} ${w(2)} and more about the town ${g}`,
      publishedAt: g % 3 === 0 ? null : new Date(Date.UTC(2026, 0, 1) + g * 60_000),
    };
  });
}

async function store(n: number, source = sourceId, project = projectId, at = t.clock.now()) {
  return insertNewItems(t.db, project, source, items(n), at);
}

/** What a direct full-text query finds for a term: item ids with their sort keys and state, sorted. */
async function direct(termId: number) {
  const { rows } = await sql<{ id: string; f: Date; p: Date; u: boolean; d: boolean }>`
    SELECT i.id, i.fetched_at AS f, coalesce(i.published_at, i.fetched_at) AS p, i.read_at IS NULL AND i.dismissed_at IS NULL AS u, i.dismissed_at IS NOT NULL AS d
    FROM listen_items i JOIN listen_terms t ON t.project_id = i.project_id
    WHERE t.id = ${termId} AND i.search_vector @@ websearch_to_tsquery('english', t.query) ORDER BY i.id`.execute(t.db);
  return rows.map((r) => `${r.id}@${r.f.toISOString()}/${r.p.toISOString()}/${r.u ? 'unread' : ''}${r.d ? 'dismissed' : ''}`);
}

async function stored(termId: number) {
  const { rows } = await sql<{ id: string; f: Date; p: Date; u: boolean; d: boolean }>`
    SELECT item_id AS id, fetched_at AS f, sort_at AS p, unread AS u, dismissed AS d FROM listen_term_matches WHERE term_id = ${termId} ORDER BY item_id`.execute(t.db);
  return rows.map((r) => `${r.id}@${r.f.toISOString()}/${r.p.toISOString()}/${r.u ? 'unread' : ''}${r.d ? 'dismissed' : ''}`);
}

async function ready(termId: number) {
  return (await t.db.selectFrom('listen_terms').select('matches_ready').where('id', '=', termId).executeTakeFirstOrThrow()).matches_ready;
}

async function expectAgree(termIds: number[]) {
  for (const id of termIds) {
    const want = await direct(id);
    expect(await stored(id), `term ${id}`).toEqual(want);
  }
}

const TERMS = ['"open data"', 'museum festival', 'climate or energy', 'bus -cycle', 'library', '"budget data" -weather'];

async function addTerms(queries = TERMS, project = projectId) {
  const ids: number[] = [];
  for (const q of queries) ids.push((await addTerm(t.db, project, q, null, t.clock.now()))!);
  return ids;
}

beforeAll(async () => {
  t = await buildTestApp();
  const projects = await t.db.insertInto('projects').values([{ slug: 'ears', title: 'Ears', settings: '{}' }, { slug: 'other', title: 'Other', settings: '{}' }]).returning('id').execute();
  projectId = Number(projects[0]!.id);
  otherProjectId = Number(projects[1]!.id);
});

beforeEach(async () => {
  await sql`TRUNCATE listen_sources, listen_terms, listen_items, listen_term_matches CASCADE`.execute(t.db);
  await sql`DELETE FROM graphile_worker._private_jobs`.execute(t.db);
  const sources = await t.db
    .insertInto('listen_sources')
    .values([
      { project_id: projectId, url: 'https://elsewhere.example/feed.xml', mode: 'matches' },
      { project_id: otherProjectId, url: 'https://elsewhere.example/other.xml', mode: 'matches' },
    ])
    .returning('id')
    .execute();
  sourceId = Number(sources[0]!.id);
  otherSourceId = Number(sources[1]!.id);
});

afterAll(async () => {
  await t?.app.close();
});

describe('matches decided ahead of reading', () => {
  it('a term added over stored items is matched by its job; until then it is not ready and the inbox asks the text index', async () => {
    await store(300);
    await store(50, otherSourceId, otherProjectId);
    const ids = await addTerms();
    expect((await queuedJobs(t)).filter((j) => j.task === MATCH_TERM_TASK).map((j) => j.payload.termId)).toEqual(ids);
    for (const id of ids) expect(await ready(id)).toBe(false);
    // Not ready: the inbox filtered by a term still shows its matches (the direct query).
    const before = await listInbox(t.db, projectId, { show: 'all', termId: ids[2]! }, { limit: 500, offset: 0 });
    expect(before.length).toBeGreaterThan(0);
    expect(before.map((i) => i.id).sort((a, b) => a - b).map(String)).toEqual((await direct(ids[2]!)).map((s) => s.split('@')[0]));
    await runJobs(t);
    for (const id of ids) expect(await ready(id)).toBe(true);
    await expectAgree(ids);
    // Each term matches some items and misses others (the test could fail), and never another project's.
    for (const id of ids) {
      const n = (await stored(id)).length;
      expect(n, `term ${id}`).toBeGreaterThan(0);
      expect(n, `term ${id}`).toBeLessThan(300);
    }
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM listen_term_matches m JOIN listen_items i ON i.id = m.item_id WHERE i.project_id <> ${projectId}`.execute(t.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('a term whose matching job was lost gets one again from the heal sweep', async () => {
    await store(50);
    const ids = await addTerms(['library', 'bus']);
    await runJobs(t);
    const [lost] = await addTerms(['climate']);
    await sql`DELETE FROM graphile_worker._private_jobs`.execute(t.db);
    await sql`UPDATE listen_sources SET status = 'paused'`.execute(t.db); // the sweep's other half (polls) stays out of it
    await healTask({}, { db: t.db, config: t.config, clock: t.clock, log: t.app.log } as never, {} as never);
    expect((await queuedJobs(t)).map((j) => [j.task, j.payload.termId])).toEqual([[MATCH_TERM_TASK, lost]]);
    await runJobs(t);
    expect(await ready(lost!)).toBe(true);
    await expectAgree([...ids, lost!]);
  });

  it('new items are matched as they are stored, against every term of their project only', async () => {
    const ids = await addTerms();
    const others = await addTerms(['library', 'bus'], otherProjectId);
    await runJobs(t);
    await store(120);
    await store(40, otherSourceId, otherProjectId);
    await store(5); // the same guids again: nothing new
    await expectAgree([...ids, ...others]);
    expect((await stored(ids[4]!)).length).toBeGreaterThan(0);
  });

  it('in small batches, with items arriving between them, one missed by a racing insert and one wrong row: the result is exact', async () => {
    await store(100);
    const [id] = await addTerms(['climate or energy']);
    const steps: string[] = [];
    for (let n = 0; n < 100; n++) {
      const step = await t.db.transaction().execute((tx) => matchTermStep(tx, id!, 7));
      steps.push(step);
      if (n === 2) await store(10); // matched by the trigger as stored
      if (n === 3) {
        // An insert that did not see the term (its snapshot was older): simulated with the trigger off.
        await sql`ALTER TABLE listen_items DISABLE TRIGGER listen_items_match_new`.execute(t.db);
        await store(10);
        await sql`ALTER TABLE listen_items ENABLE TRIGGER listen_items_match_new`.execute(t.db);
        // And a wrong row (left by an older query, say) in a range not yet reconciled.
        const miss = await sql<{ id: string }>`SELECT i.id FROM listen_items i WHERE NOT (i.search_vector @@ websearch_to_tsquery('english', 'climate or energy')) ORDER BY i.id LIMIT 1`.execute(t.db);
        await sql`INSERT INTO listen_term_matches (term_id, item_id, fetched_at, sort_at, unread, dismissed) VALUES (${id}, ${miss.rows[0]!.id}, now(), now(), true, false)`.execute(t.db);
        expect(await stored(id!)).not.toEqual(await direct(id!));
      }
      if (step === 'done') break;
    }
    expect(steps.length).toBeGreaterThan(10);
    expect(steps.at(-1)).toBe('done');
    expect(await ready(id!)).toBe(true);
    await expectAgree([id!]);
    expect(await t.db.transaction().execute((tx) => matchTermStep(tx, id!, 7))).toBe('done');
    expect(await t.db.transaction().execute((tx) => matchTermStep(tx, 999_999, 7))).toBe('gone');
  });

  it('an edited term loses its old matches, is not ready, and its job finds the new ones; a removed term takes its rows', async () => {
    await store(200);
    const ids = await addTerms();
    await runJobs(t);
    const target = ids[1]!; // museum festival
    expect(await editTerm(t.db, projectId, target, 'library -open')).toBe(true);
    expect(await ready(target)).toBe(false);
    expect(await stored(target)).toEqual([]);
    // The inbox meanwhile: the new query's matches, through the text index.
    const meanwhile = await listInbox(t.db, projectId, { show: 'all', termId: target }, { limit: 500, offset: 0 });
    expect(meanwhile.length).toBe((await direct(target)).length);
    expect(meanwhile.length).toBeGreaterThan(0);
    await runJobs(t);
    expect(await ready(target)).toBe(true);
    await expectAgree(ids);
    // An edit to a query the project already has, or of another project's term, changes nothing.
    expect(await editTerm(t.db, projectId, target, 'library')).toBe(false);
    expect(await editTerm(t.db, otherProjectId, target, 'bus')).toBe(false);
    expect(await ready(target)).toBe(true);
    // A direct change of the query (not through editTerm) also makes it not ready.
    await sql`UPDATE listen_terms SET query = 'bus' WHERE id = ${target}`.execute(t.db);
    expect(await ready(target)).toBe(false);
    await deleteTerm(t.db, projectId, ids[0]!);
    expect(await stored(ids[0]!)).toEqual([]);
    await expectAgree(ids.slice(2));
  });

  it('pruned items take their matches; items whose text or dates change are matched again; read and dismiss keep them', async () => {
    const ids = await addTerms();
    await runJobs(t);
    await store(60, sourceId, projectId, new Date(t.clock.now().getTime() - 200 * 86_400_000));
    await store(60);
    await expectAgree(ids);
    expect(await pruneItems(t.db, t.clock.now(), 180)).toBe(60);
    await expectAgree(ids);
    await sql`UPDATE listen_items SET fetched_at = fetched_at - interval '1 day', title = 'museum festival library' WHERE id IN (SELECT id FROM listen_items ORDER BY id LIMIT 10)`.execute(t.db);
    await sql`UPDATE listen_items SET published_at = NULL WHERE id IN (SELECT id FROM listen_items ORDER BY id DESC LIMIT 10)`.execute(t.db);
    await expectAgree(ids);
    // Read, dismissed, restored, unread again: the copied state follows.
    const all = (await t.db.selectFrom('listen_items').select('id').orderBy('id').execute()).map((r) => Number(r.id));
    const before = await stored(ids[4]!);
    await markItems(t.db, projectId, all.slice(0, 30), 'read', t.clock.now());
    await markItems(t.db, projectId, all.slice(20, 40), 'dismiss', t.clock.now());
    await expectAgree(ids);
    expect(await stored(ids[4]!)).not.toEqual(before);
    await markItems(t.db, projectId, all.slice(20, 40), 'restore', t.clock.now());
    await markItems(t.db, projectId, all.slice(0, 40), 'unread', t.clock.now()); // dismissing also read them
    await expectAgree(ids);
    expect(await stored(ids[4]!)).toEqual(before);
  });

  it('the inbox filtered by a term gives the same pages from the stored matches as from the text index', async () => {
    // Several fetch times, so the sort key's every part counts.
    for (let k = 0; k < 4; k++) await store(80, sourceId, projectId, new Date(t.clock.now().getTime() - k * 3_600_000));
    const ids = await addTerms();
    await runJobs(t);
    const all = await t.db.selectFrom('listen_items').select('id').orderBy('id').execute();
    await markItems(t.db, projectId, all.filter((_, n) => n % 3 === 0).map((r) => Number(r.id)), 'read', t.clock.now());
    await markItems(t.db, projectId, all.filter((_, n) => n % 7 === 0).map((r) => Number(r.id)), 'dismiss', t.clock.now());
    // A second source, so that filtering by source and term together is compared too.
    const second = Number((await t.db.insertInto('listen_sources').values({ project_id: projectId, url: 'https://elsewhere.example/two.xml', mode: 'all' }).returning('id').executeTakeFirstOrThrow()).id);
    await store(60, second);
    const page = async (termId: number, show: 'all' | 'unread' | 'dismissed', offset: number, source?: number) =>
      (await listInbox(t.db, projectId, { show, termId, sourceId: source }, { limit: 13, offset })).map((i) => [i.id, i.sourceId, i.termIds.join(','), i.titleHeadline, i.excerptHeadline].join('|'));
    let compared = 0;
    for (const id of ids) {
      for (const [show, source] of [['all'], ['unread'], ['dismissed'], ['all', second], ['unread', sourceId]] as const) {
        for (const offset of [0, 13, 26]) {
          const fromMatches = await page(id, show, offset, source);
          await t.db.updateTable('listen_terms').set({ matches_ready: false }).where('id', '=', id).execute();
          const fromIndex = await page(id, show, offset, source);
          await t.db.updateTable('listen_terms').set({ matches_ready: true }).where('id', '=', id).execute();
          expect(fromMatches, `term ${id} ${show} @${offset}`).toEqual(fromIndex);
          compared += fromMatches.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
    // Highlighting still marks the words of the page's items.
    const first = await listInbox(t.db, projectId, { show: 'all', termId: ids[4]! }, { limit: 5, offset: 0 });
    expect(first[0]!.titleHeadline + first[0]!.excerptHeadline).toMatch(/library/);
  });
});
