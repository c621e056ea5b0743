// The daily email of new matches: a member opts in on the Conversations page; at the site's digest hour
// (08:00 Europe/London by default, or the first tick after it; the test clock is set to it, whatever day or zone the suite runs in)
// the job queue sends, through a real SMTP server (smtp-server in the test), the items fetched since
// the member's last email that match a key term, with a link to the inbox: once per member and day
// (a database key), nothing when nothing is new, nothing to members who did not ask. Each email can be
// stopped in one click (RFC 8058 List-Unsubscribe + List-Unsubscribe-Post, and a link in its body), with
// no cookie; the Conversations page turns it on again.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../server/jobs/queue.js';
import { EMAIL_TICK_TASK, newMatchesEmail } from '../../server/listening/daily-email.js';
import { SmtpSink } from '../email/smtp-sink.js';
import { buildTestApp, createPerson, get, runJobs, signInAs, submitForm, TestClock, type TestApp } from '../helpers/test-app.js';
import { rss, startWeb, type TestWeb } from './web.js';

let t: TestApp;
let web: TestWeb;
let sink: SmtpSink;
let editor: Record<string, string>;
const INBOX = '/admin/projects/daily/listening';
const SOURCES = `${INBOX}/sources`;
// 08:00 in London (BST) on a Thursday: the default digest hour.
const DIGEST_HOUR = new Date('2026-06-18T07:00:00Z');
const DAY = 86_400_000;

let items: Array<{ id: string; title: string; content?: string }> = [];

beforeAll(async () => {
  sink = await SmtpSink.start();
  t = await buildTestApp({ clock: new TestClock(new Date('2026-06-17T05:00:00Z')), env: { ALLOW_PRIVATE_FETCH: '1', SMTP_URL: `${sink.url}?tls=off` } });
  web = await startWeb();
  web.route('/news.xml', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss('Neighbours', items)));
  const project = await t.db.insertInto('projects').values({ slug: 'daily', title: 'Daily Desk', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  await createPerson(t, { email: 'ed@example.org', handle: 'ed' }, { projectId: Number(project.id), role: 'editor' });
  await createPerson(t, { email: 'quiet@example.org', handle: 'quiet' }, { projectId: Number(project.id), role: 'editor' });
  editor = await signInAs(t, 'ed@example.org');
});

afterAll(async () => {
  await web.close();
  await sink.stop();
});

async function tick() {
  await enqueue(t.db, EMAIL_TICK_TASK, {});
  await runJobs(t);
}

async function poll() {
  await sql`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE key LIKE 'listen:source:%'`.execute(t.db);
  await runJobs(t);
}

describe('daily email of new matches', () => {
  it('is sent once a day to the members who asked, listing only new matching items, with a link to the inbox', async () => {
    // Opt in on the Conversations page (a form, with JS off); a term to listen for.
    const page = await get(t.app, INBOX, { cookies: editor });
    expect(page.body).toContain('Email me new matches daily');
    const opt = await submitForm(t.app, INBOX, `${INBOX}/daily-email`, { daily: 'on' }, editor);
    expect(opt.response.statusCode).toBe(303);
    expect((await get(t.app, INBOX, { cookies: editor })).body).toContain('Stop my daily email');
    await submitForm(t.app, SOURCES, `${INBOX}/terms`, { term: 'flood barrier' }, editor);
    expect(await t.db.selectFrom('listen_terms').select('query').execute()).toEqual([{ query: 'flood barrier' }]);

    t.clock.advance(60_000);
    items = [
      { id: 'a', title: 'The new flood barrier <opens>', content: 'A barrier against the flood.' },
      { id: 'b', title: 'Bake sale on Sunday', content: 'Cakes.' },
    ];
    await submitForm(t.app, SOURCES, SOURCES, { address: `${web.base}/news.xml`, mode: 'all' }, editor);

    // Before the digest hour (06:00 in London): nothing.
    await tick();
    expect(sink.received).toHaveLength(0);

    t.clock.set(DIGEST_HOUR);
    await tick();
    expect(sink.received).toHaveLength(1);
    const mail = sink.received[0]!;
    expect(mail.to).toEqual(['ed@example.org']);
    expect(mail.mail.subject).toBe('1 new match in Daily Desk’s conversations');
    expect(mail.mail.text).toContain('The new flood barrier <opens>');
    expect(mail.mail.text).not.toContain('Bake sale');
    expect(mail.mail.text).toContain(`Read and answer them in the inbox: ${t.config.publicUrl}${INBOX}`);
    expect(String(mail.mail.html)).toContain('The new flood barrier &lt;opens&gt;');
    expect(String(mail.mail.html)).toContain(`href="${t.config.publicUrl}${INBOX}"`);

    // Later the same day, with a new match: still one email (one row per member, project and day).
    t.clock.advance(60_000);
    items = [...items, { id: 'c', title: 'Flood barrier delayed' }];
    await poll();
    await enqueue(t.db, EMAIL_TICK_TASK, { force: true });
    await runJobs(t);
    expect(sink.received).toHaveLength(1);
    await expect(sql`INSERT INTO listen_email_sends (person_id, project_id, day, period_end) SELECT person_id, project_id, day, period_end FROM listen_email_sends`.execute(t.db)).rejects.toThrow(/unique/i);

    // The next day: only what is new since the last email.
    t.clock.set(new Date(DIGEST_HOUR.getTime() + DAY));
    await tick();
    expect(sink.received).toHaveLength(2);
    expect(sink.received[1]!.mail.text).toContain('Flood barrier delayed');
    expect(sink.received[1]!.mail.text).not.toContain('The new flood barrier');

    // The day after, nothing new: no email.
    t.clock.set(new Date(DIGEST_HOUR.getTime() + 2 * DAY));
    await tick();
    expect(sink.received).toHaveLength(2);
    const rows = await t.db.selectFrom('listen_email_sends').select(['day', 'status', 'items']).orderBy('day').execute();
    expect(rows.map((r) => [r.status, r.items])).toEqual([
      ['sent', 1],
      ['sent', 1],
      ['skipped', 0],
    ]);
    // The member who did not ask never got anything.
    expect(sink.to('quiet@example.org')).toHaveLength(0);

    // Turned off: nothing more, whatever arrives.
    editor = await signInAs(t, 'ed@example.org');
    const off = await submitForm(t.app, INBOX, `${INBOX}/daily-email`, { daily: 'off' }, editor);
    expect(off.response.statusCode).toBe(303);
    t.clock.advance(60_000);
    items = [...items, { id: 'd', title: 'Flood barrier finished' }];
    await poll();
    t.clock.set(new Date(DIGEST_HOUR.getTime() + 3 * DAY));
    await tick();
    expect(sink.received).toHaveLength(2);
  });

  it('can be stopped in one click from the email (RFC 8058, no cookie), and turned on again on the Conversations page', async () => {
    // On again (the first test turned it off), and a new match for the next day.
    editor = await signInAs(t, 'ed@example.org');
    expect((await get(t.app, INBOX, { cookies: editor })).body).toContain('Email me new matches daily');
    await submitForm(t.app, INBOX, `${INBOX}/daily-email`, { daily: 'on' }, editor);
    t.clock.advance(60_000);
    items = [...items, { id: 'e', title: 'Flood barrier opened by the mayor' }];
    await poll();
    t.clock.set(new Date(DIGEST_HOUR.getTime() + 4 * DAY));
    const before = sink.received.length;
    await tick();
    expect(sink.received).toHaveLength(before + 1);
    const received = sink.received.at(-1)!;
    const mail = received.mail;
    // The header block, unfolded (a long header continues on the next line, indented).
    const headers = received.raw.slice(0, received.raw.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, ' ');
    expect(headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    const offUrl = /^List-Unsubscribe: <([^>]+)>\r?$/m.exec(headers)?.[1] ?? '';
    expect(offUrl).toMatch(new RegExp(`^${t.config.publicUrl}/listening/daily-email/off/\\d+-\\d+\\.[A-Za-z0-9_-]{32}$`));
    // The same link, visible in both parts of the email.
    expect(mail.text).toContain(`Stop this daily email: ${offUrl}`);
    expect(String(mail.html)).toContain(`href="${offUrl}"`);
    const path = offUrl.slice(t.config.publicUrl.length);
    editor = await signInAs(t, 'ed@example.org');

    // A tampered token: a clear 404 page, nothing changed.
    const [ids, mac] = path.split('/').at(-1)!.split('.');
    const other = `/listening/daily-email/off/${ids!.replace(/^\d+/, (n) => String(Number(n) + 1))}.${mac}`;
    const flipped = `/listening/daily-email/off/${ids}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [other, flipped, '/listening/daily-email/off/nonsense', `/listening/daily-email/off/${'9'.repeat(400)}`, '/listening/daily-email/off/%E0%A4%A']) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await t.app.inject({ method, url: bad, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined });
        expect(res.statusCode, `${method} ${bad}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${method} ${bad}`).toBeLessThan(500);
      }
    }
    expect((await get(t.app, INBOX, { cookies: editor })).body).toContain('Stop my daily email');

    // The link's page (GET) changes nothing: link scanners only GET.
    const page = await get(t.app, path);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Stop your daily email of new matches in Daily Desk’s conversations?');
    expect((await get(t.app, INBOX, { cookies: editor })).body).toContain('Stop my daily email');

    // The mail client's one-click POST: no cookie, no CSRF token.
    const off = await t.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(off.statusCode).toBe(200);
    expect(off.body).toContain('Your daily email is stopped');
    expect(await t.db.selectFrom('listen_email_prefs').select('person_id').execute()).toEqual([]);
    // Again is harmless.
    expect((await t.app.inject({ method: 'POST', url: path })).statusCode).toBe(200);

    t.clock.advance(60_000);
    items = [...items, { id: 'f', title: 'Flood barrier tested' }];
    await poll();
    t.clock.set(new Date(DIGEST_HOUR.getTime() + 5 * DAY));
    await tick();
    expect(sink.received).toHaveLength(before + 1);

    // On again from the team side.
    editor = await signInAs(t, 'ed@example.org');
    expect((await get(t.app, INBOX, { cookies: editor })).body).toContain('Email me new matches daily');
    await submitForm(t.app, INBOX, `${INBOX}/daily-email`, { daily: 'on' }, editor);
    expect((await get(t.app, INBOX, { cookies: editor })).body).toContain('Stop my daily email');
  });

  it('the message escapes what other sites wrote and counts what it does not list', () => {
    const email = newMatchesEmail({
      projectTitle: 'P',
      items: [{ title: '<script>alert(1)</script>', url: 'https://x.example/"><b>', sourceTitle: '<i>src</i>', terms: ['a<b'] }],
      total: 3,
      inboxUrl: 'http://blogs.test/admin/projects/p/listening',
      offUrl: 'http://blogs.test/listening/daily-email/off/1-2.x',
    });
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('"><b>');
    expect(email.html).not.toContain('<i>src');
    expect(email.text).toContain('…and 2 more.');
  });
});
