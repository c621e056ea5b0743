// Without SMTP_URL nothing leaves the machine: emails wait in the outbox that site admins read. Owners
// see how many confirmed subscribers their project has (never who); site admins export a project's
// list and forget an address everywhere.
import { describe, expect, it } from 'vitest';
import { buildTestApp, createPerson, get, runJobs, signInAs, submitForm } from '../helpers/test-app.js';
import { linkIn, makeWorld, publishPost, subscribe } from './helpers.js';

describe('the outbox and the team side', () => {
  it('keeps emails in the outbox, shows owners a count only, exports and forgets for site admins', async () => {
    const t = await buildTestApp();
    expect(t.config.smtpUrl).toBeUndefined();
    const w = await makeWorld(t);
    await createPerson(t, { email: 'owner@blogs.test', handle: 'owner' }, { projectId: w.projectId, role: 'owner' });
    await createPerson(t, { email: 'root@blogs.test', handle: 'root', siteAdmin: true });
    const admin = await signInAs(t, 'root@blogs.test');
    const owner = await signInAs(t, 'owner@blogs.test');

    expect((await subscribe(t, 'project:river', 'someone@example.org', 'each')).statusCode).toBe(303);
    await runJobs(t);
    const outbox = await get(t.app, '/admin/outbox', { cookies: admin });
    expect(outbox.statusCode).toBe(200);
    expect(outbox.body).toContain('SMTP_URL is not set');
    expect(outbox.body).toContain('someone@example.org');
    expect((await get(t.app, '/admin/outbox', { cookies: owner })).statusCode).toBe(403);
    const stored = await t.db.selectFrom('email_outbox').selectAll().executeTakeFirstOrThrow();
    const opened = await get(t.app, `/admin/outbox?id=${stored.id}`, { cookies: admin });
    expect(opened.body).toContain('Confirm your email updates');
    // The HTML part is shown as its source, never rendered.
    expect(opened.body).toContain('&lt;h1&gt;');
    expect((await t.app.inject({ method: 'POST', url: linkIn(stored.text_body, '/email/confirm/') })).statusCode).toBe(303);

    await publishPost(t, w, { title: 'Kept here' });
    await runJobs(t);
    await runJobs(t);
    expect(await t.db.selectFrom('email_outbox').select('subject').where('subject', '=', 'Kept here').execute()).toHaveLength(1);

    const count = await get(t.app, '/admin/projects/river/subscribers', { cookies: owner });
    expect(count.statusCode).toBe(200);
    expect(count.body).toContain('<strong>1</strong> address gets');
    expect(count.body).not.toContain('someone@example.org');
    expect((await get(t.app, '/admin/projects/river/subscribers.csv', { cookies: owner })).statusCode).toBe(403);
    const csv = await get(t.app, '/admin/projects/river/subscribers.csv', { cookies: admin });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toMatch(/^address,subscribed_to,frequency,confirmed_at\r\n"someone@example\.org","project","each","/);

    const found = await get(t.app, '/admin/email?address=someone%40example.org', { cookies: admin });
    expect(found.body).toContain('Remove this address everywhere');
    const { response } = await submitForm(t.app, '/admin/email?address=someone%40example.org', '/admin/email/forget', { address: 'someone@example.org' }, admin);
    expect(response.statusCode).toBe(303);
    expect(await t.db.selectFrom('email_addresses').selectAll().execute()).toHaveLength(0);
    expect(await t.db.selectFrom('email_outbox').selectAll().where('to_address', '=', 'someone@example.org').execute()).toHaveLength(0);
    expect((await get(t.app, '/admin/projects/river/subscribers', { cookies: owner })).body).toContain('<strong>0</strong>');

    // The digest time: refused with a clear message, then saved.
    const bad = await submitForm(t.app, '/admin/email', '/admin/email/settings', { digestHour: '25', timeZone: 'Mars/Olympus', weeklyDay: '1' }, admin);
    expect(bad.response.statusCode).toBe(400);
    expect(bad.response.body).toContain('Enter a time zone such as Europe/London.');
    expect(bad.response.body).toContain('value="Mars/Olympus"');
    const good = await submitForm(t.app, '/admin/email', '/admin/email/settings', { digestHour: '7', timeZone: 'Europe/Paris', weeklyDay: '5' }, admin);
    expect(good.response.statusCode).toBe(303);
    expect((await get(t.app, '/admin/email', { cookies: admin })).body).toContain('value="Europe/Paris"');
  });
});
