// The one database code path: pg Pool + Kysely's PostgresDialect, for the embedded server and any other.
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

// int8 (count(*), bigserial ids) arrives as a string by default; our values fit in a JS number.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number.parseInt(v, 10) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export interface CreateDbOptions {
  max?: number;
  /** Called for errors of idle clients (a restarted server): logged, never fatal. */
  onError?: (err: Error) => void;
  /** Counts queries, for tests that guard against N+1 (and EXPLAIN them, with their parameters); the benches read the time each took. */
  onQuery?: (sql: string, parameters: readonly unknown[], durationMs: number) => void;
}

// A statement whose text starts with `/* prepare <name> */` is sent as a named prepared statement: parsed
// and planned once per connection instead of on every call. For hot statements only (the comment call):
// planning it each time cost PostgreSQL a quarter of its CPU per comment (pgbench, 0.42 vs 0.32 ms).
// A pooler in front of PostgreSQL must then keep prepared statements per server connection (PgBouncer
// 1.21+ with max_prepared_statements, or session pooling).
const PREPARE = /^\/\* prepare ([\w-]+) \*\//;
class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // pg-pool listens for errors only on idle clients. A client checked out by a request (between two
    // queries, or in a transaction) whose server goes away emits 'error' with no listener, which killed
    // the process. The request's next query fails with a connection error (a 503), and the pool drops
    // the broken client when it is released.
    this.on('error', () => {});
  }

  // pg's overloads do not survive a subclass; the driver calls query(text, values) or query(queryObject).
  override query(config: any, values?: any, callback?: any): any {
    const name = typeof config === 'string' ? PREPARE.exec(config)?.[1] : undefined;
    return name ? super.query({ name, text: config, values }, callback) : super.query(config, values, callback);
  }
}

export function createPool(connectionString: string, options: CreateDbOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    types,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    // A query that hangs (the server went away mid-query) must not hang the request.
    query_timeout: 10_000,
    application_name: 'project-blogs',
    Client: PreparingClient,
  });
  pool.on('error', options.onError ?? (() => {}));
  return pool;
}

export function createDb(connectionString: string, options: CreateDbOptions = {}): Db {
  return dbOnPool(createPool(connectionString, options), options);
}

// The pool under each Db, for the job queue (server/jobs), whose library speaks to pg directly.
const pools = new WeakMap<Db, pg.Pool>();

/** The pg Pool a Db was made on. */
export function poolOf(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('This Db was not made by createDb/dbOnPool, so it has no pool to share.');
  return pool;
}

/** Kysely on a pool made elsewhere (createPool, or the read path's router in read-router.ts). */
export function dbOnPool(pool: pg.Pool, options: Pick<CreateDbOptions, 'onQuery'> = {}): Db {
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: options.onQuery
      ? (event) => {
          if (event.level === 'query') options.onQuery?.(event.query.sql, event.query.parameters, event.queryDurationMillis);
        }
      : undefined,
  });
  pools.set(db, pool);
  return db;
}
