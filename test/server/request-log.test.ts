// The request log: secrets in URLs (one-time set-password links, private feed addresses) are redacted,
// and a server not told to trust a proxy warns once when requests come through one.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../server/plugins/request-log.js';
import { buildTestApp } from '../helpers/test-app.js';

/** A logger that keeps every line it is given. */
function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: { level: 'info', stream } };
}

describe('the request log', () => {
  it('redacts the token of a set-password link and of a private feed', async () => {
    const token = 'A'.repeat(43);
    const feedToken = 'feedsecret_feedsecret_feedsecret';
    const { lines, logger } = capturedLog();
    const t = await buildTestApp({ logger });
    await t.app.inject({ method: 'GET', url: `/set-password/${token}` });
    await t.app.inject({ method: 'GET', url: `/moderation/feed/${feedToken}?x=1` });
    const text = JSON.stringify(lines);
    expect(lines.some((l) => (l.req as { url?: string } | undefined)?.url === '/set-password/[redacted]')).toBe(true);
    expect(lines.some((l) => (l.req as { url?: string } | undefined)?.url === '/moderation/feed/[redacted]?x=1')).toBe(true);
    expect(text).not.toContain(token);
    expect(text).not.toContain(feedToken);
  });

  it('leaves other URLs alone', () => {
    expect(redactUrl('/roads/posts/set-password/x')).toBe('/roads/posts/set-password/x');
    expect(redactUrl('/set-password/abc?next=1')).toBe('/set-password/[redacted]?next=1');
  });
});

describe('behind a proxy without TRUST_PROXY', () => {
  const warnings = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.level === 40 && String(l.msg).includes('TRUST_PROXY'));

  it('warns once when requests arrive with X-Forwarded-For', async () => {
    const { lines, logger } = capturedLog();
    const t = await buildTestApp({ logger });
    await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(warnings(lines)).toHaveLength(0);
    for (let i = 0; i < 3; i++) await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-for': `203.0.113.${i}` } });
    expect(warnings(lines)).toHaveLength(1);
  });

  it('says nothing when TRUST_PROXY=1', async () => {
    const { lines, logger } = capturedLog();
    const t = await buildTestApp({ logger, env: { TRUST_PROXY: '1' } });
    const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.statusCode).toBe(200);
    expect(warnings(lines)).toHaveLength(0);
  });
});
