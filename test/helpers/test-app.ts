// Builds the real app on a fresh database cloned from the migrated template. No mocks: the same
// buildApp, the same PostgreSQL, fastify.inject for requests.
import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp, type Clock } from '../../server/app.js';
import { loadConfig, type Config } from '../../server/config.js';
import { createDb, type Db } from '../../server/db/create-db.js';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { seedDemo } from '../../server/demo/seed.js';
import { adminQuery, databaseUrl } from './database-url.js';
export { adminQuery };

// Apps built by this file's tests, closed after all of them: registered once here, at the file's top
// level, so that buildTestApp() may also be called inside a test body (where hooks would not register).
const toClose: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
});

/**
 * The instant every test clock starts at unless told otherwise: a Wednesday, mid-morning in UTC, away from
 * any daylight-saving change in the demo projects' zones. Tests never read the real date, weekday, hour or
 * time zone: what they check holds on a Saturday, at midnight and at UTC+14 alike (scripts/test-any-day.sh).
 */
export const TEST_NOW = new Date('2026-06-17T10:00:00Z');

export class TestClock implements Clock {
  constructor(public current = new Date(TEST_NOW)) {}
  now() {
    return this.current;
  }
  set(date: Date | string) {
    this.current = new Date(date);
  }
  advance(ms: number) {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  db: Db;
  drop(): Promise<void>;
}

/** A fresh, migrated, empty database for this test file. */
export async function createTestDatabase(options: { onQuery?: (sql: string, parameters: readonly unknown[]) => void; max?: number } = {}): Promise<TestDatabase> {
  const serverUrl = inject('dbServerUrl');
  const name = `pb_t_${inject('dbRunId')}_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name} TEMPLATE ${inject('dbTemplate')}`);
  const url = databaseUrl(serverUrl, name);
  const db = createDb(url, { max: options.max ?? 5, onQuery: options.onQuery });
  return {
    url,
    name,
    db,
    async drop() {
      await db.destroy();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}


export interface TestApp {
  app: FastifyInstance;
  db: Db;
  database: TestDatabase;
  clock: TestClock;
  config: Config;
}

export interface TestAppOptions {
  /** Seed the demo content first (default false: an empty database). */
  seed?: boolean;
  clock?: TestClock;
  env?: Record<string, string>;
  onQuery?: (sql: string, parameters: readonly unknown[]) => void;
  /** Connections in the app's pool (default 5); 1 makes every query use the same session. */
  dbConnections?: number;
  /** Turn on the in-memory page cache with its LISTEN connection (off by default: see server/cache). */
  pageCache?: boolean;
  /** Fastify logger options (default: no log), e.g. `{ level: 'info', stream }` to read what is logged. */
  logger?: import('fastify').FastifyServerOptions['logger'];
  /**
   * Start the real background-job worker (LISTEN/NOTIFY, cron), as `npm start` does. Off by default:
   * most tests run queued jobs when they choose, with runJobs().
   */
  jobs?: boolean;
}

/** The real app on its own database; closed and dropped after the file's tests. */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase({ onQuery: options.onQuery, max: options.dbConnections });
  const clock = options.clock ?? new TestClock();
  const config = loadConfig({ PUBLIC_URL: 'http://blogs.test', SEED_DEMO: 'never', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', ...options.env });
  if (options.seed) await seedDemo(database.db, { now: clock.now(), publicUrl: config.publicUrl, password: DEMO_PASSWORD });
  const app = await buildApp({
    config,
    db: database.db,
    clock,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.pageCache ? { pageCache: { listenUrl: database.url } } : {}),
  });
  toClose.push(async () => {
    await app.close();
    await database.drop();
  });
  if (options.jobs) await app.jobs.start();
  return { app, db: database.db, database, clock, config };
}

/**
 * Runs the queued jobs that are due, until none is left (what a worker would do next). With `all`,
 * jobs waiting for a later time (retries, delays) are made due first.
 */
export async function runJobs(t: TestApp, options: { all?: boolean } = {}): Promise<void> {
  const { sql } = await import('kysely');
  if (options.all) await sql`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE locked_at IS NULL AND run_at > now()`.execute(t.db);
  await t.app.jobs.runUntilIdle();
}

/** The jobs waiting in the queue (not failed for good), oldest first: task name and payload. */
export async function queuedJobs(t: TestApp): Promise<Array<{ task: string; payload: Record<string, unknown>; attempts: number; lastError: string | null }>> {
  const { sql } = await import('kysely');
  const { rows } = await sql<{ task: string; payload: Record<string, unknown>; attempts: number; last_error: string | null }>`
    SELECT tasks.identifier AS task, jobs.payload, jobs.attempts, jobs.last_error
    FROM graphile_worker._private_jobs jobs JOIN graphile_worker._private_tasks tasks ON tasks.id = jobs.task_id
    WHERE jobs.attempts < jobs.max_attempts ORDER BY jobs.id`.execute(t.db);
  return rows.map((r) => ({ task: r.task, payload: r.payload, attempts: r.attempts, lastError: r.last_error }));
}

/**
 * Moves the test clock to PostgreSQL's now(): for rows dated by the database itself (the benchmark corpus
 * uses now() - interval), so that the app and those rows agree on what is past, even under faketime.
 */
export async function clockToDatabaseNow(t: TestApp): Promise<void> {
  const { sql } = await import('kysely');
  const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(t.db);
  t.clock.set(rows[0]!.now);
}

/** GET a page and return status and body, following nothing. */
export async function get(app: FastifyInstance, url: string, options: Omit<InjectOptions, 'url' | 'method'> = {}) {
  return app.inject({ method: 'GET', url, ...options });
}

/**
 * Fetch a form page, then submit it like a browser: carries the CSRF cookie and token.
 * `fields` are the form fields to send (besides _csrf).
 */
export async function submitForm(
  app: FastifyInstance,
  formPageUrl: string,
  action: string,
  fields: Record<string, string | string[]>,
  cookies: Record<string, string> = {},
) {
  const page = await app.inject({ method: 'GET', url: formPageUrl, cookies });
  const jar = { ...cookies, ...cookiesFrom(page) };
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no CSRF token in the form at ${formPageUrl} (status ${page.statusCode})`);
  const body = new URLSearchParams();
  body.append('_csrf', token);
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  const response = await app.inject({
    method: 'POST',
    url: action,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    cookies: jar,
    payload: body.toString(),
  });
  return { response, cookies: { ...jar, ...cookiesFrom(response) } };
}

export function cookiesFrom(response: { cookies: Array<{ name: string; value: string }> }): Record<string, string> {
  return Object.fromEntries(response.cookies.map((c) => [c.name, c.value]));
}

/** Signs a person in without the login form (tests of other features): returns the cookie jar. */
export async function signInAs(t: TestApp, email: string): Promise<Record<string, string>> {
  const { createSession, SESSION_COOKIE } = await import('../../server/auth/sessions.js');
  const person = await t.db.selectFrom('people').select('id').where('email', '=', email.toLowerCase()).executeTakeFirstOrThrow();
  return { [SESSION_COOKIE]: await createSession(t.db, person.id, t.clock.now()) };
}

/** Creates a person (and optionally a membership) directly in the database. */
export async function createPerson(
  t: TestApp,
  fields: { email: string; handle: string; displayName?: string; siteAdmin?: boolean; passwordHash?: string | null },
  membership?: { projectId: number; role: import('../../server/db/schema.js').Role },
) {
  const row = await t.db
    .insertInto('people')
    .values({
      email: fields.email.toLowerCase(),
      handle: fields.handle,
      display_name: fields.displayName ?? fields.handle,
      is_site_admin: fields.siteAdmin ?? false,
      password_hash: fields.passwordHash ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (membership) await t.db.insertInto('memberships').values({ project_id: membership.projectId, person_id: row.id, role: membership.role }).execute();
  return row.id;
}
