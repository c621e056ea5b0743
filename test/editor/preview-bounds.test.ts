// The editor's preview renders whatever it is sent, on the event loop. Its work is bounded
// (markdown/render.ts: nesting depth and length), so a contributor previewing deeply nested unclosed tags
// cannot stall the server: /healthz, asked while the preview is being sent and rendered, answers within a
// few seconds (HEALTHZ_BOUND_MS), and the preview answers with a clear message.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cookiesFrom, signInAs, type TestApp } from '../helpers/test-app.js';
import { P } from './helpers.js';

// Generous, for a busy machine running other test files beside this one: before the bounds, /healthz
// waited 6.1 s behind this preview; with them the preview takes 0.2–0.7 s of the event loop.
const HEALTHZ_BOUND_MS = 3_000;

let t: TestApp;
let base: string;
let jar: Record<string, string>;
let csrf: string;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  const owner = await signInAs(t, 'amira.hassan@example.gov');
  const page = await t.app.inject({ method: 'GET', url: `${P}/posts/new`, cookies: owner });
  expect(page.statusCode).toBe(200);
  jar = { ...owner, ...cookiesFrom(page) };
  csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});

/** Sends a preview of `body`; resolves once the request (with its body) is written, and when it is answered. */
function sendPreview(body: string) {
  const payload = new URLSearchParams({ _csrf: csrf, title: 'Nested', slug: '', summary: '', body, tags: '', action: 'preview' }).toString();
  const cookie = Object.entries(jar).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
  let sent!: () => void;
  const written = new Promise<void>((resolve) => (sent = resolve));
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${base}${P}/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload), cookie },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload, () => sent());
  });
  return { written, answered };
}

/**
 * Asks /healthz again and again, one request after another, from when the preview has been sent until it
 * is answered (so some are asked while it renders); returns the slowest answer's time.
 */
async function slowestHealthzWhile(written: Promise<void>, answered: Promise<unknown>): Promise<number> {
  await written;
  let done = false;
  void answered.then(() => (done = true), () => (done = true));
  let slowest = 0;
  for (let i = 0; i < 10_000 && !done; i++) {
    const started = performance.now();
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    await res.text();
    slowest = Math.max(slowest, performance.now() - started);
  }
  return slowest;
}

describe('preview bounds', () => {
  it('a preview of ~100 KB of nested unclosed tags shows them as text, says why, and /healthz stays fast meanwhile', async () => {
    const body = '<b><i>'.repeat(16_000); // 96 KB, under the 100 KB a post may have
    const { written, answered } = sendPreview(body);
    const healthMs = await slowestHealthzWhile(written, answered);
    const preview = await answered;
    expect(healthMs).toBeLessThan(HEALTHZ_BOUND_MS);
    expect(preview.status).toBe(200);
    expect(preview.body).toContain('nests tags more than 128 deep, so it is shown as text');
    const shown = preview.body.slice(preview.body.indexOf('id="preview-heading"'), preview.body.indexOf('<form method="post" action="/admin'));
    expect(shown).toContain('&lt;b&gt;&lt;i&gt;');
    expect(shown).not.toContain('<b><i><b>');
  });

  it('a preview longer than a post may be is not rendered: a clear message, and /healthz stays fast meanwhile', async () => {
    const body = '<b>'.repeat(100_000); // 300 KB (900 KB as a form, under its 1 MB limit): seconds to render before the bounds
    const { written, answered } = sendPreview(body);
    const healthMs = await slowestHealthzWhile(written, answered);
    const preview = await answered;
    expect(healthMs).toBeLessThan(HEALTHZ_BOUND_MS);
    expect(preview.status).toBe(200);
    expect(preview.body).toContain('The text is too long to preview: 100 KB at most.');
  });
});
