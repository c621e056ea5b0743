// A real PostgreSQL 15 primary and hot standby for tests of the read replica and of a switch-over:
// initdb into a fresh temporary folder, pg_basebackup of that primary into a second one, both run as the
// OS user "postgres" (PostgreSQL refuses root), listening on 127.0.0.1 only, on free ports.
// Everything started here is stopped and removed by stopAll() (call it in afterAll), whatever happened.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './server-process.js';

export const PG_BIN = process.env.PG_REPLICA_BIN ?? '/usr/lib/postgresql/15/bin';
const TOOLS = ['initdb', 'postgres', 'pg_basebackup'];

/** Why replica tests cannot run here, or undefined when they can. */
export function replicaToolsMissing(): string | undefined {
  const missing = TOOLS.filter((t) => !fs.existsSync(path.join(PG_BIN, t)));
  if (missing.length) return `PostgreSQL server binaries not found in ${PG_BIN} (${missing.join(', ')}): apt-get install postgresql-15`;
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root, and there is no OS user "postgres" to run PostgreSQL as';
    }
  }
  return undefined;
}

/** Fails (instead of skipping) when REQUIRE_REPLICA=1, as CI sets it. */
export function replicaSkipReason(): string | undefined {
  const why = replicaToolsMissing();
  if (why && process.env.REQUIRE_REPLICA === '1') throw new Error(`${why}; REQUIRE_REPLICA=1 makes this a failure`);
  return why;
}

function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  };
}

// The tests' own clock tricks (faketime under scripts/test-any-day.sh) are not for PostgreSQL.
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.FAKETIME;
  delete env.PGDATA;
  return env;
}

export interface PgServer {
  name: string;
  port: number;
  dataDir: string;
  /** A URL for database `name` (default postgres). */
  url(database?: string): string;
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[], database?: string): Promise<pg.QueryResult<R>>;
  /** Stops the server (fast shutdown, then SIGKILL after 10 s); resolves when it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data (after stop()). */
  start(): Promise<void>;
  readonly running: boolean;
}

const servers = new Set<PgServer>();
const dirs: string[] = [];

function tempDir(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pb-replica-'));
  fs.chmodSync(root, 0o755);
  dirs.push(root);
  return root;
}

function run(binary: string, args: string[], user = runAs()) {
  execFileSync(path.join(PG_BIN, binary), args, { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, ...(user ?? {}) });
}

async function until(what: string, check: () => Promise<boolean>, ms: number, every = 50): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function makeServer(name: string, dataDir: string, port: number, settings: string[]): PgServer {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = '';
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const server: PgServer = {
    name,
    port,
    dataDir,
    url,
    get running() {
      return child !== undefined;
    },
    async query(text, values, database) {
      const client = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: 5_000 });
      client.on('error', () => {});
      await client.connect();
      try {
        return await client.query(text, values);
      } finally {
        await client.end().catch(() => {});
      }
    },
    async start() {
      if (child) return;
      log = '';
      const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dataDir}`, ...settings.flatMap((s) => ['-c', s])];
      const proc = spawn(path.join(PG_BIN, 'postgres'), args, { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...(runAs() ?? {}) });
      child = proc;
      const keep = (chunk: Buffer) => {
        log = (log + chunk.toString('utf8')).slice(-20_000);
      };
      proc.stdout!.on('data', keep);
      proc.stderr!.on('data', keep);
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      void exited.then(() => {
        if (child === proc) child = undefined;
      });
      try {
        await until(`${name} accepts connections`, async () => {
          if (child !== proc) throw new Error('exited');
          await server.query('SELECT 1');
          return true;
        }, 30_000);
      } catch (err) {
        throw new Error(`${name} did not start: ${String(err)}\n${log}`);
      }
    },
    async stop() {
      const proc = child;
      if (!proc) return;
      proc.kill('SIGINT'); // fast shutdown
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
      child = undefined;
    },
  };
  servers.add(server);
  return server;
}

export interface PrimaryOptions {
  /** Extra postgresql.conf settings, name=value. */
  settings?: string[];
}

/** A fresh primary: initdb (trust auth, replication allowed from 127.0.0.1), started. */
export async function startPrimary(options: PrimaryOptions = {}): Promise<PgServer> {
  const root = tempDir();
  const dataDir = path.join(root, 'primary');
  const user = runAs();
  fs.mkdirSync(dataDir, { mode: 0o700 });
  if (user) fs.chownSync(dataDir, user.uid, user.gid);
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  fs.appendFileSync(path.join(dataDir, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 trust\n');
  const port = await freePort();
  const server = makeServer('primary', dataDir, port, [
    'wal_level=replica',
    'max_wal_senders=5',
    'hot_standby=on',
    'fsync=off',
    'full_page_writes=on',
    'max_connections=60',
    'shared_buffers=16MB',
    ...(options.settings ?? []),
  ]);
  await server.start();
  return server;
}

export interface StandbyOptions {
  /** The name the standby gives itself to the primary (for synchronous_standby_names). */
  applicationName?: string;
}

/** A hot standby of `primary` (pg_basebackup, streaming), started and replaying. */
export async function makeStandby(primary: PgServer, options: StandbyOptions = {}): Promise<PgServer> {
  const root = tempDir();
  const dataDir = path.join(root, 'standby');
  const user = runAs();
  fs.mkdirSync(dataDir, { mode: 0o700 });
  if (user) fs.chownSync(dataDir, user.uid, user.gid);
  run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dataDir, '-X', 'stream', '-R', '--no-sync', '-c', 'fast']);
  const name = options.applicationName ?? 'standby';
  // pg_basebackup -R wrote standby.signal and primary_conninfo; name this standby for the primary.
  fs.appendFileSync(
    path.join(dataDir, 'postgresql.auto.conf'),
    `\nprimary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres application_name=${name}'\n`,
  );
  const port = await freePort();
  const server = makeServer('standby', dataDir, port, ['hot_standby=on', 'fsync=off', 'max_connections=60', 'shared_buffers=16MB']);
  await server.start();
  await until('the standby streams from the primary', async () => {
    const { rows } = await primary.query('SELECT count(*)::int AS n FROM pg_stat_replication WHERE application_name = $1 AND state = $2', [name, 'streaming']);
    return rows[0].n > 0;
  }, 30_000);
  return server;
}

/** The primary's current WAL position, as text (e.g. 0/3000148). */
export async function primaryLsn(primary: PgServer): Promise<string> {
  return (await primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn;
}

/** Waits until the standby has replayed everything the primary had written when this was called. */
export async function waitForReplay(primary: PgServer, standby: PgServer, ms = 15_000): Promise<void> {
  const lsn = await primaryLsn(primary);
  await until(`standby replays up to ${lsn}`, async () => {
    const { rows } = await standby.query<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]);
    return rows[0]!.ok;
  }, ms);
}

export async function pauseReplay(standby: PgServer): Promise<void> {
  await standby.query('SELECT pg_wal_replay_pause()');
  await until('replay paused', async () => (await standby.query<{ s: string }>('SELECT pg_get_wal_replay_pause_state() AS s')).rows[0]!.s === 'paused', 10_000);
}

export async function resumeReplay(standby: PgServer): Promise<void> {
  await standby.query('SELECT pg_wal_replay_resume()');
}

/** Promotes the standby to a primary; resolves once it accepts writes. */
export async function promote(standby: PgServer): Promise<void> {
  await standby.query('SELECT pg_promote(true, 30)');
  await until('promoted', async () => !(await standby.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r, 30_000);
}

/** Stops every server this helper started and removes their folders. */
export async function stopAll(): Promise<void> {
  for (const server of [...servers].reverse()) await server.stop().catch(() => {});
  servers.clear();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
