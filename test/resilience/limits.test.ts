// Limits that keep the site up: oversized bodies get a 413 page, a flood from one address is limited
// (429) while other readers are served, and a client that never finishes its request is cut off.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

describe('limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    // With the page cache on, as in production: a flood of a cached page must be limited too.
    t = await buildTestApp({ seed: true, pageCache: true, env: { RATE_LIMIT_PER_MINUTE: '30', REQUEST_TIMEOUT_MS: '500' } });
  });

  it('a body over the limit gets a 413 page, not a 500', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/info-sharing-taskforce/posts/anything/comments',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `body=${'x'.repeat(2 * 1024 * 1024)}`,
      remoteAddress: '203.0.113.50',
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('larger than this site accepts');
  });

  it('a flood from one address is answered 429 while another reader is still served', async () => {
    // Another reader fills the page cache first.
    for (let i = 0; i < 20 && (await t.app.inject({ url: '/', remoteAddress: '192.0.2.99' })).headers['x-cache'] !== 'hit'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const statuses: number[] = [];
    const fromCache: boolean[] = [];
    const remaining: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await t.app.inject({ url: '/', remoteAddress: '198.51.100.7' });
      statuses.push(res.statusCode);
      fromCache.push(res.headers['x-cache'] === 'hit');
      remaining.push(String(res.headers['x-ratelimit-remaining']));
    }
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(fromCache.slice(0, 30).every(Boolean)).toBe(true); // answered from the page cache, and still counted
    expect(remaining.slice(0, 3)).toEqual(['29', '28', '27']); // this visitor's own count, not the stored one
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    const limited = await t.app.inject({ url: '/', remoteAddress: '198.51.100.7' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.body).toContain('too many requests');
    const other = await t.app.inject({ url: '/', remoteAddress: '192.0.2.1' });
    expect(other.statusCode).toBe(200);
    // Stylesheets are not counted.
    expect((await t.app.inject({ url: '/static/css/site.css', remoteAddress: '198.51.100.7' })).statusCode).toBe(200);
  });

  it('a client that never finishes sending its request is disconnected', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as net.AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n'); // headers never end
    const started = Date.now();
    const closed = await new Promise<boolean>((resolve) => {
      const guard = setTimeout(() => resolve(false), 10_000);
      socket.once('close', () => {
        clearTimeout(guard);
        resolve(true);
      });
      socket.resume();
    });
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    socket.destroy();
  });
});

afterAll(() => {});
