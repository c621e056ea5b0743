// The email fan-out figure (issue 18): a post to a project with N confirmed subscribers (50,000 by
// default). Measures, in this process (which runs the job worker, as every server does):
//   - time to queue: from `post:changed` to every delivery row inserted and its send jobs queued;
//   - delivery rate: emails accepted by a local SMTP sink (smtp-server in this process, so the rate
//     includes the sink's own work on the same 2 cores) per second, with JOB_CONCURRENCY workers;
//   - peak RSS of the process while doing both.
// Needs a PostgreSQL server: DATABASE_URL (a server URL; a fresh database is made and dropped), default
// the machine's postgres://postgres@127.0.0.1:5432/postgres. Prints one JSON line.
// Run: npm run bench:email -- [--subscribers 50000] [--concurrency 4] [--queue-only]
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import pg from 'pg';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../server/config.js';
import { createDb } from '../server/db/create-db.js';
import { migrateToLatest } from '../server/db/migrate.js';
import { jobDefinitions } from '../server/job-list.js';
import { JobWorker } from '../server/jobs/worker.js';
import { queuePostChanged } from '../server/posts/events.js';
import { closeTransports } from '../server/email/transport.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const subscribers = arg('subscribers', 50_000);
const concurrency = arg('concurrency', 4);
/** Measure the fan-out only (no sending): for the time to queue with many subscribers on a busy machine. */
const queueOnly = process.argv.includes('--queue-only');
const serverUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(statement: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);

let accepted = 0;
const sink = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  closeTimeout: 50,
  onData(stream, _session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => {
      accepted += 1;
      callback();
    });
  },
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
const port = (sink.server.address() as { port: number }).port;

const name = `pb_fanout_${randomBytes(4).toString('hex')}`;
await admin(`CREATE DATABASE ${name}`);
const url = new URL(serverUrl);
url.pathname = `/${name}`;
const db = createDb(url.toString(), { max: concurrency + 4 });
try {
  await migrateToLatest(db);
  const config = loadConfig({ PUBLIC_URL: 'https://blogs.example.gov', SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'updates@blogs.example.gov', JOB_CONCURRENCY: String(concurrency) });
  const project = await db.insertInto('projects').values({ slug: 'river', title: 'Riverside Park', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  await sql`INSERT INTO email_addresses (address) SELECT 'reader' || g || '@example.org' FROM generate_series(1, ${subscribers}) g`.execute(db);
  await sql`INSERT INTO email_subscriptions (address_id, kind, project_id, target_key, frequency, confirmed_at)
            SELECT id, 'project', ${project.id}, ${`project:${project.id}`}, 'each', now() FROM email_addresses`.execute(db);
  const post = await db
    .insertInto('posts')
    .values({ project_id: project.id, slug: 'news', title: 'News for fifty thousand', summary: 'A summary.', body_md: 'Body.', body_html: '<p>Body.</p>', status: 'published', published_at: new Date(Date.now() - 60_000), first_published_at: new Date(Date.now() - 60_000) })
    .returning('id')
    .executeTakeFirstOrThrow();
  const log = pino({ level: 'silent' });
  const context = { db, config, clock: { now: () => new Date() }, log };
  const baseline = process.memoryUsage.rss();

  // Time to queue: post:changed, then the fan-out (no sender yet).
  const queueing = Object.fromEntries(Object.entries(jobDefinitions.tasks).filter(([task]) => task !== 'email:send'));
  const t0 = performance.now();
  await queuePostChanged(db, post.id);
  await new JobWorker({ context, definitions: { tasks: queueing }, concurrency: 1 }).runUntilIdle();
  const queueSeconds = (performance.now() - t0) / 1000;
  const { rows: queued } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM email_deliveries WHERE status = 'queued'`.execute(db);

  if (queueOnly) {
    console.log(JSON.stringify({ subscribers, queued: queued[0]!.n, queueSeconds: Number(queueSeconds.toFixed(2)), baselineRssMb: Math.round(baseline / 1048576), peakRssMb: Math.round(peakRss / 1048576) }));
    process.exitCode = 0;
  }
  // Delivery: the real worker (as a server runs it) until every row is sent.
  if (!queueOnly) {
  const worker = new JobWorker({ context, definitions: jobDefinitions, concurrency, pollIntervalMs: 500 });
  const t1 = performance.now();
  await worker.start();
  for (;;) {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM email_deliveries WHERE status IN ('queued', 'sending')`.execute(db);
    if (rows[0]!.n === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const sendSeconds = (performance.now() - t1) / 1000;
  await worker.stop();
  const { rows: sent } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM email_deliveries WHERE status = 'sent'`.execute(db);
  console.log(
    JSON.stringify({
      subscribers,
      concurrency,
      queued: queued[0]!.n,
      queueSeconds: Number(queueSeconds.toFixed(2)),
      sent: sent[0]!.n,
      accepted,
      sendSeconds: Number(sendSeconds.toFixed(1)),
      emailsPerSecond: Math.round(sent[0]!.n / sendSeconds),
      baselineRssMb: Math.round(baseline / 1048576),
      peakRssMb: Math.round(peakRss / 1048576),
    }),
  );
  }
} finally {
  clearInterval(sampler);
  closeTransports();
  await db.destroy();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await new Promise<void>((resolve) => sink.close(() => resolve()));
}
