// 1,000 watched feeds across projects must not make one server fetch more than the configured number at
// once (LISTEN_MAX_CONCURRENT_FETCHES), and one host never gets two requests at once (a job queue per
// host name). A local "web" of ten hosts (127.0.0.2–11) counts the requests it is serving at each moment.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { schedulePoll } from '../../server/listening/poll.js';
import { buildTestApp } from '../helpers/test-app.js';
import { waitUntil } from '../helpers/wait.js';

const servers: http.Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

it('1,000 sources: never more fetches at once than configured, never two at once to one host', async () => {
  let now = 0;
  let most = 0;
  const perHost = new Map<string, number>();
  let mostPerHost = 0;
  let served = 0;
  const bases: string[] = [];
  for (let n = 2; n <= 11; n++) {
    const host = `127.0.0.${n}`;
    const server = http.createServer((req, res) => {
      now++;
      most = Math.max(most, now);
      perHost.set(host, (perHost.get(host) ?? 0) + 1);
      mostPerHost = Math.max(mostPerHost, perHost.get(host)!);
      // Slow enough for fetches to overlap; most answers are 304 as for a feed that did not change.
      setTimeout(() => {
        now--;
        perHost.set(host, perHost.get(host)! - 1);
        served++;
        res.writeHead(304, { etag: '"same"' }).end();
      }, 15);
      void req;
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    servers.push(server);
    bases.push(`http://${host}:${(server.address() as AddressInfo).port}`);
  }

  const t = await buildTestApp({ jobs: true, env: { ALLOW_PRIVATE_FETCH: '1', JOB_CONCURRENCY: '12', LISTEN_MAX_CONCURRENT_FETCHES: '3' } });
  const projects = await t.db
    .insertInto('projects')
    .values(Array.from({ length: 10 }, (_, n) => ({ slug: `p${n}`, title: `P${n}`, settings: '{}' })))
    .returning('id')
    .execute();
  const sources = await t.db
    .insertInto('listen_sources')
    .values(Array.from({ length: 1000 }, (_, n) => ({ project_id: Number(projects[n % 10]!.id), url: `${bases[n % 10]}/feed-${n}.xml`, etag: '"same"' })))
    .returning(['id', 'url'])
    .execute();
  await t.db.transaction().execute(async (tx) => {
    for (const s of sources) await schedulePoll(tx, { id: Number(s.id), url: s.url }, 0);
  });
  const done = await waitUntil(async () => {
    const row = await t.db.selectFrom('listen_sources').select((eb) => eb.fn.countAll<string>().as('n')).where('last_fetched_at', 'is not', null).executeTakeFirstOrThrow();
    return Number(row.n) === 1000;
  }, 240_000, 250);
  expect(done).toBe(true);
  expect(served).toBe(1000);
  expect(most).toBeLessThanOrEqual(3);
  expect(most).toBeGreaterThanOrEqual(2); // fetches did overlap: the cap, not chance, kept them at 3
  expect(mostPerHost).toBe(1);
  const errors = await t.db.selectFrom('listen_sources').select('last_error').where('last_error', 'is not', null).execute();
  expect(errors).toEqual([]);
}, 300_000);
