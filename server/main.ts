// Process entry: read the configuration, open the database (embedded or DATABASE_URL), migrate, seed
// the demo if asked, build the app, listen, and on SIGINT/SIGTERM stop in order: stop accepting,
// finish in-flight requests, close the pool, then stop the embedded PostgreSQL. Nothing else.
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createPool, dbOnPool, type Db } from './db/create-db.js';
import { ReadRouter } from './db/read-router.js';
import { EmbeddedPostgresError } from './db/embedded.js';
import { isStorageFull } from './errors.js';
import { openDatabase, type DatabaseLocation } from './db/open-database.js';
import { findPersonByEmail } from './accounts/queries.js';
import { DEMO_ADMIN } from './demo/seed.js';
import { prepareDatabase } from './startup.js';
import { pino } from 'pino';

// Start-up and stop messages: on a terminal, the human lines; otherwise (a service manager, a container)
// the same messages as JSON log lines through pino, each with an `event`, like the request log. They are
// written at info whatever LOG_LEVEL says (as the human lines always were: LOG_LEVEL governs the request
// and job log). The demo's one-time password is the exception: see below.
const startLog = process.stdout.isTTY ? undefined : pino({ level: 'info' });

function say(message: string, event = 'startup', fields: Record<string, unknown> = {}) {
  if (startLog) {
    if (message.trim()) startLog.info({ event, ...fields }, message.trim());
  } else process.stdout.write(`${message}\n`);
}
function warn(message: string, event: string, err?: unknown) {
  if (startLog) startLog.warn({ event, ...(err === undefined ? {} : { err }) }, message);
  else process.stderr.write(`${message}${err === undefined ? '' : `: ${err instanceof Error ? err.message : String(err)}`}\n`);
}
function fail(message: string): never {
  process.stderr.write(`\n${message}\n\n`);
  process.exit(1);
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(`project-blogs cannot start. ${err.message}\nSee the configuration table in README.md.`);
  throw err;
}

let location: DatabaseLocation | undefined;
let db: Db | undefined;
let stopping = false;

async function shutdownDatabase() {
  await db?.destroy().catch(() => {});
  await location?.stop().catch((err) => warn('stopping PostgreSQL failed', 'database_stop_failed', err));
}

try {
  say(config.databaseUrl ? 'Using the PostgreSQL server in DATABASE_URL.' : `Starting the embedded PostgreSQL (data in ${config.dataDir}) …`, 'database_opening');
  location = await openDatabase(config, (m) => say(`  ${m}`, 'database_opening'));
  const primaryPool = createPool(location.url, { onError: (err) => warn('database connection error', 'database_connection_error', err) });
  db = dbOnPool(primaryPool);
  // A replica for public reads, used only while it is reachable, within DATABASE_READ_MAX_LAG_MS, and has
  // replayed every change this server has heard of (server/db/read-router.ts); otherwise the primary.
  const readRouter =
    location.readUrl !== location.url
      ? new ReadRouter(primaryPool, createPool(location.readUrl), {
          maxLagMs: config.databaseReadMaxLagMs,
          log: (level, message, err) =>
            startLog
              ? startLog[level === 'warn' ? 'warn' : 'info']({ event: 'read_replica', ...(err ? { err } : {}) }, message)
              : (level === 'warn' ? process.stderr : process.stdout).write(`${message}${err ? ` (${err instanceof Error ? err.message : String(err)})` : ''}\n`),
        })
      : undefined;
  const { applied, rerendered, seeded, demoPassword } = await prepareDatabase(db, config);
  if (applied.length) say(`Applied migrations: ${applied.join(', ')}`, 'migrations_applied', { migrations: applied });
  if (rerendered) say(`Re-rendered ${rerendered} stored texts for the current Markdown renderer.`, 'rerendered', { count: rerendered });
  if (seeded) say('Seeded the demo content (two projects).', 'demo_seeded');

  await readRouter?.start();
  const app = await buildApp({
    config,
    db,
    readRouter,
    // LISTEN on the primary: replicas do not deliver NOTIFY.
    pageCache: { listenUrl: location.url },
    logger: {
      level: config.logLevel,
      ...(process.stdout.isTTY
        ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } } }
        : {}),
    },
  });

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal} received: finishing requests in flight, then stopping.`, 'stopping', { signal });
    // Connections still open after 10 s (slow clients) are cut so that the process always ends.
    const force = setTimeout(() => app.server.closeAllConnections?.(), 8_000);
    force.unref();
    // Closing the app also stops the job worker, which waits for the jobs it is running.
    await app.close().catch((err) => warn('closing the server failed', 'close_failed', err));
    clearTimeout(force);
    await readRouter?.db.destroy().catch(() => {});
    await shutdownDatabase();
    say('Stopped.', 'stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new Error(`Port ${config.port} on ${config.host} is already in use. Stop what uses it, or set PORT to another number.`);
    if (e.code === 'EADDRNOTAVAIL') throw new Error(`HOST=${config.host} is not an address of this machine.`);
    if (e.code === 'EACCES') throw new Error(`Not allowed to listen on port ${config.port}. Use a port above 1023.`);
    throw err;
  }
  // Background jobs (emails, webmentions, imports, feed polling) run in every server, sharing one queue.
  await app.jobs.start();
  say('');
  say(`project-blogs is running: open ${config.publicUrl}/ in your browser.`, 'listening', { url: `${config.publicUrl}/` });
  const demoAdmin = await findPersonByEmail(db, DEMO_ADMIN.email);
  if (demoAdmin && demoPassword) {
    // Generated for this install and stored only as hashes: shown this once. Never a log event (no
    // password goes into the log): without a terminal it is one plain line on stdout, beside the JSON
    // lines, so whoever started the server can read it once; the event says where to look.
    const line = `Team sign-in for the demo: ${config.publicUrl}/login as ${DEMO_ADMIN.email} (site admin) or any demo team member, password "${demoPassword}".`;
    if (startLog) {
      startLog.info({ event: 'demo_password_printed', loginUrl: `${config.publicUrl}/login` }, 'The demo password follows on stdout as one plain line (not a log event); it is shown only now.');
      process.stdout.write(`${line}\n`);
    } else say(line);
    say('This password was made for this install and is shown only now. Not a demo? Start with SEED_DEMO=never; a site admin can remove the demo at /admin/demo.', 'demo_installed');
  } else if (demoAdmin) {
    say(`The demo is installed: sign in as ${DEMO_ADMIN.email} with the password printed at its first start, or get a new link with: npm run admin -- user:link --email ${DEMO_ADMIN.email}`, 'demo_installed');
  }
  if (config.smtpUrl) say(`Emails are sent through ${new URL(config.smtpUrl).host} from ${config.mailFrom}.`, 'email_transport');
  else say(`Emails are not sent (SMTP_URL is not set): they are kept in the outbox, which site admins read at ${config.publicUrl}/admin/outbox.`, 'email_transport');
  say('Press Ctrl+C to stop.', 'ready');
} catch (err) {
  await shutdownDatabase();
  let message = err instanceof EmbeddedPostgresError || err instanceof Error ? err.message : String(err);
  if (isStorageFull(err)) {
    message = `${message}\nThe disk is full (no space left${config.databaseUrl ? ' on the database server' : ` where DATA_DIR is, ${config.dataDir}`}). Free some space and start again; nothing was changed.`;
  }
  fail(`project-blogs could not start: ${message}`);
}
