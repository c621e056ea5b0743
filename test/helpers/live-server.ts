// The real app with the demo content, listening on a real port on 127.0.0.1, on its own database;
// closed and dropped after the file. For browser journeys and traffic tests.
import { afterAll } from 'vitest';
import { buildApp, type Clock } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { Db } from '../../server/db/create-db.js';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { seedDemo } from '../../server/demo/seed.js';
import { freePort } from './server-process.js';
import { createTestDatabase, TestClock } from './test-app.js';

export interface LiveServer {
  baseUrl: string;
  db: Db;
  clock: TestClock;
  /** The app itself, e.g. to run its queued jobs (`app.jobs.runUntilIdle()`). */
  app: Awaited<ReturnType<typeof buildApp>>;
}

export async function startLiveServer(options: { clock?: Clock; env?: Record<string, string> } = {}): Promise<LiveServer> {
  const database = await createTestDatabase();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const clock = new TestClock();
  const config = loadConfig({ PORT: String(port), PUBLIC_URL: baseUrl, SEED_DEMO: 'never', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', ...options.env });
  // The content is dated relative to the clock the server will read (the system clock for the soak).
  await seedDemo(database.db, { now: (options.clock ?? clock).now(), publicUrl: baseUrl, password: DEMO_PASSWORD });
  const app = await buildApp({ config, db: database.db, clock: options.clock ?? clock });
  await app.listen({ port, host: '127.0.0.1' });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });
  return { baseUrl, db: database.db, clock, app };
}
