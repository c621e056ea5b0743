// The guarded outbound client against real HTTP servers on loopback: the address guard (on by default,
// off only with allowPrivate), redirects, the one deadline, the size cap after decompression.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutboundUrl, fetchOutbound, OutboundError } from '../../server/outbound/http.js';

let server: http.Server;
let base: string;
const open: http.ServerResponse[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/ok':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<p>hello</p>');
        return;
      case '/echo': {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.method} ${req.headers['content-type']} ${Buffer.concat(chunks).toString()}`));
        return;
      }
      case '/moved':
        res.writeHead(301, { location: '/ok' }).end();
        return;
      case '/found':
        res.writeHead(302, { location: `${base}/moved` }).end();
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' }).end();
        return;
      case '/to-file':
        res.writeHead(302, { location: 'file:///etc/passwd' }).end();
        return;
      case '/silent':
        open.push(res); // never answers
        return;
      case '/drip': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => res.write('.'), 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/big':
        res.writeHead(200, { 'content-type': 'text/plain' }).end(Buffer.alloc(300_000, 97));
        return;
      case '/big-declared':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5000000' });
        res.write('a');
        open.push(res);
        return;
      case '/gzip':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(zlib.gzipSync('compressed hello'));
        return;
      case '/br':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'br' }).end(zlib.brotliCompressSync('brotli hello'));
        return;
      case '/bomb':
        // 50 MB of zeros in ~50 KB: the cap applies to what it inflates to.
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024)));
        return;
      case '/bad-gzip':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end('this is not gzip');
        return;
      case '/odd-encoding':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'x-strange' }).end('??');
        return;
      default:
        res.writeHead(404).end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of open) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutboundError);
  return err as OutboundError;
}

describe('the address guard', () => {
  it('refuses loopback, private, link-local (cloud metadata) and unspecified addresses by default', async () => {
    const port = (server.address() as AddressInfo).port;
    for (const url of [
      `${base}/ok`,
      `http://localhost:${port}/ok`,
      `http://[::1]:${port}/ok`,
      `http://[::ffff:127.0.0.1]:${port}/ok`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://0.0.0.0/',
    ]) {
      const err = await failure(fetchOutbound(url, { timeoutMs: 2_000 }));
      expect(err.kind, url).toBe('blocked-address');
      expect(err.message).toMatch(/private or local network/);
    }
  });

  it('reaches loopback only when allowed (ALLOW_PRIVATE_FETCH)', async () => {
    const response = await fetchOutbound(`${base}/ok`, { allowPrivate: true });
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('<p>hello</p>');
  });

  it('fetches only http(s) URLs without credentials', () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.org/', 'gopher://x/', 'javascript:alert(1)', 'http://user:pw@example.org/', 'not a url']) {
      expect(() => checkOutboundUrl(url), url).toThrow(OutboundError);
    }
    expect(checkOutboundUrl('https://example.org/a#frag').href).toBe('https://example.org/a');
  });
});

describe('redirects', () => {
  it('follows them, reporting each hop and whether all were permanent', async () => {
    const permanent = await fetchOutbound(`${base}/moved`, { allowPrivate: true });
    expect(permanent.url).toBe(`${base}/ok`);
    expect(permanent.permanentlyMoved).toBe(true);
    const mixed = await fetchOutbound(`${base}/found`, { allowPrivate: true });
    expect(mixed.url).toBe(`${base}/ok`);
    expect(mixed.redirects.map((r) => r.status)).toEqual([302, 301]);
    expect(mixed.permanentlyMoved).toBe(false);
  });

  it('stops a loop at the limit, and never follows a redirect to another scheme', async () => {
    expect((await failure(fetchOutbound(`${base}/loop`, { allowPrivate: true, maxRedirects: 3 }))).kind).toBe('too-many-redirects');
    expect((await failure(fetchOutbound(`${base}/to-file`, { allowPrivate: true }))).kind).toBe('bad-url');
  });

  it('does not follow a redirect when told not to', async () => {
    const response = await fetchOutbound(`${base}/loop`, { allowPrivate: true, maxRedirects: 0 }).catch((e: unknown) => e);
    expect((response as OutboundError).kind).toBe('too-many-redirects');
  });
});

describe('time and size', () => {
  it('gives up on a site that never answers, and on one that answers forever a byte at a time', async () => {
    const silent = await failure(fetchOutbound(`${base}/silent`, { allowPrivate: true, timeoutMs: 300 }));
    expect(silent.kind).toBe('timeout');
    expect(silent.message).toMatch(/did not answer within/);
    expect((await failure(fetchOutbound(`${base}/drip`, { allowPrivate: true, timeoutMs: 400, maxBytes: 1_000_000 }))).kind).toBe('timeout');
  });

  it('stops reading past the cap, declared or not, and after decompression (a gzip bomb)', async () => {
    expect((await failure(fetchOutbound(`${base}/big`, { allowPrivate: true, maxBytes: 100_000 }))).kind).toBe('too-large');
    expect((await failure(fetchOutbound(`${base}/big-declared`, { allowPrivate: true, maxBytes: 100_000 }))).kind).toBe('too-large');
    const bomb = await failure(fetchOutbound(`${base}/bomb`, { allowPrivate: true, maxBytes: 1_000_000 }));
    expect(bomb.kind).toBe('too-large');
    expect(bomb.message).toMatch(/larger than/);
  });

  it('decodes gzip and brotli, and says so when an answer cannot be decoded', async () => {
    expect((await fetchOutbound(`${base}/gzip`, { allowPrivate: true })).body.toString()).toBe('compressed hello');
    expect((await fetchOutbound(`${base}/br`, { allowPrivate: true })).body.toString()).toBe('brotli hello');
    expect((await failure(fetchOutbound(`${base}/bad-gzip`, { allowPrivate: true }))).kind).toBe('bad-encoding');
    expect((await failure(fetchOutbound(`${base}/odd-encoding`, { allowPrivate: true }))).kind).toBe('bad-encoding');
  });

  it('sends a form body with POST', async () => {
    const response = await fetchOutbound(`${base}/echo`, { allowPrivate: true, method: 'POST', body: new URLSearchParams({ source: 'a', target: 'b' }) });
    expect(response.body.toString()).toBe('POST application/x-www-form-urlencoded source=a&target=b');
  });

  it('names a refused connection in plain words', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(fetchOutbound(`http://127.0.0.1:${port}/`, { allowPrivate: true }));
    expect(err.kind).toBe('network');
    expect(err.message).toBe('The site refused the connection.');
  });
});
