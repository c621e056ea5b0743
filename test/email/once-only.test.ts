// At most once, and nothing lost: two servers sending the same batch, a server stopped in the middle of
// a batch (what it had claimed and sent stays `sending`, never resent; what it had not claimed, another
// server sends), the SMTP server away for a while, permanent refusals (550) that suspend an address, and
// the XSS corpus in post titles and bodies coming out inert in the HTML part.
import { DomUtils, parseDocument } from 'htmlparser2';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../../server/db/create-db.js';
import { CLAIM_CHUNK, sweepClaims } from '../../server/email/jobs.js';
import { jobDefinitions } from '../../server/job-list.js';
import { enqueue } from '../../server/jobs/queue.js';
import { JobWorker, type JobDefinitions } from '../../server/jobs/worker.js';
import { buildTestApp, createPerson, get, queuedJobs, runJobs, signInAs, type TestApp } from '../helpers/test-app.js';
import { XSS_VECTORS } from '../markdown/fixtures/xss-vectors.js';
import { confirmedSubscribers, makeWorld, publishPost } from './helpers.js';
import { freePort, SmtpSink } from './smtp-sink.js';

const sinks: SmtpSink[] = [];
afterAll(async () => {
  for (const s of sinks) await s.stop();
});
async function startSink(port = 0) {
  const sink = await SmtpSink.start(port);
  sinks.push(sink);
  return sink;
}

const addresses = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.org`);

/** Runs the post's fan-out but not the senders: the `email:send` jobs stay queued. */
async function fanOutOnly(t: TestApp) {
  const tasks = Object.fromEntries(Object.entries(jobDefinitions.tasks).filter(([name]) => name !== 'email:send'));
  await new JobWorker({ context: { db: t.db, config: t.config, clock: t.clock, log: t.app.log }, definitions: { tasks }, concurrency: 1 }).runUntilIdle();
}

function workerOn(t: TestApp, db: TestApp['db'], definitions: JobDefinitions = jobDefinitions) {
  return new JobWorker({ context: { db, config: t.config, clock: t.clock, log: t.app.log }, definitions, concurrency: 2 });
}

function countsPerAddress(sink: SmtpSink, subject: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of sink.received.filter((m) => m.mail.subject === subject)) for (const to of r.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

describe('at most once per (address, post)', () => {
  it('two servers sending the same batches send each email once', async () => {
    const sink = await startSink();
    const t = await buildTestApp({ env: { SMTP_URL: sink.url } });
    const w = await makeWorld(t);
    const list = addresses('twice', 150);
    await confirmedSubscribers(t, w, list);
    await publishPost(t, w, { title: 'Sent by two' });
    await fanOutOnly(t);
    // The same batches queued a second time, and the fan-out once more: as if two servers raced.
    const sends = (await queuedJobs(t)).filter((j) => j.task === 'email:send');
    expect(sends).toHaveLength(2);
    for (const job of sends) await enqueue(t.db, 'email:send', job.payload);
    const postId = (await t.db.selectFrom('posts').select('id').where('title', '=', 'Sent by two').executeTakeFirstOrThrow()).id;
    await enqueue(t.db, 'email:fan-out', { postId });
    const otherDb = createDb(t.database.url, { max: 5 });
    try {
      await Promise.all([workerOn(t, t.db).runUntilIdle(), workerOn(t, otherDb).runUntilIdle(), workerOn(t, otherDb).runUntilIdle()]);
      await runJobs(t);
    } finally {
      await otherDb.destroy();
    }
    const counts = countsPerAddress(sink, 'Sent by two');
    expect(counts.size).toBe(150);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    const { rows } = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM email_deliveries GROUP BY status`.execute(t.db);
    expect(rows).toEqual([{ status: 'sent', n: 150 }]);
  }, 120_000);

  it('a server stopped in the middle of a batch: another finishes it, with no duplicate and no loss', async () => {
    const sink = await startSink();
    const t = await buildTestApp({ env: { SMTP_URL: sink.url } });
    const w = await makeWorld(t);
    const list = addresses('crash', 30);
    await confirmedSubscribers(t, w, list);
    await publishPost(t, w, { title: 'Crash course' });
    await fanOutOnly(t);
    // Server B takes the batch; while the SMTP server holds its 10th email, B's database goes away
    // for good (its pool is destroyed): it cannot record that email, nor anything after.
    const dbB = createDb(t.database.url, { max: 3 });
    let seen = 0;
    sink.beforeAccept = async () => {
      seen += 1;
      if (seen === 10) await dbB.destroy();
    };
    await workerOn(t, dbB).runUntilIdle().catch(() => {});
    sink.beforeAccept = undefined;
    // B had claimed one chunk (CLAIM_CHUNK rows) and sent it at once: the 10th and the rest of that chunk
    // reached the SMTP server, nothing after it.
    const sentByB = countsPerAddress(sink, 'Crash course').size;
    expect(sentByB).toBeGreaterThanOrEqual(10);
    expect(sentByB).toBeLessThanOrEqual(CLAIM_CHUNK);
    // The dead server's lock on its job is released (graphile-worker does this for a worker that stopped
    // answering; force_unlock_workers is the operator's way), then server A runs what is left.
    await sql`UPDATE graphile_worker._private_jobs SET locked_at = NULL, locked_by = NULL WHERE locked_at IS NOT NULL`.execute(t.db);
    await runJobs(t, { all: true });
    const counts = countsPerAddress(sink, 'Crash course');
    expect(counts.size).toBe(30);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    const { rows } = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM email_deliveries GROUP BY status ORDER BY status`.execute(t.db);
    // B's chunk was claimed, accepted by the SMTP server, never recorded: left `sending`, not resent; A
    // sent the rest, each once.
    expect(rows).toEqual([{ status: 'sending', n: sentByB }, { status: 'sent', n: 30 - sentByB }]);
    const { rows: unrecorded } = await sql<{ address: string }>`SELECT a.address FROM email_deliveries d JOIN email_addresses a ON a.id = d.address_id WHERE d.status = 'sending'`.execute(t.db);
    const receivedBeforeTheCrash = new Set(sink.received.slice(0, sentByB).flatMap((r) => r.to));
    expect(unrecorded.every((r) => receivedBeforeTheCrash.has(r.address))).toBe(true);
    // After STALE_CLAIM_MINUTES the sweep marks it `unknown`, and site admins see it.
    await sql`UPDATE email_deliveries SET claimed_at = now() - interval '1 hour' WHERE status = 'sending'`.execute(t.db);
    await sweepClaims({}, { db: t.db, config: t.config, clock: t.clock, log: t.app.log }, { id: '0', attempts: 1, maxAttempts: 1, lastAttempt: false });
    await createPerson(t, { email: 'root@blogs.test', handle: 'root', siteAdmin: true });
    const admin = await get(t.app, '/admin/email', { cookies: await signInAs(t, 'root@blogs.test') });
    expect(admin.body).toContain('Crash course');
  });

  it('retries while the SMTP server is away, then delivers once it is back', async () => {
    const port = await freePort();
    const t = await buildTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
    const w = await makeWorld(t);
    await confirmedSubscribers(t, w, addresses('patient', 5));
    await publishPost(t, w, { title: 'Worth the wait' });
    await runJobs(t);
    await runJobs(t, { all: true });
    const waiting = (await queuedJobs(t)).filter((j) => j.task === 'email:send');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.attempts).toBe(2);
    expect(waiting[0]!.lastError).toMatch(/ECONNREFUSED|connect/i);
    // Back, but answering 4xx for a while: still temporary.
    const sink = await startSink(port);
    sink.temporarilyDown = true;
    await runJobs(t, { all: true });
    expect(sink.received).toHaveLength(0);
    sink.temporarilyDown = false;
    await runJobs(t, { all: true });
    const counts = countsPerAddress(sink, 'Worth the wait');
    expect(counts.size).toBe(5);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    expect((await queuedJobs(t)).filter((j) => j.task === 'email:send')).toHaveLength(0);
  });

  it('a temporary refusal of one address in a chunk: the others are sent and recorded, that one alone is retried', async () => {
    const sink = await startSink();
    const t = await buildTestApp({ env: { SMTP_URL: sink.url } });
    const w = await makeWorld(t);
    await confirmedSubscribers(t, w, addresses('chunk', 6));
    sink.deferred.add('chunk3@example.org');
    await publishPost(t, w, { title: 'Greylisted' });
    await runJobs(t);
    await runJobs(t);
    expect(countsPerAddress(sink, 'Greylisted').size).toBe(5);
    const { rows } = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM email_deliveries GROUP BY status ORDER BY status`.execute(t.db);
    expect(rows).toEqual([{ status: 'queued', n: 1 }, { status: 'sent', n: 5 }]);
    const waiting = (await queuedJobs(t)).filter((j) => j.task === 'email:send');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.lastError).toMatch(/451|Try again/);
    sink.deferred.clear();
    await runJobs(t, { all: true });
    const counts = countsPerAddress(sink, 'Greylisted');
    expect(counts.size).toBe(6);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    const { rows: after } = await sql<{ status: string; n: number }>`SELECT status, count(*)::int AS n FROM email_deliveries GROUP BY status`.execute(t.db);
    expect(after).toEqual([{ status: 'sent', n: 6 }]);
  });

  it('records a 550 as a hard bounce and suspends the address after 3, listed for site admins', async () => {
    const sink = await startSink();
    const t = await buildTestApp({ env: { SMTP_URL: sink.url } });
    const w = await makeWorld(t);
    await confirmedSubscribers(t, w, ['gone@example.org', 'here@example.org']);
    sink.rejected.add('gone@example.org');
    for (let i = 1; i <= 4; i += 1) {
      await publishPost(t, w, { title: `Bounce ${i}` });
      await runJobs(t);
      await runJobs(t);
    }
    expect(sink.to('here@example.org')).toHaveLength(4);
    expect(sink.to('gone@example.org')).toHaveLength(0);
    const address = await t.db.selectFrom('email_addresses').selectAll().where('address', '=', 'gone@example.org').executeTakeFirstOrThrow();
    expect(address.hard_bounces).toBe(3);
    expect(address.suspended_at).not.toBeNull();
    const { rows } = await sql<{ status: string; n: number }>`SELECT d.status, count(*)::int AS n FROM email_deliveries d JOIN email_addresses a ON a.id = d.address_id WHERE a.address = 'gone@example.org' GROUP BY d.status`.execute(t.db);
    expect(rows).toEqual([{ status: 'failed', n: 3 }]);
    await createPerson(t, { email: 'root@blogs.test', handle: 'root', siteAdmin: true });
    const cookies = await signInAs(t, 'root@blogs.test');
    const admin = await get(t.app, '/admin/email', { cookies });
    expect(admin.body).toContain('gone@example.org: 3 bounces');
  });
});

function unsafe(html: string): string[] {
  const doc = parseDocument(html, { decodeEntities: true });
  const problems: string[] = [];
  for (const el of DomUtils.findAll(() => true, doc.children)) {
    if (['script', 'iframe', 'object', 'embed', 'svg', 'math', 'base', 'style', 'img', 'link', 'meta'].includes(el.name) && !(el.name === 'meta' && (el.attribs.charset || el.attribs.name === 'viewport'))) problems.push(`<${el.name}>`);
    for (const [name, value] of Object.entries(el.attribs)) {
      if (/^on/i.test(name)) problems.push(`${el.name}[${name}]`);
      if (name === 'style') problems.push(`${el.name}[style]`);
      if (['href', 'src', 'action', 'formaction', 'background'].includes(name) && /^(javascript|vbscript|data):/i.test(value.replace(/[\u0000-\u0020\u007f-\u009f]/g, ''))) problems.push(`${el.name}[${name}]=${value}`);
    }
  }
  return problems;
}

describe('the XSS corpus in emails', () => {
  it('comes out inert in the HTML part, in full-text and summary emails', async () => {
    const sink = await startSink();
    const t = await buildTestApp({ env: { SMTP_URL: sink.url } });
    const w = await makeWorld(t, { emailFullText: true });
    await confirmedSubscribers(t, w, ['xss@example.org']);
    // NUL characters are dropped from every form (plugins/forms.ts); so here.
    for (const v of XSS_VECTORS) {
      const text = v.input.replaceAll('\u0000', '');
      await publishPost(t, w, { title: text.slice(0, 300), body: text, summary: text.slice(0, 300) });
    }
    await runJobs(t);
    await runJobs(t);
    const got = sink.to('xss@example.org');
    expect(got).toHaveLength(XSS_VECTORS.length);
    for (const r of got) {
      expect(unsafe(r.mail.html || ''), r.mail.subject).toEqual([]);
      expect(r.raw).not.toMatch(/^(Bcc|Cc):/im);
    }
  }, 180_000);
});
