// Compressed responses on the real app: Brotli and gzip by Accept-Encoding (q-values honoured, plain when
// not accepted), Vary on every text response, a page cache hit sent from the copies made when the page
// was stored (no compression per response), ETags per encoding with 304s that still work, feeds and the
// stylesheet compressed, small bodies and images left alone.
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { compressionStats, negotiateEncoding } from '../../server/compression.js';
import { fillCompressed } from '../../server/cache/compressed-template.js';
import { DEMO_ADMIN } from '../../server/demo/seed.js';
import { buildTestApp, get, signInAs, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let postUrl: string;
const FEED = '/info-sharing-taskforce/feed.atom';
const BOTH = { 'accept-encoding': 'br, gzip' };
// A long page with a form at its end, carrying a visitor's CSRF token and a render stamp.
const FORM_PAGE = '/x-test/long-form';
const filler = Array.from({ length: 80 }, (_, i) => `<p>Paragraph ${i} of a page with a form at its end.</p>`).join('\n');

beforeAll(async () => {
  t = await buildTestApp({ seed: true, pageCache: true });
  const post = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
    .select(['posts.slug']).where('projects.slug', '=', 'info-sharing-taskforce').where('posts.comments_open', '=', true)
    .where('posts.status', '=', 'published').orderBy('posts.published_at', 'desc').executeTakeFirstOrThrow();
  postUrl = `/info-sharing-taskforce/posts/${post.slug}`;
  t.app.get(FORM_PAGE, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(`${filler}<form method="post" action="${FORM_PAGE}"><input type="hidden" name="_csrf" value="${reply.generateCsrf()}"><input name="rendered_at" value="${reply.renderStamp()}"></form>`),
  );
});

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 2_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

async function warm(url: string) {
  await get(t.app, url);
  await until(`${url} to be stored`, async () => (await get(t.app, url)).headers['x-cache'] === 'hit');
}

function decode(res: { rawPayload: Buffer; headers: Record<string, unknown> }): string {
  const encoding = res.headers['content-encoding'];
  if (encoding === 'br') return zlib.brotliDecompressSync(res.rawPayload).toString('utf8');
  if (encoding === 'gzip') return zlib.gunzipSync(res.rawPayload).toString('utf8');
  if (encoding === undefined) return res.rawPayload.toString('utf8');
  throw new Error(`unexpected content-encoding ${String(encoding)}`);
}

describe('choosing an encoding', () => {
  it('honours q-values, prefers Brotli when both are equal, and falls back to the plain body', () => {
    expect(negotiateEncoding(undefined)).toBe('identity');
    expect(negotiateEncoding('')).toBe('identity');
    expect(negotiateEncoding('br, gzip')).toBe('br');
    expect(negotiateEncoding('gzip, deflate, br')).toBe('br');
    expect(negotiateEncoding('gzip')).toBe('gzip');
    expect(negotiateEncoding('GZIP')).toBe('gzip');
    expect(negotiateEncoding('x-gzip')).toBe('gzip');
    expect(negotiateEncoding('br;q=0.5, gzip;q=0.9')).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip')).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip;q=0')).toBe('identity');
    expect(negotiateEncoding('identity')).toBe('identity');
    expect(negotiateEncoding('deflate')).toBe('identity');
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('br, gzip', 'gzip')).toBe('gzip');
    expect(negotiateEncoding('br', 'gzip')).toBe('identity');
  });
});

describe('the cached post page', () => {
  it('decodes, in Brotli and in gzip, to exactly the plain page, with Vary on each', async () => {
    await warm(postUrl);
    const plain = await get(t.app, postUrl);
    const br = await get(t.app, postUrl, { headers: BOTH });
    const gzip = await get(t.app, postUrl, { headers: { 'accept-encoding': 'gzip' } });
    expect([plain.headers['x-cache'], br.headers['x-cache'], gzip.headers['x-cache']]).toEqual(['hit', 'hit', 'hit']);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    for (const res of [plain, br, gzip]) expect(String(res.headers['vary'])).toMatch(/accept-encoding/i);
    // The clock stands still: the same render stamp in all three.
    expect(decode(br)).toBe(plain.body);
    expect(decode(gzip)).toBe(plain.body);
    expect(plain.body).toContain('name="rendered_at"');
    expect(Number(br.headers['content-length'])).toBe(br.rawPayload.length);
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    // q-values decide, not the order.
    const preferred = await get(t.app, postUrl, { headers: { 'accept-encoding': 'br;q=0.1, gzip;q=0.8' } });
    expect(preferred.headers['content-encoding']).toBe('gzip');
    const refused = await get(t.app, postUrl, { headers: { 'accept-encoding': 'br;q=0, gzip;q=0, identity' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body).toBe(plain.body);
  });

  it('is sent from the copies made when it was stored: gzip by concatenation, Brotli once a second for its render stamp', async () => {
    await warm(postUrl);
    const entry = t.app.pageCache.store.get(postUrl, t.clock.now().getTime())!;
    expect(entry.compressedTemplate).toBeDefined();
    const stampOf = (res: Parameters<typeof decode>[0]) => /name="rendered_at" value="([^"]+)"/.exec(decode(res))![1]!;
    const gzipped = { 'accept-encoding': 'gzip' };
    await get(t.app, postUrl, { headers: BOTH }); // this second's Brotli copy, if no reader asked yet
    const before = compressionStats.bodies;
    const [gz1, gz2, br1, br2] = [await get(t.app, postUrl, { headers: gzipped }), await get(t.app, postUrl, { headers: gzipped }), await get(t.app, postUrl, { headers: BOTH }), await get(t.app, postUrl, { headers: BOTH })];
    expect(compressionStats.bodies).toBe(before);
    // The same bytes for every reader within the second: exactly what the stored copies give.
    expect(Buffer.compare(gz1.rawPayload, gz2.rawPayload)).toBe(0);
    expect(Buffer.compare(gz1.rawPayload, fillCompressed(entry.compressedTemplate!, 'gzip', { stamp: stampOf(gz1) }))).toBe(0);
    expect(Buffer.compare(br1.rawPayload, br2.rawPayload)).toBe(0);
    expect(Buffer.compare(br1.rawPayload, entry.stamped!.br!)).toBe(0);
    // A new second, a new stamp: gzip still by concatenation, Brotli made once for all its readers.
    t.clock.advance(5_000);
    const gz3 = await get(t.app, postUrl, { headers: gzipped });
    expect(gz3.headers['x-cache']).toBe('hit');
    expect(stampOf(gz3)).not.toBe(stampOf(gz1));
    expect(Buffer.compare(gz3.rawPayload, fillCompressed(entry.compressedTemplate!, 'gzip', { stamp: stampOf(gz3) }))).toBe(0);
    expect(compressionStats.bodies).toBe(before);
    const br3 = await get(t.app, postUrl, { headers: BOTH });
    const br4 = await get(t.app, postUrl, { headers: BOTH });
    expect(compressionStats.bodies).toBe(before + 1);
    expect(stampOf(br3)).toBe(stampOf(gz3));
    expect(Buffer.compare(br3.rawPayload, br4.rawPayload)).toBe(0);
  });

  it('a cached form page with a visitor token per response is compressed by concatenation too', async () => {
    const url = FORM_PAGE;
    await warm(url);
    const entry = t.app.pageCache.store.get(url, t.clock.now().getTime())!;
    expect(entry.csrf).toBe(true);
    expect(entry.compressedTemplate!.br).toBeDefined(); // the form is at the end: Brotli by template pays
    const before = compressionStats.bodies;
    for (const headers of [BOTH, { 'accept-encoding': 'gzip' }]) {
      const res = await get(t.app, url, { headers });
      expect(res.headers['x-cache']).toBe('hit');
      expect(res.headers['content-encoding']).toBe(headers === BOTH ? 'br' : 'gzip');
      const html = decode(res);
      expect(html).toContain(filler);
      expect(html).not.toContain('\u0000');
      expect(/name="_csrf" value="([^"]+)"/.exec(html)![1]!.length).toBeGreaterThan(10);
    }
    expect(compressionStats.bodies).toBe(before);
  });

  it('has an ETag per encoding (weak when encoded) and answers 304 to each, from memory and on a miss', async () => {
    await warm(postUrl);
    const plain = await get(t.app, postUrl);
    const br = await get(t.app, postUrl, { headers: BOTH });
    const strong = plain.headers['etag'] as string;
    expect(strong).toMatch(/^"/);
    expect(br.headers['etag']).toBe(`W/${strong}`);
    const hit = await get(t.app, postUrl, { headers: { ...BOTH, 'if-none-match': br.headers['etag'] as string } });
    expect([hit.statusCode, hit.headers['x-cache'], hit.body]).toEqual([304, 'hit', '']);
    expect(hit.headers['etag']).toBe(`W/${strong}`);
    expect(String(hit.headers['vary'])).toMatch(/accept-encoding/i);
    expect((await get(t.app, postUrl, { headers: { 'if-none-match': strong } })).statusCode).toBe(304);
    expect((await get(t.app, postUrl, { headers: { ...BOTH, 'if-none-match': '"other"' } })).statusCode).toBe(200);
    // On a miss (the page dropped by a write) too.
    t.app.pageCache.store.clear();
    const miss = await get(t.app, postUrl, { headers: { ...BOTH, 'if-none-match': br.headers['etag'] as string } });
    expect([miss.statusCode, miss.headers['x-cache']]).toEqual([304, 'miss']);
    expect(miss.headers['etag']).toBe(`W/${strong}`);
    // The miss itself was compressed on its way out, and decodes to the page.
    t.app.pageCache.store.clear();
    const fresh = await get(t.app, postUrl, { headers: BOTH });
    expect([fresh.headers['x-cache'], fresh.headers['content-encoding'], fresh.headers['etag']]).toEqual(['miss', 'br', `W/${strong}`]);
    expect(decode(fresh)).toBe((await get(t.app, postUrl)).body);
  });

  it('answers HEAD with Vary and no body, describing the plain page (the length of what GET sends unencoded)', async () => {
    const head = await t.app.inject({ method: 'HEAD', url: postUrl, headers: BOTH });
    expect(head.statusCode).toBe(200);
    expect(String(head.headers['vary'])).toMatch(/accept-encoding/i);
    expect(head.rawPayload.length).toBe(0);
    expect(head.headers['content-encoding']).toBeUndefined();
    expect(Number(head.headers['content-length'])).toBe((await get(t.app, postUrl)).rawPayload.length);
  });
});

describe('other responses', () => {
  it('a feed is compressed once, when it is built, and decodes to the plain feed', async () => {
    const plain = await get(t.app, FEED);
    const br = await get(t.app, FEED, { headers: BOTH });
    const gzip = await get(t.app, FEED, { headers: { 'accept-encoding': 'gzip' } });
    expect([br.headers['content-encoding'], gzip.headers['content-encoding']]).toEqual(['br', 'gzip']);
    expect(decode(br)).toBe(plain.body);
    expect(decode(gzip)).toBe(plain.body);
    expect(String(plain.headers['vary'])).toMatch(/accept-encoding/i);
    expect(br.headers['etag']).toBe(`W/${plain.headers['etag'] as string}`);
    const notModified = await get(t.app, FEED, { headers: { ...BOTH, 'if-none-match': br.headers['etag'] as string } });
    expect(notModified.statusCode).toBe(304);
  });

  it('the feed cache keeps the compressed copies it serves (no page cache in front)', async () => {
    const plainApp = await buildTestApp({ seed: true });
    const first = await get(plainApp.app, FEED, { headers: BOTH });
    const builds = plainApp.app.feedCache.stats.builds;
    const before = compressionStats.bodies;
    const second = await get(plainApp.app, FEED, { headers: BOTH });
    expect(second.headers['content-encoding']).toBe('br');
    expect(Buffer.compare(first.rawPayload, second.rawPayload)).toBe(0);
    expect(plainApp.app.feedCache.stats.builds).toBe(builds);
    expect(compressionStats.bodies).toBe(before);
    expect(decode(second)).toBe((await get(plainApp.app, FEED)).body);
  });

  it('the stylesheet is compressed at start and served with its own ETag per encoding, 304 and Range included', async () => {
    const url = '/static/css/site.css';
    const plain = await get(t.app, url);
    const br = await get(t.app, url, { headers: BOTH });
    const gzip = await get(t.app, url, { headers: { 'accept-encoding': 'gzip' } });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect([br.headers['content-encoding'], gzip.headers['content-encoding']]).toEqual(['br', 'gzip']);
    expect(br.headers['content-type']).toMatch(/text\/css/);
    expect(decode(br)).toBe(plain.body);
    expect(decode(gzip)).toBe(plain.body);
    for (const res of [plain, br, gzip]) expect(String(res.headers['vary'])).toMatch(/accept-encoding/i);
    const etags = new Set([plain, br, gzip].map((r) => r.headers['etag']));
    expect(etags.size).toBe(3);
    const again = await get(t.app, url, { headers: { ...BOTH, 'if-none-match': br.headers['etag'] as string } });
    expect(again.statusCode).toBe(304);
    const range = await get(t.app, url, { headers: { range: 'bytes=0-99' } });
    expect(range.statusCode).toBe(206);
    expect(range.body).toBe(plain.body.slice(0, 100));
  });

  it('pages for a signed-in person are compressed as they go out; small answers and images are not', async () => {
    const jar = await signInAs(t, DEMO_ADMIN.email);
    const plain = await get(t.app, '/info-sharing-taskforce/', { cookies: jar });
    const gzip = await get(t.app, '/info-sharing-taskforce/', { cookies: jar, headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers['cache-control']).toBe('private, no-store');
    expect(String(gzip.headers['vary'])).toMatch(/accept-encoding/i);
    expect(String(plain.headers['vary'])).toMatch(/accept-encoding/i);
    // The page shows nothing per response besides what is in the plain one (same person, same clock).
    expect(decode(gzip).replace(/value="[^"]{20,}"/g, '')).toBe(plain.body.replace(/value="[^"]{20,}"/g, ''));
    const health = await get(t.app, '/healthz', { headers: BOTH });
    expect(health.headers['content-encoding']).toBeUndefined();
    const favicon = await get(t.app, '/static/favicon.svg', { headers: BOTH });
    expect(favicon.statusCode).toBe(200);
    expect(favicon.headers['content-encoding']).toBeUndefined(); // under 1 KB
  });
});
