// Slow clients are cut when the configured timeouts say, not up to 30 s later (Node checks request
// timeouts on an interval that defaulted to 30 s), and open connections are capped.
// The bounds below are generous (seconds past the timeout), but far below the 30 s interval they catch.
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await buildTestApp({
    seed: true,
    env: { REQUEST_TIMEOUT_MS: '3000', HEADERS_TIMEOUT_MS: '1500', MAX_CONNECTIONS: '6', RATE_LIMIT_PER_MINUTE: '0' },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as net.AddressInfo).port;
});

async function connect(): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

/** Sends `chunks` one at a time, `everyMs` apart, until the server closes the socket; resolves with seconds until then. */
function dripUntilClosed(socket: net.Socket, chunks: string[], everyMs: number, giveUpMs: number): Promise<number | 'still open'> {
  const started = Date.now();
  return new Promise((resolve) => {
    let i = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(chunks[i++ % chunks.length]!);
    }, everyMs);
    const guard = setTimeout(() => finish('still open'), giveUpMs);
    socket.resume();
    socket.once('close', () => finish((Date.now() - started) / 1000));
    function finish(result: number | 'still open') {
      clearInterval(drip);
      clearTimeout(guard);
      socket.destroy();
      resolve(result);
    }
  });
}

describe('slow clients', () => {
  it('a client sending its headers a byte at a time (slowloris) is cut after HEADERS_TIMEOUT_MS', async () => {
    const socket = await connect();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const closedAfter = await dripUntilClosed(socket, ['X', '-', 'a', ':', ' ', 'b', '\r', '\n'], 100, 15_000);
    expect(closedAfter).not.toBe('still open');
    expect(closedAfter).toBeGreaterThanOrEqual(1.4);
    expect(closedAfter).toBeLessThan(1.5 + 3);
  });

  it('a client sending its body slowly is cut after REQUEST_TIMEOUT_MS', async () => {
    const socket = await connect();
    socket.write('POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n');
    const closedAfter = await dripUntilClosed(socket, ['a'], 100, 15_000);
    expect(closedAfter).not.toBe('still open');
    expect(closedAfter).toBeGreaterThanOrEqual(2.5);
    expect(closedAfter).toBeLessThan(3 + 3);
  });

  it('connections past MAX_CONNECTIONS are closed as they arrive, and served again once others close', async () => {
    const held = await Promise.all(Array.from({ length: 6 }, () => connect()));
    for (const s of held) s.write('GET / HTTP/1.1\r\nHost: x\r\n'); // open, unfinished
    // Wait until the server has counted all six.
    for (let i = 0; i < 50; i++) {
      const count = await new Promise<number>((resolve) => t.app.server.getConnections((_e, n) => resolve(n)));
      if (count >= 6) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const extra = await connect();
    const extraClosed = await new Promise<boolean>((resolve) => {
      const guard = setTimeout(() => resolve(false), 2_000);
      extra.resume();
      extra.once('close', () => {
        clearTimeout(guard);
        resolve(true);
      });
      extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(extraClosed).toBe(true);
    for (const s of held) s.destroy();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(200);
  });
});
