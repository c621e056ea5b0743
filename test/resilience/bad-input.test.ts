// Bad input that is not a form field: JSON bodies, broken multipart, raw bytes and over-long lines at
// the HTTP layer, methods no page takes, invisible-only comments and an empty bulk selection. Every one
// gets the site's own page (or, where no page can be built, a plain HTML one) with a 4xx status — never a
// 500, never Node's or Fastify's JSON. Socket-level cases talk raw HTTP to a real listening server.
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ADMIN } from '../../server/demo/seed.js';
import { postComment, openPost } from '../comments/helpers.js';
import { buildTestApp, cookiesFrom, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

const P = 'info-sharing-taskforce';
let t: TestApp;
let admin: Record<string, string>;
let port: number;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  admin = await signInAs(t, DEMO_ADMIN.email);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as net.AddressInfo).port;
});

/** The CSRF cookie and token of a signed-in form page. */
async function formToken(url: string) {
  const page = await get(t.app, url, { cookies: admin });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no form at ${url} (status ${page.statusCode})`);
  return { token, jar: { ...admin, ...cookiesFrom(page) } };
}

/** Sends bytes on a fresh connection and returns everything the server wrote until it closed. */
function rawHttp(request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    // A server that cuts off a request it will not read may reset the connection; what it wrote before counts.
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(request);
  });
}

function parse(raw: string) {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

function expectHtmlPage(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('text/html');
  expect(res.body).toMatch(/^<!doctype html>/i);
}

describe('JSON bodies with NUL characters', () => {
  it.each([
    ['the post editor', `/admin/projects/${P}/posts/new`, `/admin/projects/${P}/posts`, { title: 'Nul\u0000title', body: 'Body with \u0000 a NUL', summary: '\u0000', tags: 'a\u0000b', action: 'save' }],
    ['the page editor', `/admin/projects/${P}/pages/new`, `/admin/projects/${P}/pages`, { title: 'Nul\u0000page', body: 'Page \u0000 body', slug: '' }],
    ['the people form', '/admin/people', '/admin/people', { email: 'nul\u0000person@example.gov', displayName: 'Nul\u0000Person', handle: 'nul-person' }],
  ])('to %s get a page, never a 500', async (_label, formUrl, action, fields) => {
    const { token, jar } = await formToken(formUrl);
    const res = await t.app.inject({ method: 'POST', url: action, cookies: jar, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ _csrf: token, ...fields }) });
    expect(res.statusCode).toBeLessThan(500);
    if (res.statusCode !== 303) expect(String(res.headers['content-type'])).toContain('text/html');
    // Nothing with a NUL (or an error) was stored.
    const titles = await t.db.selectFrom('posts').select('title').where('title', 'like', 'Nul%').execute();
    expect(titles.every((r) => !r.title.includes('\u0000'))).toBe(true);
  });

  it('a NUL hidden in a nested JSON value or a key is dropped as well', async () => {
    const { token, jar } = await formToken('/admin/people');
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/people',
      cookies: jar,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ _csrf: token, email: ['x\u0000@example.gov'], 'display\u0000Name': { deep: ['\u0000'] }, handle: 'h\u0000' }),
    });
    expect(res.statusCode).toBeLessThan(500);
    expect(String(res.headers['content-type'])).toContain('text/html');
  });

  it('malformed JSON is a 400 page', async () => {
    const { jar } = await formToken('/admin/people');
    const res = await t.app.inject({ method: 'POST', url: '/admin/people', cookies: jar, headers: { 'content-type': 'application/json' }, payload: '{"email": "a' });
    expectHtmlPage(res, 400);
  });
});

describe('broken multipart uploads', () => {
  const url = `/admin/projects/${P}/images`;

  it('a multipart body cut off half-way is a 400 page', async () => {
    const { token, jar } = await formToken(`${url}/new`);
    const boundary = '----cut';
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\nhalf of an ima`;
    const res = await t.app.inject({ method: 'POST', url, cookies: jar, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expectHtmlPage(res, 400);
    expect(res.body).toContain('The upload could not be read');
  });

  it('a multipart body without a boundary is a 400 page', async () => {
    const { token, jar } = await formToken(`${url}/new`);
    const res = await t.app.inject({ method: 'POST', url, cookies: jar, headers: { 'content-type': 'multipart/form-data' }, payload: `_csrf=${token}` });
    expectHtmlPage(res, 400);
    expect(res.body).toContain('The upload could not be read');
  });

  it('a multipart upload whose connection ends early is answered 400, not 500', async () => {
    const { token, jar } = await formToken(`${url}/new`);
    const boundary = '----early';
    const part = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n`;
    const cookie = Object.entries(jar).map(([k, v]) => `${k}=${v}`).join('; ');
    // The length promises more than is sent, and the client half-closes: the body never completes.
    const res = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.end(`POST ${url} HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${part.length + 5000}\r\n\r\n${part}`);
    });
    if (res !== '') expect(parse(res).status).toBeLessThan(500); // nobody is left to read it; what matters is no 500
    // The server is still serving.
    expect((await get(t.app, '/')).statusCode).toBe(200);
  });
});

describe('the HTTP layer', () => {
  it.each([
    ['a control byte in the path', 'GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['raw bytes in the path', 'GET /caf\xe9\xff HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a space-broken request line', 'GET / / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an unknown method', 'FROB / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a garbage request', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'],
  ])('%s gets a plain HTML 400, not JSON', async (_label, request) => {
    const res = parse(await rawHttp(Buffer.from(request, 'latin1')));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('<h1>Bad request</h1>');
    expect(res.body).not.toContain('"statusCode"');
  });

  it.each([
    ['a 100 KB URL', `GET /?q=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a 100 KB header', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`],
  ])('%s gets a plain HTML 431, not JSON', async (_label, request) => {
    const res = parse(await rawHttp(request));
    expect(res.status).toBe(431);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('too large');
    expect(res.body).not.toContain('"statusCode"');
  });

  it('a method HTTP knows but no page takes gets the site’s 405 page with Allow', async () => {
    const raw = parse(await rawHttp('PROPFIND / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    expect(raw.status).toBe(405);
    expect(raw.headers['content-type']).toContain('text/html');
    expect(raw.headers.allow).toBe('GET, HEAD');
  });
});

describe('methods a page does not take', () => {
  it.each([
    ['PUT', '/'],
    ['DELETE', '/'],
    ['PUT', `/${P}/`],
    ['DELETE', `/${P}/pages/comment-policy`],
    ['PATCH', `/${P}/posts/anything`],
    ['PUT', '/admin/people'],
    ['DELETE', `/admin/projects/${P}/pages`],
  ])('%s %s is a 405 page with an Allow header, decided before the form check', async (method, url) => {
    const res = await t.app.inject({ method: method as 'PUT', url, cookies: admin, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' });
    expectHtmlPage(res, 405);
    expect(res.body).not.toContain('form has expired');
    expect(res.headers.allow).toMatch(/^GET, HEAD(, POST)?$/);
  });

  it('a POST to a page that takes only GET is a 405 page too; an unknown address is still a 404', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/${P}/pages/comment-policy`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' });
    expectHtmlPage(res, 405);
    expect(res.headers.allow).toBe('GET, HEAD');
    const missing = await t.app.inject({ method: 'PUT', url: '/no/such/place/here', payload: '' });
    expectHtmlPage(missing, 404);
  });

  it('a body of a type the site never reads does not change that answer; OPTIONS lists what is allowed', async () => {
    const put = await t.app.inject({ method: 'PUT', url: `/${P}/`, headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expectHtmlPage(put, 405);
    expect(put.headers.allow).toBe('GET, HEAD');
    const options = await t.app.inject({ method: 'OPTIONS', url: '/admin/people' });
    expect(options.statusCode).toBe(204);
    expect(options.headers.allow).toBe('GET, HEAD, POST');
  });
});

describe('comments made only of invisible characters', () => {
  it.each([
    ['zero-width spaces', '\u200b\u200b\u200b'],
    ['joiners and a word joiner', '\u200c\u200d\u2060'],
    ['a byte-order mark among spaces', ' \ufeff \u00a0 \u3000 '],
    ['soft hyphens and bidi marks', '\u00ad\u200e\u200f\u202a\u202c\u2066\u2069'],
  ])('%s count as an empty comment, and the text is kept', async (_label, body) => {
    const post = await openPost(t);
    const before = await t.db.selectFrom('comments').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const { response } = await postComment(t, post.url, { name: 'Sam Reader', email: 'sam.invisible@example.org', body }, { ip: '203.0.113.77' });
    expect(response.statusCode).toBe(422); // the form's own validation answer
    expect(response.body).toContain('Enter your comment.');
    expect(response.body).toContain(`>${body.trim()}</textarea>`);
    const after = await t.db.selectFrom('comments').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('a name made only of invisible characters counts as missing', async () => {
    const post = await openPost(t);
    const { response } = await postComment(t, post.url, { name: '\u200b\u2060', email: 'sam.invisible@example.org', body: 'A real comment' }, { ip: '203.0.113.78' });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Enter your name.');
    expect(response.body).toContain('A real comment');
  });

  it('a visible comment that contains a zero-width joiner (an emoji sequence) is still accepted', async () => {
    const post = await openPost(t);
    const { response } = await postComment(t, post.url, { name: 'Sam Reader', email: 'sam.emoji@example.org', body: 'Family: \u{1F468}\u200d\u{1F469}\u200d\u{1F467}' }, { ip: '203.0.113.79' });
    expect(response.statusCode).toBe(303);
  });

  it('a moderator’s edit or team reply made only of invisible characters is refused', async () => {
    const id = (await t.db.selectFrom('comments').select('id').where('status', '=', 'pending').executeTakeFirstOrThrow()).id;
    for (const action of ['edit', 'reply']) {
      const { response } = await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/${action}`, { body: '\u200b\ufeff' }, admin);
      expect(response.statusCode).toBe(400);
    }
  });
});

describe('bulk moderation with nothing ticked', () => {
  it.each(['approve', 'reject', 'spam'])('%s shows the queue again with a message, as the site’s page', async (action) => {
    const { response } = await submitForm(t.app, '/admin/moderation', '/admin/moderation/bulk', { action, reason: '', back: '/admin/moderation' }, admin);
    expectHtmlPage(response, 400);
    expect(response.body).toContain('Select at least one comment');
    expect(response.body).toContain('<h1>Comment moderation</h1>');
    expect(response.body).toContain('id="bulk-form"');
  });

  it('a bulk reject without a reason shows the queue with the problem, and changes nothing', async () => {
    const id = (await t.db.selectFrom('comments').select('id').where('status', '=', 'pending').executeTakeFirstOrThrow()).id;
    const { response } = await submitForm(t.app, '/admin/moderation', '/admin/moderation/bulk', { action: 'reject', ids: String(id), reason: '' }, admin);
    expectHtmlPage(response, 400);
    expect(response.body).toContain('Choose a reason for rejecting');
    expect(response.body).toContain('<h1>Comment moderation</h1>');
    expect((await t.db.selectFrom('comments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('pending');
  });
});
