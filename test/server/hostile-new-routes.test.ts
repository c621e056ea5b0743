// A hostile user's review of the routes added this session: odd, missing, duplicated, huge and forged
// input to the WebSub callback, the email subscribe form and its token links, the admin account-email
// pages, the people/team "email it to them" fields, the import upload and the webmention endpoint.
// The rule: nothing a person or another site can send gets a 500; bad input gets a clear 4xx (or the
// documented quiet 202 of a WebSub push with a wrong signature).
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createPerson, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let projectId: number;
let owner: Record<string, string>;
let admin: Record<string, string>;
const TOKEN = 'A'.repeat(43);
const SECRET = 's'.repeat(43);

beforeAll(async () => {
  t = await buildTestApp();
  const p = await t.db.insertInto('projects').values({ slug: 'hostile', title: 'Hostile', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  projectId = Number(p.id);
  await createPerson(t, { email: 'owner@example.org', handle: 'owner' }, { projectId, role: 'owner' });
  await createPerson(t, { email: 'root@example.org', handle: 'root', siteAdmin: true });
  owner = await signInAs(t, 'owner@example.org');
  admin = await signInAs(t, 'root@example.org');
  // A live, verified WebSub subscription of an active watched feed, with a known token and secret.
  const source = await sql<{ id: string }>`
    INSERT INTO listen_sources (project_id, url, title, created_by, created_at)
    VALUES (${projectId}, 'https://feeds.example/feed.xml', 'Feed', (SELECT id FROM people WHERE handle = 'owner'), now())
    RETURNING id`.execute(t.db);
  const sourceId = Number(source.rows[0]!.id);
  await sql`
    INSERT INTO listen_websub (source_id, hub, topic, token, secret, state, requested_at, verified_at, lease_seconds, expires_at)
    VALUES (${sourceId}, 'https://hub.example/', 'https://feeds.example/feed.xml', ${TOKEN}, ${SECRET}, 'subscribed',
            ${t.clock.now()}, ${t.clock.now()}, 864000, ${new Date(t.clock.now().getTime() + 864_000_000)})`.execute(t.db);
});

const never500 = (res: { statusCode: number; body: string }, what: string) => {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
  expect(res.body, what).not.toMatch(/\bat [\w.<>]+ \(.*:\d+:\d+\)/); // no stack trace
};

describe('the WebSub callback', () => {
  const cb = `/listening/websub/${TOKEN}`;
  it('answers odd, missing, duplicated and huge verification parameters with 404, never 500', async () => {
    const queries = [
      '',
      '?hub.mode=subscribe',
      '?hub.mode=subscribe&hub.topic=https://feeds.example/feed.xml',
      '?hub.mode=subscribe&hub.mode=unsubscribe&hub.topic=https://feeds.example/feed.xml&hub.challenge=x',
      '?hub.mode=subscribe&hub.topic=https://feeds.example/feed.xml&hub.topic=https://feeds.example/feed.xml&hub.challenge=x',
      `?hub.mode=subscribe&hub.topic=https://feeds.example/feed.xml&hub.challenge=${'x'.repeat(5000)}`,
      '?hub.mode=denied&hub.topic=other',
      '?hub.mode=%ZZ&hub.topic=%',
      `?${'hub.x='.repeat(2000)}`,
      '?hub.mode[]=subscribe&hub.topic[a]=b',
      '?hub.mode=subscribe&hub.topic=https://feeds.example/feed.xml&hub.challenge=x&hub.lease_seconds=99999999999999999999',
      '?hub.mode=subscribe&hub.topic=https://feeds.example/feed.xml&hub.challenge=x&hub.lease_seconds=-5',
    ];
    for (const q of queries) {
      const res = await t.app.inject({ method: 'GET', url: cb + q });
      never500(res, q.slice(0, 80));
    }
    for (const token of ['x', 'A'.repeat(5000), '%00', '..%2F..', 'é'.repeat(40)]) {
      const res = await t.app.inject({ method: 'GET', url: `/listening/websub/${encodeURIComponent(token)}?hub.mode=subscribe&hub.topic=t&hub.challenge=c` });
      never500(res, token.slice(0, 20));
      expect(res.statusCode).toBe(404);
    }
  });

  it('answers pushes with odd bodies, types and signatures with a 4xx or the quiet 202, never 500', async () => {
    const signatures = ['', 'sha256=', 'md5=00', 'sha256=zz', 'sha256=abc', `sha256=${'a'.repeat(100_000)}`, 'sha1', '=', 'SHA256=00', 'sha256=00 sha1=00'];
    for (const sig of signatures) {
      const res = await t.app.inject({ method: 'POST', url: cb, headers: { 'content-type': 'application/rss+xml', ...(sig ? { 'x-hub-signature': sig } : {}) }, payload: '<rss/>' });
      never500(res, `signature ${sig.slice(0, 20)}`);
      expect(res.statusCode, sig.slice(0, 20)).toBe(202);
    }
    for (const type of ['application/json', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'text/plain; charset=nonsense', ';;;', 'a/b/c']) {
      const res = await t.app.inject({ method: 'POST', url: cb, headers: { 'content-type': type, 'x-hub-signature': 'sha256=00' }, payload: '{"a":' });
      never500(res, type);
    }
    const twice = await t.app.inject({ method: 'POST', url: cb, headers: { 'content-type': 'application/rss+xml', 'x-hub-signature': ['sha256=00', 'sha1=00'] }, payload: '<rss/>' });
    expect(twice.statusCode).toBe(202);
    const encoded = await t.app.inject({ method: 'POST', url: cb, headers: { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip', 'x-hub-signature': 'sha256=00' }, payload: 'not gzip' });
    never500(encoded, 'content-encoding gzip');
    const tooBig = await t.app.inject({ method: 'POST', url: cb, headers: { 'content-type': 'application/rss+xml' }, payload: Buffer.alloc(5 * 1024 * 1024 + 1, 0x20) });
    expect(tooBig.statusCode).toBe(413);
    const empty = await t.app.inject({ method: 'POST', url: cb, headers: { 'x-hub-signature': 'sha256=00' } });
    never500(empty, 'empty body');
    // Nothing of an unsigned or wrongly signed push is stored.
    await t.app.inject({ method: 'POST', url: cb, headers: { 'content-type': 'application/rss+xml', 'x-hub-signature': 'sha256=00' }, payload: '<rss version="2.0"><channel><title>F</title><item><guid>forged</guid><title>Forged</title></item></channel></rss>' });
    expect(await t.db.selectFrom('listen_items').select('id').execute()).toEqual([]);
    const unknown = await t.app.inject({ method: 'POST', url: `/listening/websub/${'B'.repeat(43)}`, payload: 'x' });
    expect(unknown.statusCode).toBe(404);
  });

  it('stores a correctly signed push that is not a feed (202); its job records the problem and adds nothing, never failing', async () => {
    const { createHmac } = await import('node:crypto');
    const bodies = ['', 'not xml at all', '<?xml version="1.0"?><rss><channel><item>', '{"version":"https://jsonfeed.org/version/1.1","items":"no"}', '\u0000\u0001'];
    for (const body of bodies) {
      const sig = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      const res = await t.app.inject({ method: 'POST', url: cb, headers: { 'content-type': body.startsWith('{') ? 'application/feed+json' : 'application/rss+xml', 'x-hub-signature': sig }, payload: body });
      never500(res, `signed ${JSON.stringify(body).slice(0, 30)}`);
      expect(res.statusCode, JSON.stringify(body)).toBe(202);
    }
    expect(await t.db.selectFrom('listen_websub_pushes').select('id').execute()).toHaveLength(bodies.length);
    await t.app.jobs.runUntilIdle();
    expect(await t.db.selectFrom('listen_websub_pushes').select('id').execute()).toEqual([]);
    expect(await t.db.selectFrom('listen_items').select('id').execute()).toEqual([]);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE last_error IS NOT NULL`.execute(t.db);
    expect(rows[0]!.n).toBe(0);
    const row = await t.db.selectFrom('listen_websub').select('last_error').executeTakeFirstOrThrow();
    expect(row.last_error).toMatch(/^The last pushed update could not be read: /);
  });
});

describe('the listening forms', () => {
  const inbox = '/admin/projects/hostile/listening';
  it('refuses odd daily-email values and terms with a 4xx or a plain redirect, never 500', async () => {
    for (const daily of [['on', 'off'], ['x'.repeat(10_000)], []]) {
      const { response } = await submitForm(t.app, inbox, `${inbox}/daily-email`, { daily }, owner);
      never500(response, `daily ${daily.length}`);
      expect(response.statusCode).toBe(303);
    }
    for (const term of [['a', 'b'], [''], ['"'], ['x'.repeat(5000)], ['((('], ['&|!'], ['\u0000'], ['-'], ['*:*']]) {
      const { response } = await submitForm(t.app, `${inbox}/sources`, `${inbox}/terms`, { term }, owner);
      never500(response, `term ${JSON.stringify(term).slice(0, 30)}`);
    }
    for (const id of ['0', '-1', 'abc', '99999999999999999999', '1.5', '%00']) {
      const { response } = await submitForm(t.app, `${inbox}/sources`, `${inbox}/terms/${id}/remove`, {}, owner);
      never500(response, `remove term ${id}`);
    }
  });
});

describe('the listening inbox and its item and source actions', () => {
  const inbox = '/admin/projects/hostile/listening';
  it('answers odd filters, pages and ids with a page or a 4xx, never 500', async () => {
    for (const q of ['?show=x', '?show[]=all', '?source=abc', '?source=999999999999999', '?term=0', '?page=999999999999999', '?page=-1', '?page=1&page=2', '?q=%00', `?q=${'x'.repeat(5000)}`, '?done[a]=b']) {
      const res = await t.app.inject({ method: 'GET', url: `${inbox}${q}`, cookies: owner });
      never500(res, `inbox ${q.slice(0, 30)}`);
    }
    for (const [path, fields] of [
      ['items/abc/read', {}],
      ['items/999999999999999/dismiss', {}],
      ['items/1/explode', {}],
      ['items/99999999999999999999/link', { postId: ['1', '2'], title: 'x', note: 'y' }],
      ['items/1/respond', { title: ['a', 'b'] }],
      ['read-all', { ids: ['1', 'x', '99999999999999999999', ''] }],
      ['sources/abc/pause', {}],
      ['sources/999999999999999/remove', {}],
      ['sources', { url: ['https://a.example/', 'https://b.example/'] }],
      ['sources', { url: 'javascript:alert(1)' }],
      ['sources', { url: 'x'.repeat(10_000) }],
      ['opml', { opml: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><opml><body><outline xmlUrl="&e;"/></body></opml>' }],
      ['opml', { opml: ['a', 'b'] }],
      ['opml', { opml: '\u0000<opml>' }],
    ] as Array<[string, Record<string, string | string[]>]>) {
      const { response } = await submitForm(t.app, `${inbox}/sources`, `${inbox}/${path}`, fields, owner);
      never500(response, `${path} ${JSON.stringify(fields).slice(0, 40)}`);
    }
  });
});

describe('email updates', () => {
  const form = (fields: Array<[string, string]>, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/email/subscribe', headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...headers }, payload: new URLSearchParams(fields).toString() });

  it('refuses odd subscribe forms with a 4xx', async () => {
    const cases: Array<Array<[string, string]>> = [
      [],
      [['to', 'project:hostile']],
      [['to', 'project:hostile'], ['email', 'a@example.org'], ['frequency', 'hourly']],
      [['to', 'project:hostile'], ['email', 'a@example.org'], ['frequency', 'each'], ['frequency', 'daily']],
      [['to', 'project:hostile'], ['email', 'a@example.org'], ['email', 'b@example.org'], ['frequency', 'each']],
      [['to', 'project:hostile'], ['to', 'project:other'], ['email', 'a@example.org'], ['frequency', 'each']],
      [['to', 'project:hostile'], ['email', `${'a'.repeat(100_000)}@example.org`], ['frequency', 'each']],
      [['to', 'project:hostile'], ['email', 'a@example.org\r\nBcc: x@example.org'], ['frequency', 'each']],
      [['to', 'x'.repeat(100_000)], ['email', 'a@example.org'], ['frequency', 'each']],
      [['to', 'tag:hostile/'], ['email', 'a@example.org'], ['frequency', 'each']],
      [['to', 'search:q='], ['email', 'a@example.org'], ['frequency', 'each']],
      [['to', 'person:%00'], ['email', 'a@example.org'], ['frequency', 'each']],
      [['to', 'project:hostile'], ['email', 'a@example.org'], ['frequency', '__proto__']],
      [['to', 'project:hostile'], ['email', 'é@é'], ['frequency', 'each']],
    ];
    for (const fields of cases) {
      const res = await form(fields);
      never500(res, JSON.stringify(fields).slice(0, 100));
      expect(res.statusCode, JSON.stringify(fields).slice(0, 100)).toBeGreaterThanOrEqual(400);
    }
    const json = await t.app.inject({ method: 'POST', url: '/email/subscribe', headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' }, payload: JSON.stringify({ to: ['project:hostile'], email: { a: 1 }, frequency: ['each'] }) });
    never500(json, 'json arrays');
    const broken = await t.app.inject({ method: 'POST', url: '/email/subscribe', headers: { 'content-type': 'application/json' }, payload: '{"to":' });
    never500(broken, 'broken json');
    for (const q of ['', '?to=', '?to=project:hostile&to=project:hostile', `?to=${'x'.repeat(10_000)}`, '?to[a]=b']) {
      never500(await t.app.inject({ method: 'GET', url: `/email/subscribe${q}` }), `GET subscribe ${q.slice(0, 40)}`);
      never500(await t.app.inject({ method: 'GET', url: `/email/check-inbox${q}` }), `check-inbox ${q.slice(0, 40)}`);
    }
  });

  it('answers truncated, tampered, non-base64 and huge token links with a 4xx', async () => {
    const tokens = ['', 'x', '1', '1.', '1.2', '1.2.3', '.'.repeat(3), 'a'.repeat(5000), '1.' + 'é'.repeat(32), '1.' + 'é'.repeat(16), '1.1.' + '€'.repeat(32), '1.' + '\u0000'.repeat(32), '%', '99999999999999999999.' + 'a'.repeat(32), '1.9999999999.' + 'a'.repeat(32)];
    for (const token of tokens) {
      const enc = encodeURIComponent(token);
      for (const kind of ['confirm', 'manage', 'unsubscribe']) {
        for (const method of ['GET', 'POST'] as const) {
          const res = await t.app.inject({ method, url: `/email/${kind}/${enc}`, ...(method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' } : {}) });
          never500(res, `${method} ${kind} ${token.slice(0, 20)}`);
          if (token) expect(res.statusCode, `${method} ${kind} ${token.slice(0, 20)}`).toBeGreaterThanOrEqual(400);
        }
      }
    }
  });

  it('answers the daily email\u2019s one-click stop with odd, forged and huge tokens and bodies with a 4xx, never 500', async () => {
    const { signPairToken } = await import('../../server/email/tokens.js');
    const { siteSecretOf } = await import('../../server/email/tokens.js');
    const real = signPairToken(await siteSecretOf(t.db), 'listening-daily-off', 1, projectId);
    // The right MAC for another purpose (a subscriber's unsubscribe) is not accepted here.
    const otherPurpose = signPairToken(await siteSecretOf(t.db), 'unsubscribe', 1, projectId);
    const tokens = ['x', '1-2', '1-2.', `${real}x`, real.slice(0, -1), otherPurpose, '1-2-3.' + 'a'.repeat(32), 'a'.repeat(5000), '1-2.' + 'é'.repeat(32), '99999999999999999999-1.' + 'a'.repeat(32), '%', '\u0000'];
    for (const token of tokens) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await t.app.inject({ method, url: `/listening/daily-email/off/${encodeURIComponent(token)}`, ...(method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' } : {}) });
        never500(res, `${method} daily-email off ${token.slice(0, 20)}`);
        expect(res.statusCode, `${method} ${token.slice(0, 20)}`).toBeGreaterThanOrEqual(400);
      }
    }
    for (const [type, payload] of [['application/json', '{'], ['text/plain', 'x'], ['multipart/form-data; boundary=zz', '--zz\r\n'], ['application/x-www-form-urlencoded', '%%%']] as const) {
      never500(await t.app.inject({ method: 'POST', url: `/listening/daily-email/off/${real}`, headers: { 'content-type': type }, payload }), `daily-email off ${type}`);
    }
  });

  it('answers the one-click POST with odd bodies without a 500', async () => {
    for (const [type, payload] of [['application/json', '{'], ['text/plain', 'x'], ['multipart/form-data; boundary=zz', '--zz\r\n'], ['application/x-www-form-urlencoded', '%%%']] as const) {
      never500(await t.app.inject({ method: 'POST', url: '/email/unsubscribe/1.abc', headers: { 'content-type': type }, payload }), `one-click ${type}`);
    }
  });

  it('answers the admin account-email pages with bad ids and values without a 500', async () => {
    for (const id of ['0', '-1', 'abc', '99999999999999999999', '1e3', '%00', '9007199254740993']) {
      const { response } = await submitForm(t.app, '/admin/email', `/admin/email/refusals/${encodeURIComponent(id)}/dismiss`, {}, admin);
      never500(response, `dismiss ${id}`);
    }
    for (const q of ['?id=abc', '?id=99999999999999999999', '?id=1e308', '?id=-1']) never500(await t.app.inject({ method: 'GET', url: `/admin/outbox${q}`, cookies: admin }), `outbox ${q}`);
    for (const q of ['?address[a]=b', `?address=${'a'.repeat(10_000)}`, '?done[]=x']) never500(await t.app.inject({ method: 'GET', url: `/admin/email${q}`, cookies: admin }), `admin email ${q}`);
    for (const fields of [{ digestHour: ['1', '2'], weeklyDay: '1', timeZone: 'UTC' }, { digestHour: '1e1', weeklyDay: '0x1', timeZone: 'Mars/Olympus' }, { digestHour: '', weeklyDay: '', timeZone: 'x'.repeat(10_000) }]) {
      const { response } = await submitForm(t.app, '/admin/email', '/admin/email/settings', fields, admin);
      never500(response, `settings ${JSON.stringify(fields).slice(0, 60)}`);
    }
    const { response } = await submitForm(t.app, '/admin/email', '/admin/email/forget', { address: ['a@example.org', 'b@example.org'] }, admin);
    never500(response, 'forget arrays');
  });
});

describe('people and team forms with "email it to them"', () => {
  it('refuses arrays, missing and odd fields with a 4xx, never 500', async () => {
    const peopleCases: Array<Record<string, string | string[]>> = [
      {},
      { email: ['a@example.org', 'b@example.org'], displayName: 'A', handle: 'a1', emailLink: ['on', 'on'] },
      { email: 'c@example.org', displayName: ['C', 'D'], handle: ['c1', 'c2'], emailLink: 'yes' },
      { email: 'x'.repeat(10_000), displayName: 'x'.repeat(10_000), handle: 'x'.repeat(10_000), emailLink: 'on' },
    ];
    for (const fields of peopleCases) {
      const { response } = await submitForm(t.app, '/admin/people', '/admin/people', fields, admin);
      never500(response, `people ${JSON.stringify(fields).slice(0, 60)}`);
    }
    for (const id of ['0', 'abc', '99999999999999999999', '-1', '%00']) {
      const { response } = await submitForm(t.app, '/admin/people', `/admin/people/${encodeURIComponent(id)}/link`, { emailLink: ['on', 'off'] }, admin);
      never500(response, `people link ${id}`);
      expect(response.statusCode, id).toBeGreaterThanOrEqual(400);
    }
    const team = '/admin/projects/hostile/team';
    const teamCases: Array<Record<string, string | string[]>> = [
      {},
      { email: ['a@example.org', 'b@example.org'], role: ['owner', 'editor'], emailLink: ['on', 'on'] },
      { email: 'owner@example.org', role: 'author', emailLink: 'on' },
      { email: 'new@example.org', role: 'superuser', displayName: 'N', handle: 'n1', emailLink: 'on' },
      { email: 'new2@example.org', role: 'author', displayName: ['N', 'M'], handle: 'n2', emailLink: 'on' },
    ];
    for (const fields of teamCases) {
      const { response } = await submitForm(t.app, team, team, fields, owner);
      never500(response, `team ${JSON.stringify(fields).slice(0, 60)}`);
      expect(response.statusCode, JSON.stringify(fields).slice(0, 60)).toBeGreaterThanOrEqual(400);
    }
    for (const person of ['0', 'abc', '99999999999999999999']) {
      for (const action of ['role', 'remove']) {
        const { response } = await submitForm(t.app, team, `${team}/${person}/${action}`, { role: ['owner', 'author'] }, owner);
        never500(response, `team ${action} ${person}`);
      }
    }
  });
});

describe('the import upload', () => {
  const url = '/admin/projects/hostile/import';
  async function csrf() {
    const page = await t.app.inject({ method: 'GET', url, cookies: owner });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const cookies = { ...owner, ...Object.fromEntries(page.cookies.map((c) => [c.name, c.value])) };
    return { token, cookies };
  }
  const multipart = (boundary: string, parts: string[], end = true) => parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + (end ? `--${boundary}--\r\n` : '');

  it('refuses no file, a non-multipart body, a truncated body, two files and huge field names with a 4xx', async () => {
    const { token, cookies } = await csrf();
    const field = (name: string, value: string) => `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
    const file = (name: string, filename: string, body: string) => `Content-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: text/xml\r\n\r\n${body}`;
    const b = 'XyZ';
    const wxr = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>A</title><link>http://a.example.org</link><wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>http://a.example.org</wp:base_site_url></channel></rss>';
    const bodies: Array<[string, string, string]> = [
      ['no file', `multipart/form-data; boundary=${b}`, multipart(b, [field('_csrf', token)])],
      ['empty file', `multipart/form-data; boundary=${b}`, multipart(b, [field('_csrf', token), file('wxr', '', '')])],
      ['not multipart', 'application/x-www-form-urlencoded', `_csrf=${encodeURIComponent(token)}`],
      ['json', 'application/json', '{"_csrf":1}'],
      ['no boundary', 'multipart/form-data', multipart(b, [field('_csrf', token)])],
      ['truncated', `multipart/form-data; boundary=${b}`, multipart(b, [field('_csrf', token), file('wxr', 'a.xml', '<rss><channel><item>')], false).slice(0, -10)],
      ['two files', `multipart/form-data; boundary=${b}`, multipart(b, [field('_csrf', token), file('wxr', 'a.xml', wxr), file('wxr', 'b.xml', wxr)])],
      ['two files, not exports', `multipart/form-data; boundary=${b}`, multipart(b, [field('_csrf', token), file('wxr', 'a.xml', 'not xml'), file('wxr', 'a.xml', 'not xml either')])],
      ['huge field name', `multipart/form-data; boundary=${b}`, multipart(b, [field('_csrf', token), field('x'.repeat(200_000), 'y'), file('wxr', 'a.xml', wxr)])],
      ['no csrf', `multipart/form-data; boundary=${b}`, multipart(b, [file('wxr', 'a.xml', 'x')])],
      ['garbage', `multipart/form-data; boundary=${b}`, 'this is not multipart at all'],
    ];
    for (const [what, type, payload] of bodies) {
      const res = await t.app.inject({ method: 'POST', url, headers: { 'content-type': type }, cookies, payload });
      never500(res, what);
      // Several exports in one upload are one import (documented); a field with a huge name is cut by busboy and
      // ignored. Files that are not exports are refused as they arrive (server/import/upload-check.ts).
      if (what === 'two files' || what === 'huge field name') expect(res.statusCode, what).toBe(303);
      else expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
    }
    const noBody = await t.app.inject({ method: 'POST', url, cookies });
    never500(noBody, 'no body');
  });

  it('answers the report page with bad ids with a 404', async () => {
    for (const id of ['0', 'abc', '-1', '99999999999999999999', '1.5', '%00', 'x'.repeat(5000)]) {
      const res = await t.app.inject({ method: 'GET', url: `${url}/${id}`, cookies: owner });
      never500(res, `report ${id.slice(0, 20)}`);
      expect(res.statusCode, id.slice(0, 20)).toBeGreaterThanOrEqual(400);
    }
  });
});

describe('the webmention endpoint', () => {
  it('refuses odd sources and targets with a 400', async () => {
    const target = 'http://blogs.test/hostile/';
    const cases: Array<Array<[string, string]>> = [
      [],
      [['source', 'https://a.example/'], ['source', 'https://b.example/'], ['target', target]],
      [['source', 'https://a.example/'], ['target', target], ['target', target]],
      [['source', `https://a.example/${'x'.repeat(100_000)}`], ['target', target]],
      [['source', 'not a url'], ['target', target]],
      [['source', 'data:text/html,<a href="http://blogs.test/hostile/">x</a>'], ['target', target]],
      [['source', 'javascript:alert(1)'], ['target', target]],
      [['source', 'https://a.example/'], ['target', 'data:,x']],
      [['source', 'https://a.example/'], ['target', `http://blogs.test/${'x'.repeat(100_000)}`]],
      [['source', 'https://[::1/'], ['target', target]],
      [['source', 'https://a.example/'], ['target', 'http://blogs.test/%E0%A4%A']],
      [['source', 'http://blogs.test/hostile/'], ['target', target]],
    ];
    for (const fields of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/webmention', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
      never500(res, JSON.stringify(fields).slice(0, 80));
      expect(res.statusCode, JSON.stringify(fields).slice(0, 80)).toBeGreaterThanOrEqual(400);
    }
    for (const [type, payload] of [['application/json', '{"source":["a"],"target":{"x":1}}'], ['application/json', '{'], ['text/plain', 'source=x'], ['multipart/form-data; boundary=q', '--q--']] as const) {
      never500(await t.app.inject({ method: 'POST', url: '/webmention', headers: { 'content-type': type }, payload }), `webmention ${type}`);
    }
    for (const token of ['x', 'é'.repeat(50), 'a'.repeat(5000)]) never500(await t.app.inject({ method: 'GET', url: `/webmention/status/${encodeURIComponent(token)}` }), 'status');
  });
});

describe('the comment form token (the same byte-compare trap as the email links)', () => {
  it('refuses a token of the right length in characters but not in bytes with a 4xx', async () => {
    const { openPost, postComment } = await import('../comments/helpers.js');
    const seeded = await buildTestApp({ seed: true });
    const post = await openPost(seeded);
    const page = await seeded.app.inject({ method: 'GET', url: post.url });
    const real = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const { response } = await postComment(seeded, post.url, { _csrf: 'é'.repeat(real.length), name: 'Mallory', email: 'm@example.org', body: 'Forged.' }, { ip: '203.0.113.99' });
    never500(response, 'comment token é');
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(await seeded.db.selectFrom('comments').select('id').where('body_src', '=', 'Forged.').executeTakeFirst()).toBeUndefined();
  });
});
