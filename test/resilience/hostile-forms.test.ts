// Whatever a person (or a script) sends to a form — repeated fields, fields named like arrays, absurd
// lengths, control characters, wrong types — the answer is a page, never a 500. Signed in as the site
// admin so that every form is reached, with a valid CSRF token so the handlers themselves are tested.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ADMIN } from '../../server/demo/seed.js';
import { buildTestApp, cookiesFrom, signInAs, type TestApp } from '../helpers/test-app.js';

const HOSTILE_VALUES: Array<string | string[]> = [
  ['a', 'b'],
  '',
  'x'.repeat(200_000),
  '\u0000\u0001\u001f\u007f',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '-1',
  '99999999999999999999',
  '2026-13-45T25:61',
  'null',
  '{"$gt":""}',
  '\ud800',
];

let t: TestApp;
let cookies: Record<string, string>;
let postId: number;
let commentId: number;
let personId: number;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  cookies = await signInAs(t, DEMO_ADMIN.email);
  postId = (await t.db.selectFrom('posts').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
  commentId = (await t.db.selectFrom('comments').select('id').where('status', '=', 'pending').executeTakeFirstOrThrow()).id;
  personId = (await t.db.selectFrom('people').select('id').where('handle', '!=', 'site-admin').orderBy('id').executeTakeFirstOrThrow()).id;
});

async function tokenFor(jar: Record<string, string>) {
  const page = await t.app.inject({ url: '/admin/profile', cookies: jar });
  return { token: /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!, jar: { ...jar, ...cookiesFrom(page) } };
}

describe('hostile form input', () => {
  it('never gets a 500 from any form handler', async () => {
    const P = 'info-sharing-taskforce';
    const post = await t.db.selectFrom('posts').select('slug').where('id', '=', postId).executeTakeFirstOrThrow();
    const forms: Record<string, string[]> = {
      [`/${P}/posts/${post.slug}/comments`]: ['name', 'email', 'body', 'parent_id', 'rendered_at', 'website'],
      [`/admin/projects/${P}/posts`]: ['title', 'slug', 'summary', 'body', 'tags', 'authors', 'comments_open', 'publish_at', 'action', 'version'],
      [`/admin/projects/${P}/posts/${postId}`]: ['title', 'slug', 'body', 'publish_at', 'action', 'version', 'authors'],
      [`/admin/projects/${P}/pages`]: ['title', 'slug', 'body', 'version'],
      [`/admin/projects/${P}/settings`]: ['title', 'summary', 'description', 'status', 'time_zone', 'commentPolicy', 'maxLinks', 'moderationKeywords', 'moderationReasons', 'responseTargetDays'],
      [`/admin/projects/${P}/team`]: ['email', 'name', 'handle', 'role'],
      [`/admin/projects/${P}/team/${personId}/role`]: ['role'],
      '/admin/people': ['email', 'name', 'handle', 'site_admin'],
      '/admin/projects/new': ['slug', 'title', 'summary', 'owner'],
      '/admin/profile': ['display_name', 'handle', 'bio'],
      '/admin/password': ['current', 'password', 'confirm'],
      '/admin/comments-pause': ['action', 'message'],
      [`/admin/moderation/${commentId}/reject`]: ['reason', 'back'],
      [`/admin/moderation/${commentId}/edit`]: ['body', 'reason', 'back'],
      [`/admin/moderation/${commentId}/reply`]: ['body', 'back'],
      '/admin/moderation/bulk': ['ids', 'action', 'reason'],
      '/set-password/not-a-real-token': ['password', 'confirm'],
      '/login': ['email', 'password', 'next'],
    };
    const failures: string[] = [];
    for (const [url, fields] of Object.entries(forms)) {
      for (const value of HOSTILE_VALUES) {
        const { token, jar } = await tokenFor(cookies);
        const body = new URLSearchParams({ _csrf: token });
        for (const field of fields) for (const v of Array.isArray(value) ? value : [value]) body.append(field, v);
        body.append(`${fields[0]}[]`, 'array-shaped');
        const res = await t.app.inject({
          method: 'POST',
          url,
          cookies: jar,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: body.toString(),
          remoteAddress: `198.51.100.${failures.length + 1}`,
        });
        if (res.statusCode >= 500) failures.push(`${url} with ${JSON.stringify(value).slice(0, 40)} → ${res.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('never gets a 500 from odd query strings on public pages', async () => {
    const failures: string[] = [];
    for (const url of ['/search', '/search/feed.atom', '/info-sharing-taskforce/', '/info-sharing-taskforce/tags/weeknotes', '/people/amira-hassan', '/login', '/admin/moderation']) {
      for (const query of ['q=a&q=b', 'q[]=x', 'page=1&page=2', 'page[]=1', 'project=a&project=b', 'tag[x]=1', `q=${'%F0'.repeat(50)}`, 'author=%00', 'status[]=pending', 'next=%0d%0aSet-Cookie:x=1']) {
        const res = await t.app.inject({ url: `${url}?${query}`, cookies });
        if (res.statusCode >= 500) failures.push(`${url}?${query} → ${res.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
