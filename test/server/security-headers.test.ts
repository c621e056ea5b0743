// The security headers, value for value, on any response (a route, a 404), over http and https. They are
// computed once at start, so this pins them: a change here is a change to what every visitor gets.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerSecurityHeaders } from '../../server/plugins/security-headers.js';

const CSP =
  "default-src 'self';script-src 'self';style-src 'self';img-src 'self' https:;font-src 'self';connect-src 'self';form-action 'self';frame-ancestors 'none';base-uri 'none';object-src 'none'";
const COMMON = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'cross-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

async function headersOf(publicUrl: string, url: string) {
  const app = Fastify();
  await registerSecurityHeaders(app, publicUrl);
  app.get('/', async () => 'hello');
  const res = await app.inject(url);
  await app.close();
  const { date, connection, 'content-length': _length, 'content-type': _type, ...rest } = res.headers;
  return rest;
}

describe('security headers', () => {
  it('are exactly these over http, on a page and on a 404', async () => {
    const expected = { 'content-security-policy': CSP, ...COMMON };
    expect(await headersOf('http://localhost:3000', '/')).toEqual(expected);
    expect(await headersOf('http://localhost:3000', '/nowhere')).toEqual(expected);
  });

  it('add HSTS and upgrade-insecure-requests over https', async () => {
    const expected = {
      'content-security-policy': `${CSP};upgrade-insecure-requests`,
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      ...COMMON,
    };
    expect(await headersOf('https://blogs.example.org', '/')).toEqual(expected);
    expect(await headersOf('https://blogs.example.org', '/nowhere')).toEqual(expected);
  });
});
