// A burst of comments from one address: everything past the project's limit is refused with 429, and
// the requests waiting their turn do not each hold a database connection, so readers are not starved
// of connections and nothing answers 503.
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashAddress } from '../../server/comments/service.js';
import { loadSiteSecret } from '../../server/site/secrets.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { openPost, setSettings } from './helpers.js';

let t: TestApp;
let post: Awaited<ReturnType<typeof openPost>>;
let base: string;

beforeAll(async () => {
  t = await buildTestApp({ seed: true, dbConnections: 4 });
  // Real HTTP from one address (127.0.0.1), as a flood arrives.
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  post = await openPost(t, 2);
  await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'hold-all', commentsPerTenMinutes: 5 });
});

describe('a burst of comments from one address', () => {
  it('accepts the limit, refuses every other one with 429, answers no 503, and readers are served meanwhile', async () => {
    const page = await fetch(base + post.url);
    const html = await page.text();
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    t.clock.advance(30_000);

    // The address's turn is held elsewhere (as by a slow comment on another app server), so the burst
    // has to wait for it: waiting must not take the pool's connections.
    const other = new pg.Client({ connectionString: t.database.url });
    await other.connect();
    const key = `comment-rate:${hashAddress(await loadSiteSecret(t.db), '127.0.0.1')}`;
    await other.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    let burst: Promise<Array<{ status: number; retryAfter: string | null; body: string }>>;
    try {
      burst = Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const res = await fetch(`${base}${post.url}/comments`, {
            method: 'POST',
            redirect: 'manual',
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
            body: new URLSearchParams({ _csrf: csrf, name: 'Burst', email: 'burst@example.org', body: `Burst comment number ${i}.` }),
          });
          return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
        }),
      );
      // Readers from other addresses while the burst waits: each needs a connection of the pool of 4.
      const readers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => t.app.inject({ method: 'GET', url: i % 2 ? post.url : `/${post.project}/`, remoteAddress: `203.0.113.${i + 1}` })),
      );
      expect(readers.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    } finally {
      await other.query('SELECT pg_advisory_unlock_all()');
      await other.end();
    }

    const answers = await burst;
    const count = (s: number) => answers.filter((a) => a.status === s).length;
    expect({ accepted: count(303), refused: count(429), other: answers.map((a) => a.status).filter((s) => s !== 303 && s !== 429) }).toEqual({
      accepted: 5,
      refused: 195,
      other: [],
    });
    // Every refusal shows the post page again with the writer's text and says when to try again.
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.retryAfter).toBeTruthy();
      expect(refused.body).toMatch(/Burst comment number \d+\./);
    }
    const stored = await t.db.selectFrom('comments').select('id').where('author_email', '=', 'burst@example.org').execute();
    expect(stored).toHaveLength(5);
  });
});
