// What a hostile visitor or a confused new user can send to the WordPress import's web side: odd old
// addresses, bad uploads, other people's imports. Every answer is a clear page, never a 500.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, type TestApp } from '../helpers/test-app.js';
import { fixture, importTexts, makeProject } from './helpers.js';

let t: TestApp;
let projectId: number;

beforeAll(async () => {
  t = await buildTestApp({ env: { WP_OLD_SITES: 'old.example.org/blog=field', IMPORT_UPLOAD_MAX_MB: '2' } });
  projectId = await makeProject(t, 'field');
  const run = await importTexts(t, projectId, [fixture('demo-export.xml')]);
  expect(run.status).toBe('done');
});

describe('hostile old addresses', () => {
  const answer = async (url: string, headers: Record<string, string> = {}) => {
    const r = await get(t.app, url, { headers });
    return { status: r.statusCode, location: r.headers.location };
  };

  it('a NUL anywhere in an old address is a 404, never a 500', async () => {
    for (const url of ['/field/wp/author/a%00b/', '/field/wp/a%00b/', '/field/wp/2020/06/01/hello-world%00/', '/field/wp/%00/feed/', '/field/wp/category/%00/', '/field/wp/tag/a%00b/feed/', '/field/wp/a%2500/']) {
      expect(await answer(url), url).toEqual({ status: 404, location: undefined });
    }
    // On the old host itself (WP_OLD_SITES), whatever is not found goes to the project's home.
    expect(await answer('/blog/author/a%00/', { host: 'old.example.org' })).toEqual({ status: 301, location: 'http://blogs.test/field/' });
  });

  it('?p= and ?page_id= that name no item are a 404, not the home page', async () => {
    for (const url of ['/field/wp/?p=99999999999999999999', '/field/wp/?p=9999999999999999999', '/field/wp/?p=1%00', '/field/wp/?p=-1', '/field/wp/?p=abc', '/field/wp/?page_id=1%00', '/field/wp/?page_id=', '/field/wp/feed/?feed=%00&p=%ff']) {
      expect(await answer(url), url).toEqual({ status: 404, location: undefined });
    }
    expect(await answer('/field/wp/?p=10')).toEqual({ status: 301, location: '/field/posts/hello-world' });
    expect(await answer('/field/wp/?p=10&p=20')).toEqual({ status: 301, location: '/field/posts/hello-world' });
  });

  it('malformed escapes, very long paths and odd feed queries are 404s or the right 301', async () => {
    for (const url of ['/field/wp/category/%ZZ/', '/field/wp/author/%ZZ/', '/field/wp/%C0%AF/', '/field/wp/..%2F..%2Fetc/passwd', `/field/wp/${'a/'.repeat(3000)}`, `/field/wp/${'x'.repeat(8000)}/`, `/field/wp/category/${'a/'.repeat(3000)}`, `/field/wp/author/${'é'.repeat(2000)}/`]) {
      expect((await answer(url)).status, url.slice(0, 60)).toBe(404);
    }
    expect(await answer(`/field/wp/feed/?${'a=1&'.repeat(1000)}`)).toEqual({ status: 301, location: '/field/feed.rss' });
    expect(await answer('/field/wp/comments/feed/?%')).toEqual({ status: 301, location: '/field/comments.atom' });
    expect(await answer('/field/wp?feed=atom%00')).toEqual({ status: 301, location: '/field/feed.rss' });
    expect(await answer('/field/wp/feed/atom/?feed=rss2&%ZZ')).toEqual({ status: 301, location: '/field/feed.atom' });
  });
});
