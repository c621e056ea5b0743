// Issue 16, item 10: a post can be published with a past date (write-ups of past events, imported
// posts); it keeps that date through later saves, and listings and feeds order by it.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, signInAs, TestClock, type TestApp } from '../helpers/test-app.js';
import { formFields, P, postAs } from './helpers.js';

let t: TestApp;
let owner: Record<string, string>;

beforeAll(async () => {
  // 10 March 2026, 10:00 UTC; the demo project's time zone is Europe/London (GMT until 29 March).
  t = await buildTestApp({ seed: true, clock: new TestClock(new Date('2026-03-10T10:00:00Z')) });
  owner = await signInAs(t, 'amira.hassan@example.gov');
});

const base = { slug: '', summary: 'Short', body: 'Text.', tags: '', comments_open: 'on' };
const bySlug = (slug: string) => t.db.selectFrom('posts').selectAll().where('slug', '=', slug).executeTakeFirstOrThrow();

describe('back-dating a post', () => {
  it('publishes with a past date, keeps it through "Save and keep published", and feeds place it by that date', async () => {
    const res = await postAs(t, owner, `${P}/posts`, { ...base, title: 'Workshop write-up from last year', action: 'publish', publish_at: '2025-11-20T14:30' });
    expect(res.statusCode).toBe(303);
    const post = await bySlug('workshop-write-up-from-last-year');
    expect(post.status).toBe('published');
    expect(post.published_at?.toISOString()).toBe('2025-11-20T14:30:00.000Z');
    expect(post.first_published_at?.toISOString()).toBe('2025-11-20T14:30:00.000Z');
    expect(post.atom_id).toBe(`tag:blogs.test,2025-11-20:post-${post.id}`);

    // The editor shows the date; saving again as shown keeps it.
    const edit = await get(t.app, `${P}/posts/${post.id}/edit`, { cookies: owner });
    const fields = formFields(edit.body);
    expect(edit.body).toMatch(/name="publish_at"[^>]*value="2025-11-20T14:30"/);
    const again = await postAs(t, owner, `${P}/posts/${post.id}`, { ...base, ...fields, action: 'publish', publish_at: '2025-11-20T14:30' }, `${P}/posts/${post.id}/edit`);
    expect(again.statusCode).toBe(303);
    expect((await bySlug('workshop-write-up-from-last-year')).published_at?.toISOString()).toBe('2025-11-20T14:30:00.000Z');

    // Newer posts come before it in the feed, by publication date, not by when it was written.
    const newer = await postAs(t, owner, `${P}/posts`, { ...base, title: 'Written earlier, published today', action: 'publish' });
    expect(newer.statusCode).toBe(303);
    const feed = await get(t.app, '/info-sharing-taskforce/feed.atom');
    const titles = [...feed.body.matchAll(/<entry>[\s\S]*?<title[^>]*>([^<]*)<\/title>/g)].map((m) => m[1]);
    const iNewer = titles.indexOf('Written earlier, published today');
    const iOld = titles.indexOf('Workshop write-up from last year');
    expect(iNewer).toBeGreaterThanOrEqual(0);
    expect(iOld === -1 || iOld > iNewer).toBe(true);
  });

  it('"Publish now" with a date still to come publishes now (a future date is what Schedule is for)', async () => {
    const res = await postAs(t, owner, `${P}/posts`, { ...base, title: 'Not really later', action: 'publish', publish_at: '2026-04-01T09:00' });
    expect(res.statusCode).toBe(303);
    expect((await bySlug('not-really-later')).published_at?.toISOString()).toBe('2026-03-10T10:00:00.000Z');
  });

  it('refuses a malformed date with the field named', async () => {
    const res = await postAs(t, owner, `${P}/posts`, { ...base, title: 'Bad date', action: 'publish', publish_at: '2025-13-45T99:00' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('href="#post-publish-at"');
  });
});
