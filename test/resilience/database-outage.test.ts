// The database goes away mid-run: requests meanwhile get a 503 page with Retry-After quickly (no hang,
// no crash, no 500), /readyz says not ready, and the app recovers by itself once the database is back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createDb } from '../../server/db/create-db.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../server/db/embedded.js';
import { ensureDatabase } from '../../server/db/open-database.js';
import { prepareDatabase } from '../../server/startup.js';
import { freePort } from '../helpers/server-process.js';

describe('when the database goes away', () => {
  it('answers 503 with Retry-After meanwhile, and recovers by itself when it returns', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'project-blogs-outage-'));
    fs.chmodSync(dataDir, 0o755);
    const port = await freePort();
    let server: EmbeddedPostgres | undefined = await startEmbeddedPostgres({ dataDir, fast: true, port });
    await ensureDatabase(server.serverUrl, 'outage');
    const db = createDb(server.urlFor('outage'));
    await prepareDatabase(db, { seedDemo: 'always', publicUrl: 'http://blogs.test' });
    const config = loadConfig({ PUBLIC_URL: 'http://blogs.test', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0' });
    // What an operator reads: the log as JSON lines.
    const lines: Record<string, unknown>[] = [];
    const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    const events = (name: string) => lines.filter((l) => l.event === name);
    const app = await buildApp({ config, db, logger: { level: 'info', stream } });
    // Cleanup in finally, not afterAll: hooks registered inside a test body never run.
    try {
    expect((await app.inject('/info-sharing-taskforce/')).statusCode).toBe(200);
    const commentsBefore = (await db.selectFrom('comments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

    const postUrl = '/info-sharing-taskforce/posts/weeknotes-the-pilot-begins';
    const form = await app.inject(postUrl);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;

    await server.stop();
    // A comment sent meanwhile is not stored; its writer gets the text back on the 503 page, to copy.
    const text = 'A comment <written> while the database was away, & kept for its writer.';
    const refused = await app.inject({
      method: 'POST',
      url: `${postUrl}/comments`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.headers['set-cookie'] ? String(form.headers['set-cookie']).split(';')[0] : '' },
      payload: new URLSearchParams({ _csrf: csrf, name: 'Away Writer', email: 'away@example.org', body: text, password: 'not-shown-back' }).toString(),
    });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.body).toContain('What you sent');
    expect(refused.body).toContain('A comment &lt;written&gt; while the database was away, &amp; kept for its writer.');
    expect(refused.body).toContain('Away Writer');
    expect(refused.body).not.toContain('not-shown-back');
    expect(refused.body).not.toContain(csrf);
    for (const url of ['/', '/info-sharing-taskforce/', '/info-sharing-taskforce/posts/weeknotes-the-pilot-begins']) {
      const started = Date.now();
      const res = await app.inject(url);
      expect(Date.now() - started, url).toBeLessThan(2_500);
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['retry-after'], url).toBeDefined();
      expect(res.headers['content-type'], url).toContain('text/html');
      expect(res.body, url).toContain('briefly unavailable');
    }
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect((await app.inject('/healthz')).statusCode).toBe(200);

    server = await startEmbeddedPostgres({ dataDir, fast: true, port });
    const backAt = Date.now();
    let status = 0;
    while (Date.now() - backAt < 5_000) {
      status = (await app.inject('/info-sharing-taskforce/')).statusCode;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    // One event for the start of the outage, one for its end, saying how long and how many failed.
    expect(events('database_unavailable')).toHaveLength(1);
    const waitFrom = Date.now();
    while (events('database_recovered').length === 0 && Date.now() - waitFrom < 10_000) await new Promise((r) => setTimeout(r, 100));
    const [recovered, ...more] = events('database_recovered');
    expect(more).toHaveLength(0);
    expect(recovered!.outageMs).toEqual(expect.any(Number));
    expect(recovered!.outageMs as number).toBeGreaterThan(0);
    expect(recovered!.failedRequests as number).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(lines)).not.toContain('not-shown-back');
    const commentsAfter = (await db.selectFrom('comments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    expect(commentsAfter).toBe(commentsBefore);
    } finally {
      await app.close();
      await db.destroy();
      await server?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
