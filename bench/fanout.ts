// The email fan-out row of `npm run bench` (issue 18): a post to a project with N confirmed each-post
// subscribers (50,000; --quick 500), sent by the app's own job worker (the app process that run.ts
// started, as `npm start` runs it) into a local SMTP sink in another process (bench/smtp-sink.ts).
//   - time to queue: from `post:changed` queued to the fan-out committed (every email_deliveries row
//     inserted and its `email:send` jobs queued);
//   - delivery rate: from then until no row is queued or sending, emails recorded sent per second;
//   - CPU time of the app (and of PostgreSQL) per email: less sensitive to the machine's other load;
//   - peak RSS of the app process during both.
// Checks that every subscriber got exactly one email (the sink counts messages and distinct recipients).
import type pg from 'pg';

export interface FanOutResult {
  subscribers: number;
  queueSeconds: number;
  sendSeconds: number;
  sent: number;
  emailsPerSecond: number;
  accepted: number;
  distinct: number;
  appCpuMsPerEmail?: number;
  dbCpuMsPerEmail?: number;
  sinkCpuMsPerEmail?: number;
  queueAppCpuMs?: number;
  queueDbCpuMs?: number;
  peakRssMb: number;
}

export interface FanOutProbes {
  appCpuSeconds: () => number | undefined;
  dbCpuSeconds: () => number | undefined;
  /** The sink's latest counts. */
  sink: () => { accepted: number; distinct: number; cpuMs: number };
  sampleRss: <T>(fn: () => Promise<T>) => Promise<{ value: T; peakMb: number }>;
  say: (m: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchFanOut(client: pg.Client, subscribers: number, probes: FanOutProbes): Promise<FanOutResult> {
  // A project of its own, its subscribers (confirmed, each post) and a post just made public.
  const t0 = Date.now();
  const { rows: project } = await client.query<{ id: string }>(
    `INSERT INTO projects (slug, title, summary, settings) VALUES ('fan-out', 'Fan-out Project', 'Fifty thousand stakeholders.', '{}') RETURNING id`,
  );
  const projectId = Number(project[0]!.id);
  await client.query(`INSERT INTO email_addresses (address) SELECT 'reader' || g || '@fanout.example.org' FROM generate_series(1, $1::int) g`, [subscribers]);
  await client.query(
    `INSERT INTO email_subscriptions (address_id, kind, project_id, target_key, frequency, confirmed_at)
     SELECT id, 'project', $1::bigint, $2, 'each', now() FROM email_addresses WHERE address LIKE '%@fanout.example.org'`,
    [projectId, `project:${projectId}`],
  );
  await client.query('ANALYZE email_addresses; ANALYZE email_subscriptions; ANALYZE email_deliveries');
  const { rows: post } = await client.query<{ id: string }>(
    `INSERT INTO posts (project_id, slug, title, summary, body_md, body_html, status, published_at, first_published_at, atom_id)
     VALUES ($1, 'news-for-everyone', 'News for every stakeholder', 'What changed this week, in one paragraph.', 'What changed this week.', '<p>What changed this week.</p>',
             'published', now() - interval '1 minute', now() - interval '1 minute', 'tag:bench.example,2026:fan-out') RETURNING id`,
    [projectId],
  );
  const postId = Number(post[0]!.id);
  probes.say(`fan-out: ${subscribers} confirmed subscribers seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const counts = async () => {
    const { rows } = await client.query<{ fanning: number; pending: number; sent: number }>(
      `SELECT (SELECT count(*)::int FROM graphile_worker.jobs WHERE task_identifier IN ('post:changed', 'email:fan-out')) AS fanning,
              (SELECT count(*)::int FROM email_deliveries WHERE post_id = $1 AND status IN ('queued', 'sending')) AS pending,
              (SELECT count(*)::int FROM email_deliveries WHERE post_id = $1 AND status = 'sent') AS sent`,
      [postId],
    );
    return rows[0]!;
  };

  const { value, peakMb } = await probes.sampleRss(async () => {
    const app0 = probes.appCpuSeconds();
    const db0 = probes.dbCpuSeconds();
    const sink0 = probes.sink().cpuMs;
    const start = performance.now();
    // As the app queues it when a post becomes public (server/posts/events.ts queuePostChanged).
    await client.query(`SELECT graphile_worker.add_job('post:changed', json_build_object('postId', $1::bigint), job_key => $2)`, [postId, `post-changed:${postId}`]);
    // Queued: the post:changed and email:fan-out jobs are done (their transaction committed the rows and jobs).
    for (;;) {
      const { rows } = await client.query<{ n: number; d: boolean }>(
        `SELECT (SELECT count(*)::int FROM graphile_worker.jobs WHERE task_identifier IN ('post:changed', 'email:fan-out')) AS n,
                EXISTS (SELECT 1 FROM email_deliveries WHERE post_id = $1) AS d`,
        [postId],
      );
      if (rows[0]!.n === 0 && rows[0]!.d) break;
      if (performance.now() - start > 300_000) throw new Error('fan-out: not queued within 5 minutes');
      await sleep(10);
    }
    const queued = performance.now();
    const app1 = probes.appCpuSeconds();
    const db1 = probes.dbCpuSeconds();
    let last = await counts();
    for (;;) {
      if (last.pending === 0 && last.fanning === 0) break;
      if (performance.now() - queued > 900_000) throw new Error(`fan-out: ${last.pending} emails still pending after 15 minutes`);
      await sleep(250);
      last = await counts();
    }
    const done = performance.now();
    const app2 = probes.appCpuSeconds();
    const db2 = probes.dbCpuSeconds();
    // The sink reports every 200 ms: wait for its last count.
    for (let i = 0; i < 20 && probes.sink().accepted < last.sent; i += 1) await sleep(100);
    const sink = probes.sink();
    const perEmail = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && last.sent ? ((b - a) * 1000) / last.sent : undefined);
    return {
      subscribers,
      queueSeconds: (queued - start) / 1000,
      sendSeconds: (done - queued) / 1000,
      sent: last.sent,
      emailsPerSecond: last.sent / ((done - queued) / 1000),
      accepted: sink.accepted,
      distinct: sink.distinct,
      appCpuMsPerEmail: perEmail(app1, app2),
      dbCpuMsPerEmail: perEmail(db1, db2),
      sinkCpuMsPerEmail: last.sent ? (sink.cpuMs - sink0) / last.sent : undefined,
      queueAppCpuMs: app0 !== undefined && app1 !== undefined ? (app1 - app0) * 1000 : undefined,
      queueDbCpuMs: db0 !== undefined && db1 !== undefined ? (db1 - db0) * 1000 : undefined,
    };
  });
  const result = { ...value, peakRssMb: peakMb };
  if (result.sent !== subscribers || result.accepted !== subscribers || result.distinct !== subscribers) {
    throw new Error(`fan-out: ${subscribers} subscribers, ${result.sent} recorded sent, ${result.accepted} messages reached the sink for ${result.distinct} distinct addresses`);
  }
  return result;
}
