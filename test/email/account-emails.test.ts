// Set-password links and team invitations can also be emailed when SMTP_URL is set (the printed link
// stays): through the job queue and the same transport, to a real SMTP server in the test process.
// Without SMTP_URL the choice is not offered, and a form that asks anyway is told plainly nothing went.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createPerson, get, queuedJobs, runJobs, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';
import { makeWorld } from './helpers.js';
import { SmtpSink } from './smtp-sink.js';

let sink: SmtpSink;
let t: TestApp;
let admin: Record<string, string>;
let owner: Record<string, string>;

beforeAll(async () => {
  sink = await SmtpSink.start();
  t = await buildTestApp({ env: { SMTP_URL: sink.url, MAIL_FROM: 'team@blogs.test' } });
  const w = await makeWorld(t);
  await createPerson(t, { email: 'root@blogs.test', handle: 'root', displayName: 'Rita Root', siteAdmin: true });
  await createPerson(t, { email: 'owner@blogs.test', handle: 'owner', displayName: 'Olu Owner' }, { projectId: w.projectId, role: 'owner' });
  admin = await signInAs(t, 'root@blogs.test');
  owner = await signInAs(t, 'owner@blogs.test');
});
afterAll(async () => sink.stop());

const printedLink = (html: string) => /<code class="set-password-link">([^<]+)<\/code>/.exec(html)?.[1];

describe('emailing account links', () => {
  it('emails a new person their set-password link when asked, and shows the same link', async () => {
    const page = await get(t.app, '/admin/people', { cookies: admin });
    expect(page.body).toContain('name="emailLink"');
    const { response } = await submitForm(t.app, '/admin/people', '/admin/people', { email: 'Nia@Example.org', displayName: 'Nia <b>New</b>', handle: '', emailLink: 'on' }, admin);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('It is also being emailed to nia@example.org.');
    const link = printedLink(response.body)!;
    expect(link).toMatch(/^http:\/\/blogs\.test\/set-password\//);
    expect(sink.to('nia@example.org')).toHaveLength(0);
    await runJobs(t);
    const mails = sink.to('nia@example.org');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.mail.subject).toContain('set a password');
    expect(mails[0]!.mail.text).toContain(link);
    expect(mails[0]!.mail.text).toContain('Rita Root made you a link');
    expect(mails[0]!.mail.html).toContain('Nia &lt;b&gt;New&lt;/b&gt;');
    // The emailed link works.
    const set = await get(t.app, link.replace('http://blogs.test', ''));
    expect(set.statusCode).toBe(200);
  });

  it('emails nothing unless asked', async () => {
    const before = sink.received.length;
    const { response } = await submitForm(t.app, '/admin/people', '/admin/people', { email: 'quiet@example.org', displayName: 'Quiet One' }, admin);
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('being emailed');
    await runJobs(t);
    expect(sink.received.length).toBe(before);
  });

  it('emails a new link for someone who lost theirs, with the second button', async () => {
    const person = await t.db.selectFrom('people').select('id').where('email', '=', 'quiet@example.org').executeTakeFirstOrThrow();
    const { response } = await submitForm(t.app, '/admin/people', `/admin/people/${person.id}/link`, { emailLink: 'on' }, admin);
    expect(response.statusCode).toBe(200);
    await runJobs(t);
    const mails = sink.to('quiet@example.org');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.mail.text).toContain(printedLink(response.body)!);
  });

  it('emails team invitations: a set-password link for someone new, a note for someone with an account', async () => {
    const team = await get(t.app, '/admin/projects/river/team', { cookies: owner });
    expect(team.body).toContain('name="emailLink"');
    const { response } = await submitForm(t.app, '/admin/projects/river/team', '/admin/projects/river/team', { email: 'tom@example.org', displayName: 'Tom Newcomer', handle: '', role: 'author', emailLink: 'on' }, owner);
    expect(response.statusCode).toBe(200);
    const link = printedLink(response.body)!;
    await runJobs(t);
    const invite = sink.to('tom@example.org');
    expect(invite).toHaveLength(1);
    expect(invite[0]!.mail.subject).toBe('You are invited to the team of Riverside Park');
    expect(invite[0]!.mail.from?.value[0]).toEqual({ name: 'Riverside Park', address: 'team@blogs.test' });
    expect(invite[0]!.mail.text).toContain('Olu Owner added you to the team of Riverside Park');
    expect(invite[0]!.mail.text).toContain(link);

    const existing = await submitForm(t.app, '/admin/projects/river/team', '/admin/projects/river/team', { email: 'quiet@example.org', role: 'editor', emailLink: 'on' }, owner);
    expect(existing.response.statusCode).toBe(303);
    expect(existing.response.headers.location).toBe('/admin/projects/river/team?added=emailed');
    expect((await queuedJobs(t)).filter((j) => j.task === 'email:account')).toHaveLength(1);
    await runJobs(t);
    const note = sink.to('quiet@example.org').at(-1)!;
    expect(note.mail.text).toContain('added you to the team of Riverside Park on');
    expect(note.mail.text).toContain('as editor');
    expect(note.mail.text).toContain('Sign in: http://blogs.test/login');
    expect(note.mail.text).not.toContain('set-password');
  });
});

describe('account emails that do not get through', () => {
  it('a 5xx from the mail server is shown to site admins in plain words, until an email reaches that person', async () => {
    sink.rejected.add('gone@example.org');
    const { response } = await submitForm(t.app, '/admin/people', '/admin/people', { email: 'gone@example.org', displayName: 'Gus <i>Gone</i>', emailLink: 'on' }, admin);
    expect(response.statusCode).toBe(200);
    await runJobs(t);
    expect(sink.to('gone@example.org')).toHaveLength(0);
    // Refused once for good: not retried.
    expect((await queuedJobs(t)).filter((j) => j.task === 'email:account')).toHaveLength(0);
    const people = await get(t.app, '/admin/people', { cookies: admin });
    expect(people.body).toContain('The set-password link emailed to Gus &lt;i&gt;Gone&lt;/i&gt; (gone@example.org) was refused by the mail server');
    expect(people.body).toMatch(/It answered: “[^”]*5\.1\.1 No such mailbox[^”]*”\. The address may be wrong/);
    expect(people.body).toContain('The link you were shown still works');
    const email = await get(t.app, '/admin/email', { cookies: admin });
    expect(email.body).toContain('The set-password link emailed to Gus &lt;i&gt;Gone&lt;/i&gt; (gone@example.org) was refused by the mail server');
    // The address is fixed on the mail side; a new link emailed gets through: no longer listed.
    sink.rejected.delete('gone@example.org');
    const person = await t.db.selectFrom('people').select('id').where('email', '=', 'gone@example.org').executeTakeFirstOrThrow();
    await submitForm(t.app, '/admin/people', `/admin/people/${person.id}/link`, { emailLink: 'on' }, admin);
    await runJobs(t);
    expect(sink.to('gone@example.org')).toHaveLength(1);
    expect((await get(t.app, '/admin/people', { cookies: admin })).body).not.toContain('gone@example.org) was refused');
    expect((await get(t.app, '/admin/email', { cookies: admin })).body).not.toContain('gone@example.org) was refused');
  });

  it('a team invitation refused is listed too, and a site admin can stop listing it', async () => {
    sink.rejected.add('nobody@example.org');
    await submitForm(t.app, '/admin/projects/river/team', '/admin/projects/river/team', { email: 'nobody@example.org', displayName: 'Noor Nobody', handle: '', role: 'author', emailLink: 'on' }, owner);
    await runJobs(t);
    sink.rejected.delete('nobody@example.org');
    const page = await get(t.app, '/admin/email', { cookies: admin });
    expect(page.body).toContain('The team invitation to Noor Nobody (nobody@example.org) was refused by the mail server');
    const [refusal] = await t.db.selectFrom('email_account_refusals').select('id').where('to_address', '=', 'nobody@example.org').execute();
    const { response } = await submitForm(t.app, '/admin/email', `/admin/email/refusals/${refusal!.id}/dismiss`, {}, admin);
    expect(response.statusCode).toBe(303);
    const after = await get(t.app, '/admin/email', { cookies: admin });
    expect(after.body).not.toContain('Noor Nobody (nobody@example.org)');
    // Project owners who are not site admins cannot dismiss anything.
    const forbidden = await submitForm(t.app, '/admin/projects/river/team', `/admin/email/refusals/${refusal!.id}/dismiss`, {}, owner);
    expect(forbidden.response.statusCode).toBe(403);
  });

  it('every try failing (the mail server away for good) is listed as not delivered', async () => {
    sink.temporarilyDown = true;
    try {
      await submitForm(t.app, '/admin/people', '/admin/people', { email: 'waiting@example.org', displayName: 'Wai Ting', emailLink: 'on' }, admin);
      for (let i = 0; i < 15 && (await queuedJobs(t)).some((j) => j.task === 'email:account'); i += 1) await runJobs(t, { all: true });
    } finally {
      sink.temporarilyDown = false;
    }
    const page = await get(t.app, '/admin/people', { cookies: admin });
    expect(page.body).toContain('The set-password link emailed to Wai Ting (waiting@example.org) could not be delivered');
    expect(page.body).toMatch(/gave up after \d+ tries/);
  }, 60_000);
});

describe('without SMTP_URL', () => {
  it('does not offer it, and says plainly that nothing was sent', async () => {
    const n = await buildTestApp();
    await createPerson(n, { email: 'root@blogs.test', handle: 'root', siteAdmin: true });
    const cookies = await signInAs(n, 'root@blogs.test');
    expect((await get(n.app, '/admin/people', { cookies })).body).not.toContain('name="emailLink"');
    const { response } = await submitForm(n.app, '/admin/people', '/admin/people', { email: 'someone@example.org', displayName: 'Some One', emailLink: 'on' }, cookies);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('It was not emailed: this site sends no email (SMTP_URL is not set).');
    expect(printedLink(response.body)).toMatch(/\/set-password\//);
    await runJobs(n);
    expect(await n.db.selectFrom('email_outbox').selectAll().execute()).toHaveLength(0);
  });
});
