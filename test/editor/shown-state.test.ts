// Issue 16, item 5: a scheduled post whose time has come is shown to the team as the public sees it —
// published — in the posts list, its filters, the editor and the dashboard counts.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, signInAs, TestClock, type TestApp } from '../helpers/test-app.js';
import { makePost, P, personId } from './helpers.js';

let t: TestApp;
let owner: Record<string, string>;
let postId: number;
const HOUR = 3_600_000;

beforeAll(async () => {
  t = await buildTestApp({ seed: true, clock: new TestClock(new Date('2026-03-10T10:00:00Z')) });
  owner = await signInAs(t, 'amira.hassan@example.gov');
  const me = await personId(t, 'amira.hassan@example.gov');
  const post = await makePost(t, { createdBy: me, status: 'scheduled', title: 'Goes live by time', publishedAt: new Date(t.clock.now().getTime() + HOUR) });
  postId = post.id;
});

function rowOf(html: string, title: string) {
  return new RegExp(`<tr>(?:(?!</tr>)[\\s\\S])*${title}(?:(?!</tr>)[\\s\\S])*</tr>`).exec(html)?.[0] ?? '';
}

async function dashboardCount(kind: string) {
  const res = await get(t.app, '/admin', { cookies: owner });
  const card = /<section class="dashboard-project"[\s\S]*?Information Sharing[\s\S]*?<\/section>/i.exec(res.body)?.[0] ?? res.body;
  return Number(new RegExp(`data-count="${kind}">(\\d+)<`).exec(card)?.[1]);
}

describe('a scheduled post, before and after its time', () => {
  it('is shown as scheduled while its time has not come', async () => {
    const list = await get(t.app, `${P}/posts`, { cookies: owner });
    expect(rowOf(list.body, 'Goes live by time')).toContain('Scheduled');
    const scheduled = await get(t.app, `${P}/posts?status=scheduled`, { cookies: owner });
    expect(scheduled.body).toContain('Goes live by time');
    const published = await get(t.app, `${P}/posts?status=published`, { cookies: owner });
    expect(published.body).not.toContain('Goes live by time');
    const edit = await get(t.app, `${P}/posts/${postId}/edit`, { cookies: owner });
    expect(edit.body).toMatch(/Status: <strong class="status">Scheduled<\/strong> for/);
  });

  it('is shown as published, listed under "Published" and counted as published once it has gone live', async () => {
    const scheduledBefore = await dashboardCount('scheduled');
    const publishedBefore = await dashboardCount('published');
    t.clock.advance(2 * HOUR);
    expect((await get(t.app, `/info-sharing-taskforce/posts/${(await t.db.selectFrom('posts').select('slug').where('id', '=', postId).executeTakeFirstOrThrow()).slug}`)).statusCode).toBe(200);

    const list = await get(t.app, `${P}/posts`, { cookies: owner });
    const row = rowOf(list.body, 'Goes live by time');
    expect(row).toContain('Published');
    expect(row).not.toContain('Scheduled');
    const published = await get(t.app, `${P}/posts?status=published`, { cookies: owner });
    expect(published.body).toContain('Goes live by time');
    const scheduled = await get(t.app, `${P}/posts?status=scheduled`, { cookies: owner });
    expect(scheduled.body).not.toContain('Goes live by time');

    const edit = await get(t.app, `${P}/posts/${postId}/edit`, { cookies: owner });
    expect(edit.body).toContain('Status: <strong class="status">Published</strong>');
    expect(edit.body).not.toContain('Scheduled</strong> for');
    expect(edit.body).toContain('Save and keep published');
    expect(edit.body).toContain('View on the blog');

    expect(await dashboardCount('scheduled')).toBe(scheduledBefore - 1);
    expect(await dashboardCount('published')).toBe(publishedBefore + 1);
  });
});
