// Email updates from the public side, against a real SMTP server in the test process: the form (no
// JavaScript, same answer for everyone, throttled, refusing header injection), double opt-in, the email
// of a new post (text and HTML parts, absolute links, no images, RFC 8058 headers), one-click
// unsubscribe without cookies, the manage page, scheduled and unpublished posts, digests.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobDefinitions } from '../../server/job-list.js';
import { JobWorker } from '../../server/jobs/worker.js';
import { buildTestApp, get, queuedJobs, runJobs, type TestApp } from '../helpers/test-app.js';
import { linkIn, makeWorld, publishPost, subscribe, subscribeConfirmed, type World } from './helpers.js';
import { SmtpSink } from './smtp-sink.js';

let sink: SmtpSink;
let t: TestApp;
let w: World;

beforeAll(async () => {
  sink = await SmtpSink.start();
  t = await buildTestApp({ env: { SMTP_URL: sink.url, MAIL_FROM: 'updates@blogs.test' } });
  w = await makeWorld(t);
});
afterAll(async () => sink.stop());

describe('subscribing', () => {
  it('offers the form beside the feed links of project, tag, person and search pages, without JavaScript', async () => {
    for (const [url, to] of [['/river/', 'project:river'], ['/river/tags/flooding', 'tag:river/flooding'], ['/people/ana', 'person:ana']] as const) {
      await publishPost(t, w, { tagged: true });
      const page = await get(t.app, url);
      expect(page.statusCode, url).toBe(200);
      expect(page.body).toContain('action="/email/subscribe"');
      expect(page.body).toContain(`name="to" value="${to}"`);
      expect(page.body).toMatch(/<label for="email-updates-address">Email address<\/label>/);
    }
    await runJobs(t);
    const search = await get(t.app, '/search?q=post');
    expect(search.body).toContain('name="to" value="search:q=post"');
  });

  it('answers the same for a new, a pending and a subscribed address, and sends only a confirmation until confirmed', async () => {
    const first = await subscribe(t, 'project:river', 'New.Person@Example.org');
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/email/check-inbox?to=project%3Ariver');
    await runJobs(t);
    const confirmation = sink.to('new.person@example.org');
    expect(confirmation).toHaveLength(1);
    expect(confirmation[0]!.mail.subject).toContain('Confirm your email updates');
    expect(confirmation[0]!.mail.html).toContain('Confirm your email updates');
    // Pending: a post goes out, but not to this address.
    await publishPost(t, w);
    await runJobs(t);
    expect(sink.to('new.person@example.org')).toHaveLength(1);
    const again = await subscribe(t, 'project:river', 'new.person@example.org');
    expect([again.statusCode, again.headers.location]).toEqual([first.statusCode, first.headers.location]);
    // Confirm through the page (a button), twice: harmless.
    const confirmPath = linkIn(confirmation[0]!.mail.text ?? '', '/email/confirm/');
    const page = await get(t.app, confirmPath);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<button type="submit">Confirm</button>');
    const yes = await t.app.inject({ method: 'POST', url: confirmPath });
    expect(yes.statusCode).toBe(303);
    expect((await t.app.inject({ method: 'POST', url: confirmPath })).statusCode).toBe(303);
    const subscribed = await subscribe(t, 'project:river', 'new.person@example.org');
    expect([subscribed.statusCode, subscribed.headers.location]).toEqual([first.statusCode, first.headers.location]);
    const check = await get(t.app, first.headers.location as string);
    expect(check.body).toContain('Check your inbox');
    // A forged or expired link is refused with a page, not a 500.
    expect((await get(t.app, '/email/confirm/1.99.forged')).statusCode).toBe(404);
    t.clock.advance(4 * 86_400_000);
    try {
      expect((await t.app.inject({ method: 'POST', url: confirmPath })).statusCode).toBe(410);
    } finally {
      t.clock.advance(-4 * 86_400_000);
    }
  });

  it('refuses header injection and anything but one plain address, keeping what was typed', async () => {
    const before = (await queuedJobs(t)).length;
    for (const bad of ['victim@example.org\r\nBcc: everyone@example.org', 'victim@example.org\nSubject: hi', 'Victim <victim@example.org>', 'a@example.org, b@example.org', 'a@example.org;b@example.org', 'not an address', '']) {
      const response = await subscribe(t, 'project:river', bad);
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
      expect(response.body).toContain('There is a problem');
      expect(response.body).toContain('aria-invalid="true"');
      expect(response.body).toMatch(/<title>Error: Email updates ·/); // once: the layout adds it
      if (bad) expect(response.body).toContain(`value="${bad.replace(/[\r\n]+/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;')}"`);
    }
    const noFrequency = await subscribe(t, 'project:river', 'ok@example.org', 'hourly');
    expect(noFrequency.statusCode).toBe(400);
    expect(noFrequency.body).toContain('Choose how often');
    expect((await subscribe(t, 'project:nowhere', 'ok@example.org')).statusCode).toBe(404);
    expect((await queuedJobs(t)).length).toBe(before);
  });

  it('refuses a form sent from another site', async () => {
    const response = await subscribe(t, 'project:river', 'cross@example.org', 'each', { 'sec-fetch-site': 'cross-site' });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('sent from another site');
    const byOrigin = await subscribe(t, 'project:river', 'cross@example.org', 'each', { 'sec-fetch-site': '', origin: 'https://evil.example' });
    expect(byOrigin.statusCode).toBe(403);
  });

  it('sends at most 3 confirmations a day to one address, and limits one client', async () => {
    for (let i = 0; i < 6; i += 1) expect((await subscribe(t, 'project:river', 'flooded@example.org')).statusCode).toBe(303);
    await runJobs(t);
    expect(sink.to('flooded@example.org')).toHaveLength(3);
    const limited = await buildTestApp({ env: { SMTP_URL: sink.url } });
    await makeWorld(limited);
    let last = 0;
    for (let i = 0; i < 21; i += 1) last = (await subscribe(limited, 'project:river', `person${i}@example.org`)).statusCode;
    expect(last).toBe(429);
  });
});

describe('a new post by email', () => {
  it('arrives once, with text and HTML parts, absolute links, no images, the project as sender and one-click unsubscribe', async () => {
    await subscribeConfirmed(t, sink, 'project:river', 'reader@example.org');
    await subscribeConfirmed(t, sink, 'tag:river/flooding', 'reader@example.org');
    const post = await publishPost(t, w, { title: 'Flood defences finished', tagged: true, summary: 'The wall is done.' });
    await runJobs(t);
    await runJobs(t);
    const got = sink.to('reader@example.org').filter((r) => r.mail.subject === 'Flood defences finished');
    expect(got).toHaveLength(1);
    const mail = got[0]!.mail;
    expect(mail.from?.value[0]).toEqual({ name: 'Riverside Park', address: 'updates@blogs.test' });
    expect(mail.text).toContain('The wall is done.');
    expect(mail.text).toContain(`http://blogs.test/river/posts/${post.slug}`);
    expect(mail.html).toContain(`href="http://blogs.test/river/posts/${post.slug}"`);
    expect(mail.html).not.toMatch(/<img/i);
    expect(mail.html).not.toMatch(/href="\//);
    expect(mail.html).toContain('<html lang="en">');
    const headers = got[0]!.raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
    expect(headers).toMatch(/^List-Unsubscribe: <http:\/\/blogs\.test\/email\/unsubscribe\/[^>]+>\r?$/m);
    expect(headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    // Edits do not send again.
    await t.db.updateTable('posts').set({ title: 'Flood defences finished (edited)' }).where('id', '=', post.id).execute();
    const { queuePostChanged } = await import('../../server/posts/events.js');
    await queuePostChanged(t.db, post.id);
    await runJobs(t);
    expect(sink.to('reader@example.org').filter((r) => r.mail.subject?.startsWith('Flood defences finished'))).toHaveLength(1);
  });

  it('unsubscribes in one click: a POST with no cookie and no CSRF token (RFC 8058)', async () => {
    await subscribeConfirmed(t, sink, 'person:ana', 'oneclick@example.org');
    await publishPost(t, w, { title: 'Before unsubscribing' });
    await runJobs(t);
    await runJobs(t);
    const mail = sink.to('oneclick@example.org').find((r) => r.mail.subject === 'Before unsubscribing')!;
    const path = /<(http:\/\/blogs\.test(\/email\/unsubscribe\/[^>]+))>/.exec(mail.raw)![2]!;
    const response = await t.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('You are unsubscribed');
    await publishPost(t, w, { title: 'After unsubscribing' });
    await runJobs(t);
    await runJobs(t);
    expect(sink.to('oneclick@example.org').filter((r) => r.mail.subject === 'After unsubscribing')).toHaveLength(0);
    // Again: harmless.
    expect((await t.app.inject({ method: 'POST', url: path })).statusCode).toBe(404);
  });

  it('lets an address manage its subscriptions from the link in every email', async () => {
    await subscribeConfirmed(t, sink, 'project:river', 'manager@example.org');
    await subscribeConfirmed(t, sink, 'person:ana', 'manager@example.org');
    await publishPost(t, w, { title: 'For the manager' });
    await runJobs(t);
    await runJobs(t);
    const mail = sink.to('manager@example.org').find((r) => r.mail.subject === 'For the manager')!;
    const manage = linkIn(mail.mail.text ?? '', '/email/manage/');
    const page = await get(t.app, manage);
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('private, no-store');
    expect(page.body).toContain('New posts in Riverside Park');
    expect(page.body).toContain('New posts by Ana Writer');
    const cookies = Object.fromEntries(page.cookies.map((c) => [c.name, c.value]));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const ids = [...page.body.matchAll(/name="subscription" value="(\d+)"/g)].map((m) => m[1]!);
    const post = (fields: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: manage, cookies, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString() });
    expect((await post({ action: 'frequency', subscription: ids[0]!, frequency: 'weekly' })).statusCode).toBe(303);
    expect((await post({ action: 'remove', subscription: ids[2]! })).statusCode).toBe(303);
    const after = await get(t.app, manage);
    expect(after.body).toMatch(/<option value="weekly" selected>/);
    expect(after.body).not.toContain('New posts by Ana Writer');
    expect((await post({ action: 'remove-all' })).statusCode).toBe(303);
    expect((await get(t.app, manage)).body).toContain('You get no email updates.');
    // Without the CSRF token the manage form is refused.
    const forged = await t.app.inject({ method: 'POST', url: manage, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'action=remove-all' });
    expect(forged.statusCode).toBe(403);
  });

  it('goes out when a scheduled post goes live by time alone, and never for a post unpublished before sending', async () => {
    await subscribeConfirmed(t, sink, 'project:river', 'timely@example.org');
    const later = new Date(t.clock.now().getTime() + 3_600_000);
    await publishPost(t, w, { title: 'Scheduled news', status: 'scheduled', publishedAt: later });
    await runJobs(t);
    expect(sink.to('timely@example.org').filter((r) => r.mail.subject === 'Scheduled news')).toHaveLength(0);
    t.clock.set(new Date(later.getTime() + 60_000));
    const { sweepLivePosts } = await import('../../server/posts/events.js');
    await sweepLivePosts({}, { db: t.db, config: t.config, clock: t.clock, log: t.app.log }, { id: '0', attempts: 1, maxAttempts: 1, lastAttempt: false });
    await runJobs(t);
    await runJobs(t);
    expect(sink.to('timely@example.org').filter((r) => r.mail.subject === 'Scheduled news')).toHaveLength(1);

    // Fan out only (no sender yet), then unpublish, then let the senders run.
    const withdrawn = await publishPost(t, w, { title: 'Withdrawn news' });
    const noSending = Object.fromEntries(Object.entries(jobDefinitions.tasks).filter(([name]) => name !== 'email:send'));
    await new JobWorker({ context: { db: t.db, config: t.config, clock: t.clock, log: t.app.log }, definitions: { tasks: noSending }, concurrency: 1 }).runUntilIdle();
    expect((await queuedJobs(t)).some((j) => j.task === 'email:send')).toBe(true);
    await t.db.updateTable('posts').set({ status: 'unpublished' }).where('id', '=', withdrawn.id).execute();
    await runJobs(t);
    expect(sink.to('timely@example.org').filter((r) => r.mail.subject === 'Withdrawn news')).toHaveLength(0);
    const { rows } = await sql<{ status: string }>`SELECT status FROM email_deliveries WHERE post_id = ${withdrawn.id}`.execute(t.db);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['skipped']));
  });
});

describe('digests', () => {
  it('sends one daily and one weekly email at the site’s hour, each post once per email', async () => {
    const d = await buildTestApp({ env: { SMTP_URL: sink.url } });
    const dw = await makeWorld(d);
    await subscribeConfirmed(d, sink, 'project:river', 'daily@example.org', 'daily');
    await subscribeConfirmed(d, sink, 'tag:river/flooding', 'daily@example.org', 'daily');
    await subscribeConfirmed(d, sink, 'person:ana', 'weekly@example.org', 'weekly');
    // Monday 2026-06-15, 07:10 London time: two posts, one of them tagged (matches both daily subscriptions).
    d.clock.set('2026-06-15T06:10:00Z');
    await publishPost(d, dw, { title: 'Digest one', tagged: true });
    await publishPost(d, dw, { title: 'Digest two' });
    await runJobs(d);
    await runJobs(d);
    expect(sink.to('daily@example.org').filter((r) => r.mail.subject?.includes('digest'))).toHaveLength(0);
    const tick = () => d.db.transaction().execute(async (tx) => (await import('../../server/jobs/queue.js')).enqueue(tx, 'email:digest-tick', {}));
    // 07:00 London: not the hour.
    d.clock.set('2026-06-15T06:30:00Z');
    await tick();
    await runJobs(d);
    expect(sink.to('daily@example.org').filter((r) => /digest/i.test(r.mail.subject ?? ''))).toHaveLength(0);
    // 08:00 London (BST): daily, and it is Monday: weekly.
    d.clock.set('2026-06-15T07:00:30Z');
    await tick();
    await runJobs(d);
    await runJobs(d);
    const daily = sink.to('daily@example.org').filter((r) => /daily digest/i.test(r.mail.subject ?? ''));
    expect(daily).toHaveLength(1);
    expect(daily[0]!.mail.subject).toContain('2 new posts');
    expect(daily[0]!.mail.text!.match(/Digest one/g)).toHaveLength(1);
    expect(daily[0]!.mail.text).toContain('Digest two');
    expect(daily[0]!.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    const weekly = sink.to('weekly@example.org').filter((r) => /weekly digest/i.test(r.mail.subject ?? ''));
    expect(weekly).toHaveLength(1);
    // The tick again in the same hour (another server, a retry): nothing more.
    await tick();
    await runJobs(d);
    expect(sink.to('daily@example.org').filter((r) => /daily digest/i.test(r.mail.subject ?? ''))).toHaveLength(1);
    // Each-post emails did not go to digest subscribers.
    expect(sink.to('daily@example.org').filter((r) => r.mail.subject === 'Digest one')).toHaveLength(0);
  });
});
