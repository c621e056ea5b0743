// Login throttling: per account and address together, a looser bound per account, per address, growing delays, kept in the database, and refused
// attempts do not say whether the email exists. Time moves with the TestClock, never with sleeps.
import { beforeAll, describe, expect, it } from 'vitest';
import { delayAfter } from '../../server/accounts/throttle.js';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { buildTestApp, submitForm, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: true });
});

async function attempt(email: string, password: string, ip = '203.0.113.7') {
  const page = await t.app.inject({ method: 'GET', url: '/login', remoteAddress: ip });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const cookies = Object.fromEntries(page.cookies.map((c) => [c.name, c.value]));
  return t.app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress: ip,
    cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: token, email, password }).toString(),
  });
}

describe('login throttling', () => {
  it('delays grow after the free failures and are capped', () => {
    expect(delayAfter(5, 5)).toBe(0);
    expect(delayAfter(6, 5)).toBe(30_000);
    expect(delayAfter(7, 5)).toBe(60_000);
    expect(delayAfter(8, 5)).toBe(120_000);
    expect(delayAfter(50, 5)).toBe(15 * 60_000);
  });

  it('after five failures from one address an account is blocked there, even with the right password, until the delay passes', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt('tom.okafor@example.gov', `wrong guess ${i}`)).statusCode).toBe(422);
    expect((await attempt('tom.okafor@example.gov', 'wrong guess 5')).statusCode).toBe(422); // sixth failure: 30 s block
    const blocked = await attempt('tom.okafor@example.gov', DEMO_PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.body).toContain('Too many failed attempts to sign in. Wait 30 seconds');
    t.clock.advance(31_000);
    expect((await attempt('tom.okafor@example.gov', 'wrong again')).statusCode).toBe(422); // seventh: 60 s
    t.clock.advance(31_000);
    expect((await attempt('tom.okafor@example.gov', DEMO_PASSWORD)).statusCode).toBe(429);
    t.clock.advance(30_000);
    const ok = await attempt('tom.okafor@example.gov', DEMO_PASSWORD);
    expect(ok.statusCode).toBe(303);
    // Success clears the account's counts.
    const rows = await t.db.selectFrom('login_throttle').selectAll().where('key', 'like', '%tom.okafor@example.gov%').execute();
    expect(rows).toEqual([]);
  });

  it('someone failing on purpose from their address does not lock the owner out from theirs', async () => {
    const attacker = '198.51.100.66';
    for (let i = 0; i < 10; i++) await attempt('mei-lin.tan@example.gov', `locking you out ${i}`, attacker);
    expect((await attempt('mei-lin.tan@example.gov', DEMO_PASSWORD, attacker)).statusCode).toBe(429);
    // The owner, at home, signs in at once.
    expect((await attempt('mei-lin.tan@example.gov', DEMO_PASSWORD, '198.51.100.7')).statusCode).toBe(303);
  });

  it('guessing one account from many addresses meets the looser per-account bound', async () => {
    // 51 failures, from 51 addresses: no address reaches its own limits.
    for (let i = 0; i < 51; i++) expect((await attempt('gareth.lloyd@example.gov', `spread guess ${i}`, `10.1.${Math.floor(i / 200)}.${i % 200}`)).statusCode).toBe(422);
    const blocked = await attempt('gareth.lloyd@example.gov', DEMO_PASSWORD, '10.2.0.1');
    expect(blocked.statusCode).toBe(429);
  });

  it('an unknown email is throttled exactly like a known one', async () => {
    for (let i = 0; i < 6; i++) await attempt('nobody.here@example.gov', `guess ${i}`, '192.0.2.44');
    const blocked = await attempt('nobody.here@example.gov', 'guess 7', '192.0.2.44');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.body).toContain('Too many failed attempts to sign in.');
  });

  it('one address guessing at many accounts is blocked after twenty failures', async () => {
    const ip = '192.0.2.200';
    for (let i = 0; i < 21; i++) expect((await attempt(`person${i}@example.gov`, 'some guess here', ip)).statusCode).toBe(422);
    const blocked = await attempt('amira.hassan@example.gov', DEMO_PASSWORD, ip);
    expect(blocked.statusCode).toBe(429);
    // Another address is not affected.
    expect((await attempt('amira.hassan@example.gov', DEMO_PASSWORD, '192.0.2.201')).statusCode).toBe(303);
  });

  it('counts start again a day after the last failure', async () => {
    for (let i = 0; i < 5; i++) await attempt('priya.raman@example.gov', `x${i}`, '192.0.2.90');
    t.clock.advance(25 * 3_600_000);
    expect((await attempt('priya.raman@example.gov', 'one more', '192.0.2.90')).statusCode).toBe(422);
    const row = await t.db.selectFrom('login_throttle').selectAll().where('key', '=', 'account-ip:priya.raman@example.gov|192.0.2.90').executeTakeFirstOrThrow();
    expect(row.failures).toBe(1);
    expect((await attempt('priya.raman@example.gov', DEMO_PASSWORD, '192.0.2.90')).statusCode).toBe(303);
  });

  it('the block is shared by every app server (it lives in the database)', async () => {
    const other = await submitForm(t.app, '/login', '/login', { email: 'x@example.gov', password: 'y' });
    expect(other.response.statusCode).toBe(422);
    const rows = await t.db.selectFrom('login_throttle').select('key').execute();
    expect(rows.map((r) => r.key)).toEqual(expect.arrayContaining(['account:x@example.gov', 'account-ip:x@example.gov|127.0.0.1']));
  });
});
