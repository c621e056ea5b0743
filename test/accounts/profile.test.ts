// The signed-in person's own profile and password; sessions expiring after inactivity.
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../server/auth/passwords.js';
import { SESSION_IDLE_MS } from '../../server/auth/sessions.js';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { buildTestApp, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: true });
});

describe('profile', () => {
  it('saves display name, handle and bio, shown on the public person and team pages', async () => {
    const me = await signInAs(t, 'priya.raman@example.gov');
    const { response } = await submitForm(t.app, '/admin/profile', '/admin/profile', { displayName: 'Priya R. Raman', handle: 'priya-r', bio: 'Researcher.' }, me);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin/profile?saved=1');
    expect((await get(t.app, '/admin/profile?saved=1', { cookies: me })).body).toContain('Your profile has been saved.');
    const page = await get(t.app, '/people/priya-r');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Priya R. Raman');
    expect(page.body).toContain('Researcher.');
    expect((await get(t.app, '/info-sharing-taskforce/team')).body).toContain('Priya R. Raman');
  });

  it('re-shows the form as typed with each problem beside its field', async () => {
    const me = await signInAs(t, 'tom.okafor@example.gov');
    const { response } = await submitForm(t.app, '/admin/profile', '/admin/profile', { displayName: '', handle: 'Not OK!', bio: 'x'.repeat(501) }, me);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Enter a name.');
    expect(response.body).toContain('Use 1 to 40 lowercase letters');
    expect(response.body).toContain('Use at most 500 characters.');
    expect(response.body).toContain('value="Not OK!"');
    expect(response.body).toContain('href="#handle"');
    expect(response.body).toMatch(/id="handle"[^>]*aria-invalid="true"/);
  });

  it('refuses a handle someone else has', async () => {
    const me = await signInAs(t, 'tom.okafor@example.gov');
    const { response } = await submitForm(t.app, '/admin/profile', '/admin/profile', { displayName: 'Tom', handle: 'amira-hassan', bio: '' }, me);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Someone else has this handle.');
  });

  it('signed out: GET redirects to sign in, POST is a 403', async () => {
    const res = await get(t.app, '/admin/profile');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fadmin%2Fprofile');
    const { response } = await submitForm(t.app, '/login', '/admin/profile', { displayName: 'X', handle: 'x', bio: '' });
    expect(response.statusCode).toBe(403);
  });

  it('without a CSRF token the save is refused', async () => {
    const me = await signInAs(t, 'tom.okafor@example.gov');
    const res = await t.app.inject({ method: 'POST', url: '/admin/profile', cookies: me, payload: { displayName: 'X', handle: 'x', bio: '' } });
    expect(res.statusCode).toBe(403);
  });
});

describe('changing the password', () => {
  it('needs the current password, then ends every other session but this one', async () => {
    const here = await signInAs(t, 'gareth.lloyd@example.gov');
    const elsewhere = await signInAs(t, 'gareth.lloyd@example.gov');
    const wrong = await submitForm(t.app, '/admin/password', '/admin/password', { current: 'not my password', password: 'granite window lantern', confirm: 'granite window lantern' }, here);
    expect(wrong.response.statusCode).toBe(422);
    expect(wrong.response.body).toContain('Your current password is not right.');
    const ok = await submitForm(t.app, '/admin/password', '/admin/password', { current: DEMO_PASSWORD, password: 'granite window lantern', confirm: 'granite window lantern' }, here);
    expect(ok.response.statusCode).toBe(303);
    expect((await get(t.app, '/admin', { cookies: here })).statusCode).toBe(200);
    expect((await get(t.app, '/admin', { cookies: elsewhere })).statusCode).toBe(303);
    const row = await t.db.selectFrom('people').select('password_hash').where('email', '=', 'gareth.lloyd@example.gov').executeTakeFirstOrThrow();
    expect(await verifyPassword(row.password_hash!, 'granite window lantern')).toBe(true);
  });

  it('refuses a short, common or mismatched new password', async () => {
    const me = await signInAs(t, 'mei-lin.tan@example.gov');
    const cases: [Record<string, string>, string][] = [
      [{ current: '', password: 'granite window lantern', confirm: 'granite window lantern' }, 'Enter your current password.'],
      [{ current: DEMO_PASSWORD, password: 'tiny', confirm: 'tiny' }, 'Use at least 12 characters.'],
      [{ current: DEMO_PASSWORD, password: 'qwertyuiop123', confirm: 'qwertyuiop123' }, 'one of the most common ones'],
      [{ current: DEMO_PASSWORD, password: 'granite window lantern', confirm: 'granite window' }, 'The two passwords are not the same.'],
    ];
    for (const [fields, message] of cases) {
      const { response } = await submitForm(t.app, '/admin/password', '/admin/password', fields, me);
      expect(response.statusCode).toBe(422);
      expect(response.body).toContain(message);
    }
  });
});

describe('sessions', () => {
  it('expire after eight hours without a request, and each request extends them', async () => {
    const me = await signInAs(t, 'amira.hassan@example.gov');
    t.clock.advance(SESSION_IDLE_MS - 60_000);
    expect((await get(t.app, '/admin', { cookies: me })).statusCode).toBe(200);
    t.clock.advance(SESSION_IDLE_MS - 60_000);
    expect((await get(t.app, '/admin', { cookies: me })).statusCode).toBe(200);
    t.clock.advance(SESSION_IDLE_MS + 1000);
    const res = await get(t.app, '/admin', { cookies: me });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fadmin');
  });
});
