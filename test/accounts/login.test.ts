// Signing in and out: the session cookie, ?next, rehash, throttling with growing delays, and the
// same message whether or not the email exists.
import { beforeAll, describe, expect, it } from 'vitest';
import { hash } from '@node-rs/argon2';
import { HOST_SESSION_COOKIE, SESSION_COOKIE } from '../../server/auth/sessions.js';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { buildTestApp, cookiesFrom, get, submitForm, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: true });
});

async function login(email: string, password: string, next?: string, cookies: Record<string, string> = {}) {
  return submitForm(t.app, next ? `/login?next=${encodeURIComponent(next)}` : '/login', '/login', { email, password, ...(next ? { next } : {}) }, cookies);
}

describe('sign in', () => {
  it('the form has labelled email and password fields and a CSRF token', async () => {
    const res = await get(t.app, '/login');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<label for="email">');
    expect(res.body).toContain('<label for="password">');
    expect(res.body).toMatch(/name="_csrf" value="[^"]+"/);
  });

  it('a right password starts a session with a HttpOnly, SameSite=Lax cookie and goes to the dashboard', async () => {
    const { response } = await login('amira.hassan@example.gov', DEMO_PASSWORD);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin');
    const cookie = response.cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(cookie).toBeDefined();
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.secure).toBeFalsy();
    const dash = await get(t.app, '/admin', { cookies: { [SESSION_COOKIE]: cookie.value } });
    expect(dash.statusCode).toBe(200);
    expect(dash.body).toContain('Information Sharing Taskforce');
  });

  it('the email is matched whatever its case and spaces', async () => {
    const { response } = await login('  Amira.Hassan@Example.GOV ', DEMO_PASSWORD);
    expect(response.statusCode).toBe(303);
  });

  it('signing in replaces any session id the browser had', async () => {
    const first = await login('tom.okafor@example.gov', DEMO_PASSWORD);
    const old = first.cookies[SESSION_COOKIE]!;
    // Signed in, /login redirects; the header's sign-out form carries a token to post with.
    expect((await get(t.app, '/login', { cookies: first.cookies })).statusCode).toBe(303);
    const second = await submitForm(t.app, '/', '/login', { email: 'tom.okafor@example.gov', password: DEMO_PASSWORD }, first.cookies);
    const fresh = cookiesFrom(second.response)[SESSION_COOKIE];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(old);
    expect((await get(t.app, '/admin', { cookies: { [SESSION_COOKIE]: old } })).statusCode).toBe(303);
  });

  it('?next leads back to a path on this site, never elsewhere', async () => {
    expect((await login('amira.hassan@example.gov', DEMO_PASSWORD, '/admin/profile')).response.headers.location).toBe('/admin/profile');
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'admin']) {
      expect((await login('amira.hassan@example.gov', DEMO_PASSWORD, bad)).response.headers.location).toBe('/admin');
    }
  });

  it('a wrong password and an unknown email get the same message, the email kept', async () => {
    const wrong = await login('amira.hassan@example.gov', 'not the password at all');
    const unknown = await login('nobody@example.gov', 'not the password at all');
    expect(wrong.response.statusCode).toBe(422);
    expect(unknown.response.statusCode).toBe(422);
    const message = (html: string) => /class="field-error"[^>]*>(.*?)<\/span>/s.exec(html)?.[1];
    expect(message(wrong.response.body)).toBe(message(unknown.response.body));
    expect(wrong.response.body).toContain('The email address or password is not right.');
    expect(wrong.response.body).toContain('value="amira.hassan@example.gov"');
    expect(wrong.response.body).toContain('class="error-summary"');
    expect(wrong.response.body).toContain('aria-invalid="true"');
    expect(wrong.response.cookies.find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
  });

  it('empty fields are named beside each field', async () => {
    const { response } = await login('', '');
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Enter your email address.');
    expect(response.body).toContain('Enter your password.');
    expect(response.body).toContain('href="#email"');
    expect(response.body).toContain('aria-describedby="email-error"');
  });

  it('a disabled account cannot sign in', async () => {
    await t.db.updateTable('people').set({ disabled_at: t.clock.now() }).where('email', '=', 'helen.mcbride@example.gov').execute();
    const { response } = await login('helen.mcbride@example.gov', DEMO_PASSWORD);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('The email address or password is not right.');
  });

  it('without a CSRF token the sign-in is refused with a 403 page', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/login', payload: { email: 'amira.hassan@example.gov', password: DEMO_PASSWORD } });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This form has expired');
  });

  it('a hash made with older parameters is upgraded at sign-in', async () => {
    const old = await hash(DEMO_PASSWORD, { algorithm: 2, memoryCost: 8192, timeCost: 1, parallelism: 1 });
    await t.db.updateTable('people').set({ password_hash: old }).where('email', '=', 'mei-lin.tan@example.gov').execute();
    expect((await login('mei-lin.tan@example.gov', DEMO_PASSWORD)).response.statusCode).toBe(303);
    const row = await t.db.selectFrom('people').select('password_hash').where('email', '=', 'mei-lin.tan@example.gov').executeTakeFirstOrThrow();
    expect(row.password_hash).not.toBe(old);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});

describe('sign out', () => {
  it('deletes the session and clears the cookie', async () => {
    const { cookies } = await login('priya.raman@example.gov', DEMO_PASSWORD);
    const out = await submitForm(t.app, '/admin', '/logout', {}, cookies);
    expect(out.response.statusCode).toBe(303);
    expect(out.response.headers.location).toBe('/');
    const cleared = out.response.cookies.find((c) => c.name === SESSION_COOKIE);
    expect(cleared?.value).toBe('');
    // The old token no longer works even if a browser kept it.
    expect((await get(t.app, '/admin', { cookies: { [SESSION_COOKIE]: cookies[SESSION_COOKIE]! } })).statusCode).toBe(303);
  });

  it('without a CSRF token sign-out is refused', async () => {
    const { cookies } = await login('priya.raman@example.gov', DEMO_PASSWORD);
    const res = await t.app.inject({ method: 'POST', url: '/logout', cookies });
    expect(res.statusCode).toBe(403);
  });
});

describe('the cookie on an https site', () => {
  it('is Secure and carries the __Host- prefix (Path=/, no Domain); the plain name is still read', async () => {
    const https = await buildTestApp({ seed: true, env: { PUBLIC_URL: 'https://blogs.test' } });
    const { response } = await submitForm(https.app, '/login', '/login', { email: 'amira.hassan@example.gov', password: DEMO_PASSWORD });
    expect(response.statusCode).toBe(303);
    const cookie = response.cookies.find((c) => c.name === HOST_SESSION_COOKIE)!;
    expect(cookie.secure).toBe(true);
    expect(cookie.path).toBe('/');
    expect(cookie.domain).toBeUndefined();
    expect(response.cookies.find((c) => c.name === SESSION_COOKIE && c.value !== '')).toBeUndefined();
    expect((await get(https.app, '/admin', { cookies: { [HOST_SESSION_COOKIE]: cookie.value } })).statusCode).toBe(200);
    // A session started under the old name keeps working during the transition.
    expect((await get(https.app, '/admin', { cookies: { [SESSION_COOKIE]: cookie.value } })).statusCode).toBe(200);
  });
});

describe('CSRF tokens are renewed', () => {
  const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)![1]!;

  it('a token issued before sign-in does not work after it', async () => {
    const form = await get(t.app, '/login');
    const oldToken = csrfOf(form.body);
    const jar = cookiesFrom(form);
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/login',
      cookies: jar,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: oldToken, email: 'priya.raman@example.gov', password: DEMO_PASSWORD }).toString(),
    });
    expect(signIn.statusCode).toBe(303);
    const after = { ...jar, ...cookiesFrom(signIn) };
    expect(after._csrf).toBeTruthy();
    expect(after._csrf).not.toBe(jar._csrf);
    // The signed-in browser's renewed secret refuses the token made from the old one.
    const replay = await t.app.inject({
      method: 'POST',
      url: '/logout',
      cookies: after,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: oldToken }).toString(),
    });
    expect(replay.statusCode).toBe(403);
  });

  it('a token of the signed-in session does not work after sign-out', async () => {
    const { cookies } = await login('priya.raman@example.gov', DEMO_PASSWORD);
    const page = await get(t.app, '/admin', { cookies });
    const token = csrfOf(page.body);
    const jar = { ...cookies, ...cookiesFrom(page) };
    const out = await t.app.inject({
      method: 'POST',
      url: '/logout',
      cookies: jar,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: token }).toString(),
    });
    expect(out.statusCode).toBe(303);
    const after = { ...jar, ...cookiesFrom(out) };
    expect(after._csrf).not.toBe(jar._csrf);
    const replay = await t.app.inject({
      method: 'POST',
      url: '/login',
      cookies: after,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: token, email: 'priya.raman@example.gov', password: DEMO_PASSWORD }).toString(),
    });
    expect(replay.statusCode).toBe(403);
  });
});
