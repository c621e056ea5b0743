// A subscriber's confirmation email that the mail server refuses with a 5xx (a real smtp-server in the
// test answering 550) is recorded and listed for site admins at /admin/email, where one can stop listing
// it; the subscribe form's answer is exactly the one every address gets, so it reveals nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createPerson, get, runJobs, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';
import { makeWorld, subscribe } from './helpers.js';
import { SmtpSink } from './smtp-sink.js';

let sink: SmtpSink;
let t: TestApp;
let admin: Record<string, string>;

beforeAll(async () => {
  sink = await SmtpSink.start();
  t = await buildTestApp({ env: { SMTP_URL: sink.url, MAIL_FROM: 'updates@blogs.test' } });
  await makeWorld(t);
  await createPerson(t, { email: 'root@blogs.test', handle: 'root', siteAdmin: true });
  admin = await signInAs(t, 'root@blogs.test');
});
afterAll(async () => sink.stop());

describe('a refused confirmation email', () => {
  it('is listed for site admins, and the form answered as for any address', async () => {
    sink.rejected.add('nobody@example.org');
    const refused = await subscribe(t, 'project:river', 'Nobody@Example.org');
    const accepted = await subscribe(t, 'project:river', 'somebody@example.org');
    // The same answer, byte for byte: no one learns whether the address exists.
    expect(refused.statusCode).toBe(303);
    expect([refused.headers.location, refused.body]).toEqual([accepted.headers.location, accepted.body]);
    await runJobs(t);
    expect(sink.to('somebody@example.org')).toHaveLength(1);
    expect(sink.to('nobody@example.org')).toHaveLength(0);

    const page = await get(t.app, '/admin/email', { cookies: admin });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('The confirmation email to nobody@example.org (new posts in Riverside Park) was refused by the mail server');
    expect(page.body).toContain('5.1.1 No such mailbox');
    expect(page.body).not.toContain('The confirmation email to somebody@example.org');

    const [row] = await t.db.selectFrom('email_confirmation_refusals').select('id').execute();
    const { response } = await submitForm(t.app, '/admin/email', `/admin/email/confirmation-refusals/${row!.id}/dismiss`, {}, admin);
    expect(response.statusCode).toBe(303);
    expect((await get(t.app, '/admin/email', { cookies: admin })).body).not.toContain('The confirmation email to nobody@example.org');
  });

  it('goes when the address is forgotten, and an email that later gets through clears it', async () => {
    sink.rejected.add('typo@example.org');
    await subscribe(t, 'project:river', 'typo@example.org');
    await runJobs(t);
    expect(await t.db.selectFrom('email_confirmation_refusals').select('id').execute()).toHaveLength(1);
    // The mailbox exists after all (asked again later): the listing goes.
    sink.rejected.delete('typo@example.org');
    await subscribe(t, 'project:river', 'typo@example.org');
    await runJobs(t);
    expect(sink.to('typo@example.org')).toHaveLength(1);
    expect(await t.db.selectFrom('email_confirmation_refusals').select('id').execute()).toHaveLength(0);

    sink.rejected.add('gone@example.org');
    await subscribe(t, 'project:river', 'gone@example.org');
    await runJobs(t);
    expect(await t.db.selectFrom('email_confirmation_refusals').select('id').execute()).toHaveLength(1);
    await submitForm(t.app, '/admin/email', '/admin/email/forget', { address: 'gone@example.org' }, admin);
    expect(await t.db.selectFrom('email_confirmation_refusals').select('id').execute()).toHaveLength(0);
  });

  it('a site admin only can dismiss one; a malformed id is no error', async () => {
    const anonymous = await t.app.inject({ method: 'POST', url: '/admin/email/confirmation-refusals/1/dismiss' });
    expect(anonymous.statusCode).toBeGreaterThanOrEqual(400);
    expect(anonymous.statusCode).toBeLessThan(500);
    const { response } = await submitForm(t.app, '/admin/email', '/admin/email/confirmation-refusals/99999999999999999999/dismiss', {}, admin);
    expect(response.statusCode).toBe(303);
  });
});
