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
import { DEMO_ADMIN } from './demo/seed.js';
import { prepareDatabase } from './startup.js';

function say(message: string) {
  process.stdout.write(`${message}\n`);
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
  await location?.stop().catch((err) => process.stderr.write(`stopping PostgreSQL failed: ${String(err)}\n`));
}

try {
  say(config.databaseUrl ? 'Using the PostgreSQL server in DATABASE_URL.' : `Starting the embedded PostgreSQL (data in ${config.dataDir}) …`);
  location = await openDatabase(config, (m) => say(`  ${m}`));
  const primaryPool = createPool(location.url, { onError: (err) => process.stderr.write(`database connection error: ${err.message}\n`) });
  db = dbOnPool(primaryPool);
  // A replica for public reads, used only while it is reachable, within DATABASE_READ_MAX_LAG_MS, and has
  // replayed every change this server has heard of (server/db/read-router.ts); otherwise the primary.
  const readRouter =
    location.readUrl !== location.url
      ? new ReadRouter(primaryPool, createPool(location.readUrl), {
          maxLagMs: config.databaseReadMaxLagMs,
          log: (level, message, err) => (level === 'warn' ? process.stderr : process.stdout).write(`${message}${err ? ` (${err instanceof Error ? err.message : String(err)})` : ''}\n`),
        })
      : undefined;
  const { applied, rerendered, seeded, demoPassword } = await prepareDatabase(db, config);
  if (applied.length) say(`Applied migrations: ${applied.join(', ')}`);
  if (rerendered) say(`Re-rendered ${rerendered} stored texts for the current Markdown renderer.`);
  if (seeded) say('Seeded the demo content (two projects).');

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
    say(`\n${signal} received: finishing requests in flight, then stopping.`);
    // Connections still open after 10 s (slow clients) are cut so that the process always ends.
    const force = setTimeout(() => app.server.closeAllConnections?.(), 8_000);
    force.unref();
    // Closing the app also stops the job worker, which waits for the jobs it is running.
    await app.close().catch((err) => process.stderr.write(`closing the server failed: ${String(err)}\n`));
    clearTimeout(force);
    await readRouter?.db.destroy().catch(() => {});
    await shutdownDatabase();
    say('Stopped.');
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
  say(`project-blogs is running: open ${config.publicUrl}/ in your browser.`);
  const demoAdmin = await db.selectFrom('people').select('id').where('email', '=', DEMO_ADMIN.email).executeTakeFirst();
  if (demoAdmin && demoPassword) {
    // Generated for this install and stored only as hashes: shown this once.
    say(`Team sign-in for the demo: ${config.publicUrl}/login as ${DEMO_ADMIN.email} (site admin) or any demo team member, password "${demoPassword}".`);
    say('This password was made for this install and is shown only now. Not a demo? Start with SEED_DEMO=never; a site admin can remove the demo at /admin/demo.');
  } else if (demoAdmin) {
    say(`The demo is installed: sign in as ${DEMO_ADMIN.email} with the password printed at its first start, or get a new link with: npm run admin -- user:link --email ${DEMO_ADMIN.email}`);
  }
  if (config.smtpUrl) say(`Emails are sent through ${new URL(config.smtpUrl).host} from ${config.mailFrom}.`);
  else say(`Emails are not sent (SMTP_URL is not set): they are kept in the outbox, which site admins read at ${config.publicUrl}/admin/outbox.`);
  say('Press Ctrl+C to stop.');
} catch (err) {
  await shutdownDatabase();
  let message = err instanceof EmbeddedPostgresError || err instanceof Error ? err.message : String(err);
  if (isStorageFull(err)) {
    message = `${message}\nThe disk is full (no space left${config.databaseUrl ? ' on the database server' : ` where DATA_DIR is, ${config.dataDir}`}). Free some space and start again; nothing was changed.`;
  }
  fail(`project-blogs could not start: ${message}`);
}
