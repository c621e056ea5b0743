// One-time set-password links: valid 72 hours, single use, stored hashed; the form's validation.
import { beforeAll, describe, expect, it } from 'vitest';
import { issuePasswordToken } from '../../server/accounts/tokens.js';
import { hashToken, SESSION_COOKIE } from '../../server/auth/sessions.js';
import { buildTestApp, createPerson, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});

let n = 0;
async function newPersonWithLink() {
  n++;
  const id = await createPerson(t, { email: `new${n}@example.gov`, handle: `new-${n}`, displayName: `New Person ${n}` });
  const { token } = await issuePasswordToken(t.db, id, null, t.clock.now());
  return { id, token, url: `/set-password/${token}` };
}

describe('set-password links', () => {
  it('only the SHA-256 of the token is stored', async () => {
    const { id, token } = await newPersonWithLink();
    const row = await t.db.selectFrom('password_tokens').selectAll().where('person_id', '=', id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashToken(token));
    expect(row.expires_at.getTime() - t.clock.now().getTime()).toBe(72 * 3_600_000);
  });

  it('the link shows a form that sets the password, signs the person in and cannot be used again', async () => {
    const { url } = await newPersonWithLink();
    const page = await get(t.app, url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('New Person');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const { response } = await submitForm(t.app, url, url, { password: 'copper kettle morning', confirm: 'copper kettle morning' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin?welcome=1');
    const session = response.cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect((await get(t.app, '/admin', { cookies: { [SESSION_COOKIE]: session.value } })).statusCode).toBe(200);
    const again = await get(t.app, url);
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain('<h1>This link has already been used</h1>');
    expect(again.body).not.toContain('Page removed');
    expect(again.body).toContain('href="/login"');
    expect(again.headers['referrer-policy']).toBe('no-referrer');
    expect(again.headers['cache-control']).toBe('no-store');
    // Posting the used form again says the same.
    const reposted = await submitForm(t.app, '/login', url, { password: 'copper kettle morning', confirm: 'copper kettle morning' });
    expect(reposted.response.statusCode).toBe(410);
    expect(reposted.response.body).toContain('<h1>This link has already been used</h1>');
  });

  it('works until 72 hours have passed, then not', async () => {
    const { url } = await newPersonWithLink();
    t.clock.advance(72 * 3_600_000 - 1000);
    expect((await get(t.app, url)).statusCode).toBe(200);
    t.clock.advance(2000);
    const expired = await get(t.app, url);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('<h1>This link has expired</h1>');
  });

  it('an expired link cannot be posted to either', async () => {
    const { url } = await newPersonWithLink();
    const page = await get(t.app, url);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    t.clock.advance(73 * 3_600_000);
    const res = await t.app.inject({
      method: 'POST',
      url,
      cookies: Object.fromEntries(page.cookies.map((c) => [c.name, c.value])),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: token, password: 'copper kettle morning', confirm: 'copper kettle morning' }).toString(),
    });
    expect(res.statusCode).toBe(410);
  });

  it('a new link voids the older one', async () => {
    const { id, url } = await newPersonWithLink();
    await issuePasswordToken(t.db, id, null, t.clock.now());
    const voided = await get(t.app, url);
    expect(voided.statusCode).toBe(410);
    expect(voided.body).toContain('<h1>This link does not work</h1>');
  });

  it('a made-up or malformed token is a 410 page, not an error', async () => {
    expect((await get(t.app, '/set-password/abc')).statusCode).toBe(410);
    expect((await get(t.app, `/set-password/${'A'.repeat(43)}`)).statusCode).toBe(410);
  });

  it('refuses a short password, a common one, and a confirmation that differs', async () => {
    const { url } = await newPersonWithLink();
    const short = await submitForm(t.app, url, url, { password: 'short', confirm: 'short' });
    expect(short.response.statusCode).toBe(422);
    expect(short.response.body).toContain('Use at least 12 characters.');
    expect(short.response.body).toContain('aria-describedby="password-hint password-error"');
    const common = await submitForm(t.app, url, url, { password: 'Password1234', confirm: 'Password1234' });
    expect(common.response.statusCode).toBe(422);
    expect(common.response.body).toContain('one of the most common ones');
    const differ = await submitForm(t.app, url, url, { password: 'copper kettle morning', confirm: 'copper kettle evening' });
    expect(differ.response.statusCode).toBe(422);
    expect(differ.response.body).toContain('The two passwords are not the same.');
    expect(differ.response.body).toContain('href="#confirm"');
    // The link still works after failed attempts.
    expect((await get(t.app, url)).statusCode).toBe(200);
  });

  it('setting a password ends the sessions the person had', async () => {
    const { id, url } = await newPersonWithLink();
    const person = await t.db.selectFrom('people').select('email').where('id', '=', id).executeTakeFirstOrThrow();
    const old = await signInAs(t, person.email);
    await submitForm(t.app, url, url, { password: 'copper kettle morning', confirm: 'copper kettle morning' });
    expect((await get(t.app, '/admin', { cookies: old })).statusCode).toBe(303);
  });

  it('without a CSRF token the form is refused with a 403 page', async () => {
    const { url } = await newPersonWithLink();
    const res = await t.app.inject({ method: 'POST', url, payload: { password: 'copper kettle morning', confirm: 'copper kettle morning' } });
    expect(res.statusCode).toBe(403);
  });
});
