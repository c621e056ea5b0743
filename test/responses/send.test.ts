// Sending webmentions on loopback: endpoint discovery against our own re-implementation of the 23
// discovery cases of the public webmention.rocks suite (each a page on a local "other site"), then the
// whole path: a published post's links are told, results are shown in the editor, and a link removed
// from the post (or the post unpublished) gets a last webmention.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuePostChanged } from '../../server/posts/events.js';
import { discoverEndpoint } from '../../server/responses/send.js';
import { openPost } from '../comments/helpers.js';
import { buildTestApp, runJobs, signInAs, type TestApp } from '../helpers/test-app.js';
import { startOtherSite, type OtherSite } from './other-site.js';

let site: OtherSite;
beforeAll(async () => {
  site = await startOtherSite();
});
afterAll(async () => site.close());

const html = (body: string, head = '') => `<!doctype html><html><head><meta charset="utf-8"><title>t</title>${head}</head><body>${body}</body></html>`;

// [case, how the page is served, the endpoint path expected (relative to the other site)]
type Case = [string, { headers?: Record<string, string | string[]>; body?: string; redirectTo?: string }, string];
const cases = (): Case[] => {
  const b = site.base;
  return [
    ['1 HTTP Link header, unquoted rel, relative URL', { headers: { link: '</ep/1>; rel=webmention' }, body: html('') }, '/ep/1'],
    ['2 HTTP Link header, unquoted rel, absolute URL', { headers: { link: `<${b}/ep/2>; rel=webmention` }, body: html('') }, '/ep/2'],
    ['3 <link>, relative URL', { body: html('', '<link rel="webmention" href="/ep/3">') }, '/ep/3'],
    ['4 <link>, absolute URL', { body: html('', `<link rel="webmention" href="${b}/ep/4">`) }, '/ep/4'],
    ['5 <a>, relative URL', { body: html('<a rel="webmention" href="/ep/5">ep</a>') }, '/ep/5'],
    ['6 <a>, absolute URL', { body: html(`<a rel="webmention" href="${b}/ep/6">ep</a>`) }, '/ep/6'],
    ['7 HTTP Link header with strange casing', { headers: { LinK: '</ep/7>; rel=WebMention' }, body: html('') }, '/ep/7'],
    ['8 HTTP Link header, quoted rel', { headers: { link: '</ep/8>; rel="webmention"' }, body: html('') }, '/ep/8'],
    ['9 multiple rel values on a <link>', { body: html('', '<link rel="webmention somethingelse" href="/ep/9">') }, '/ep/9'],
    ['10 multiple rel values on a Link header', { headers: { link: '</ep/10>; rel="webmention somethingelse"' }, body: html('') }, '/ep/10'],
    ['11 Link header, <link> and <a>: the header wins', { headers: { link: '</ep/11>; rel=webmention' }, body: html('<a rel="webmention" href="/ep/11-a">a</a>', '<link rel="webmention" href="/ep/11-link">') }, '/ep/11'],
    ['12 exact match of rel=webmention', { body: html('', '<link rel="not-webmention" href="/ep/12-wrong"><link rel="webmention" href="/ep/12">') }, '/ep/12'],
    ['13 false endpoint inside an HTML comment', { body: html('<!-- <a rel="webmention" href="/ep/13-wrong"></a> --><a rel="webmention" href="/ep/13">ep</a>') }, '/ep/13'],
    ['14 false endpoint in escaped HTML', { body: html('<code>&lt;a href="/ep/14-wrong" rel="webmention"&gt;&lt;/a&gt;</code><a rel="webmention" href="/ep/14">ep</a>') }, '/ep/14'],
    ['15 empty href: the page itself', { body: html('<a rel="webmention" href="">ep</a>') }, '/page/15'],
    ['16 <a> then <link>: document order', { body: html('<a rel="webmention" href="/ep/16">a</a><link rel="webmention" href="/ep/16-wrong">') }, '/ep/16'],
    ['17 <link> then <a>: document order', { body: html('<link rel="webmention" href="/ep/17"><a rel="webmention" href="/ep/17-wrong">a</a>') }, '/ep/17'],
    ['18 multiple Link headers', { headers: { link: ['</ep/18-other>; rel="other"', '</ep/18>; rel="webmention"'] }, body: html('') }, '/ep/18'],
    ['19 one Link header with several values', { headers: { link: '</ep/19-other>; rel="other", </ep/19>; rel="webmention"' }, body: html('') }, '/ep/19'],
    ['20 a <link> without href is skipped', { body: html('<a rel="webmention" href="/ep/20">a</a>', '<link rel="webmention">') }, '/ep/20'],
    ['21 the endpoint has query string parameters (kept)', { body: html('', '<link rel="webmention" href="/ep/21?query=yes">') }, '/ep/21?query=yes'],
    ['22 endpoint relative to the path', { body: html('', '<link rel="webmention" href="22-ep">') }, '/page/22-ep'],
    ['23 the target redirects; the endpoint is relative to the final page', { redirectTo: '/page/23/final/page' }, '/page/23/ep/23'], // against /page/23 it would be /ep/23,
  ];
};

describe('endpoint discovery (the 23 webmention.rocks discovery cases)', () => {
  beforeAll(() => {
    site.set('/page/23/final/page', { headers: { link: '<../ep/23>; rel=webmention' }, body: html('') });
  });
  for (let i = 1; i <= 23; i++) {
    it(`case ${i}`, async () => {
      const [, page, expected] = cases()[i - 1]!;
      const path = `/page/${i}`;
      site.set(path, (_req, res) => {
        if (page.redirectTo) return void res.writeHead(302, { location: page.redirectTo }).end();
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...page.headers }).end(page.body ?? '');
      });
      expect(await discoverEndpoint(`${site.base}${path}`, true)).toBe(`${site.base}${expected}`);
    });
  }

  it('a page with no endpoint has none; a private address is refused without ALLOW_PRIVATE_FETCH', async () => {
    site.html('/page/none', html('<a href="/x">no endpoint</a>'));
    expect(await discoverEndpoint(`${site.base}/page/none`, true)).toBeUndefined();
    await expect(discoverEndpoint(`${site.base}/page/none`, false)).rejects.toMatchObject({ kind: 'blocked-address' });
  });
});

describe('sending for a post', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ seed: true, env: { ALLOW_PRIVATE_FETCH: '1' } });
  });

  it('tells every linked page with an endpoint, records the results, and sends a last one for a removed link', async () => {
    const post = await openPost(t);
    site.set('/receiver', { status: 202, body: 'ok' });
    site.set('/refuser', { status: 400, body: 'no' });
    site.html('/linked/a', html('', '<link rel="webmention" href="/receiver">'));
    site.html('/linked/b', html('<p>no endpoint here</p>'));
    site.html('/linked/c', html('', '<link rel="webmention" href="/refuser">'));
    const body = `<p><a href="${site.base}/linked/a">A</a> <a href="${site.base}/linked/b">B</a> <a href="${site.base}/linked/c">C</a> <a href="/${post.project}/">ours</a></p>`;
    await t.db.updateTable('posts').set({ body_html: body }).where('id', '=', post.id).execute();
    await queuePostChanged(t.db, post.id);
    await runJobs(t);
    const source = `http://blogs.test${post.url}`;
    const sent = site.received.filter((r) => r.path === '/receiver' && r.method === 'POST').map((r) => Object.fromEntries(new URLSearchParams(r.body)));
    expect(sent).toEqual([{ source, target: `${site.base}/linked/a` }]);
    const rows = await t.db.selectFrom('webmention_sends').select(['target', 'outcome', 'http_status', 'still_linked']).where('post_id', '=', post.id).orderBy('target').execute();
    expect(rows).toEqual([
      { target: `${site.base}/linked/a`, outcome: 'sent', http_status: 202, still_linked: true },
      { target: `${site.base}/linked/b`, outcome: 'no-endpoint', http_status: null, still_linked: true },
      { target: `${site.base}/linked/c`, outcome: 'failed', http_status: 400, still_linked: true },
    ]);
    const editor = await t.app.inject({ method: 'GET', url: `/admin/projects/${post.project}/posts/${post.id}/edit`, cookies: await signInAs(t, 'admin@example.gov') });
    expect(editor.body).toContain('Webmention sent (HTTP 202)');
    expect(editor.body).toContain('That site takes no webmentions');

    // The link to A is removed: A is told once more, and marked so.
    await t.db.updateTable('posts').set({ body_html: `<p><a href="${site.base}/linked/b">B</a></p>` }).where('id', '=', post.id).execute();
    await queuePostChanged(t.db, post.id);
    await runJobs(t);
    expect(site.received.filter((r) => r.path === '/receiver' && r.method === 'POST')).toHaveLength(2);
    const a = await t.db.selectFrom('webmention_sends').select(['still_linked']).where('post_id', '=', post.id).where('target', '=', `${site.base}/linked/a`).executeTakeFirstOrThrow();
    expect(a.still_linked).toBe(false);
  });
});
