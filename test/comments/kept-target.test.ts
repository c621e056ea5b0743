// A comment POST keeps a copy of its project and post (server/comments/targets.ts) to save a round trip.
// These tests change the rows behind the server's back, as another app server or an operator's SQL would
// (no notification reaches this server's copy), and check that the next comment obeys the change.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { commentById, idFromLocation, openPost, postComment, setSettings } from './helpers.js';

let t: TestApp;
let post: Awaited<ReturnType<typeof openPost>>;
let lookups = 0;
let n = 0;
const send = () => postComment(t, post.url, { name: 'Kept', email: 'kept@example.org', body: `Comment number ${++n} about the plan.` }, { ip: `192.0.2.${n % 250}` });

/** Takes the form from the post page, lets `change` happen elsewhere, then sends the comment. */
async function sendAfter(change: () => Promise<unknown>) {
  const page = await t.app.inject({ method: 'GET', url: post.url });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  await change();
  return t.app.inject({
    method: 'POST',
    url: `${post.url}/comments`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: token, name: 'Late', email: 'late@example.org', body: `Sent after a change, number ${++n}.` }).toString(),
    remoteAddress: `192.0.2.${n % 250}`,
  });
}

beforeAll(async () => {
  t = await buildTestApp({
    seed: true,
    onQuery: (sql) => {
      if (sql.includes('pb_comment_target_stamp(projects.id')) lookups++;
    },
  });
  post = await openPost(t, 1);
});
beforeEach(async () => {
  await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all' });
  await t.db.deleteFrom('site_settings').where('key', '=', 'comments_paused').execute();
  await t.db.updateTable('projects').set({ status: 'active' }).where('slug', '=', 'info-sharing-taskforce').execute();
  await t.db.updateTable('posts').set({ comments_open: true, status: 'published' }).where('id', '=', post.id).execute();
  await send(); // the server now holds a copy made after the reset
});

describe("a comment POST's kept copy of its post", () => {
  it('is used: a second comment on the same post does not look the post up again', async () => {
    const before = lookups;
    const { response } = await send();
    expect(response.statusCode).toBe(303);
    expect(lookups).toBe(before);
  });

  it('obeys a policy changed elsewhere: approve-all → hold-all holds the next comment', async () => {
    expect((await commentById(t, idFromLocation((await send()).response.headers.location))).status).toBe('approved');
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'hold-all' });
    const before = lookups;
    const { response } = await send();
    expect(response.statusCode).toBe(303);
    expect((await commentById(t, idFromLocation(response.headers.location))).status).toBe('pending');
    expect(lookups).toBe(before + 1); // the stamp no longer matched: read again
  });

  it('obeys comments closed on the post elsewhere (409, nothing stored)', async () => {
    const count = await countComments();
    const response = await sendAfter(() => t.db.updateTable('posts').set({ comments_open: false }).where('id', '=', post.id).execute());
    expect(response.statusCode).toBe(409);
    expect(await countComments()).toBe(count);
  });

  it('obeys a site-wide pause set elsewhere (409 with its message)', async () => {
    const count = await countComments();
    const pause = { message: 'Paused for the election period.', since: t.clock.now().toISOString() };
    const response = await sendAfter(() => t.db.insertInto('site_settings').values({ key: 'comments_paused', value: JSON.stringify(pause), updated_at: t.clock.now() }).execute());
    expect(response.statusCode).toBe(409);
    expect(response.body).toContain('Paused for the election period.');
    expect(await countComments()).toBe(count);
  });

  it('obeys a post unpublished elsewhere (404, nothing stored)', async () => {
    const count = await countComments();
    const response = await sendAfter(() => t.db.updateTable('posts').set({ status: 'draft' }).where('id', '=', post.id).execute());
    expect(response.statusCode).toBe(404);
    expect(await countComments()).toBe(count);
  });

  it('obeys a project archived elsewhere (409, nothing stored)', async () => {
    const count = await countComments();
    const response = await sendAfter(() => t.db.updateTable('projects').set({ status: 'archived' }).where('slug', '=', 'info-sharing-taskforce').execute());
    expect(response.statusCode).toBe(409);
    expect(await countComments()).toBe(count);
  });

  it('a post deleted and another made with its slug: the old form is refused (403, text kept), nothing stored', async () => {
    let replacement: number | undefined;
    try {
      const response = await sendAfter(async () => {
        await t.db.updateTable('posts').set({ deleted_at: t.clock.now() }).where('id', '=', post.id).execute();
        const row = await t.db
          .insertInto('posts')
          .values({ project_id: post.projectId, slug: post.slug, title: 'A new post with the old address', status: 'published', published_at: new Date(t.clock.now().getTime() - 60_000) })
          .returning('id')
          .executeTakeFirstOrThrow();
        replacement = row.id;
      });
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain(`Sent after a change, number ${n}.`);
      const stored = await t.db.selectFrom('comments').select('id').where('post_id', '=', replacement!).execute();
      expect(stored).toEqual([]);
    } finally {
      if (replacement) await t.db.deleteFrom('posts').where('id', '=', replacement).execute();
      await t.db.updateTable('posts').set({ deleted_at: null }).where('id', '=', post.id).execute();
    }
  });

  it('a flood from one address: the 429 comes from the copy, with Retry-After, and no extra look-up', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all', commentsPerTenMinutes: 2 });
    const ip = '198.51.100.77';
    const body = (i: number) => ({ name: 'Flood', email: 'flood@example.org', body: `Flood number ${i}, different each time.` });
    expect((await postComment(t, post.url, body(1), { ip })).response.statusCode).toBe(303); // fresh read (settings changed)
    expect((await postComment(t, post.url, body(2), { ip })).response.statusCode).toBe(303); // from the copy
    const before = lookups;
    const { response } = await postComment(t, post.url, body(3), { ip });
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('600');
    expect(response.body).toContain('Flood number 3, different each time.');
    expect(lookups).toBe(before);
  });

  it('a refused comment leaves no copy behind: only a stored one does', async () => {
    const other = await openPost(t, 2);
    const send = (fields: Record<string, string>) => postComment(t, other.url, fields, { ip: '203.0.113.201' });
    const before = lookups;
    expect((await send({ name: 'Refused', email: 'not-an-email', body: 'Some text.' })).response.statusCode).toBe(422);
    expect(lookups).toBe(before + 1);
    expect((await send({ name: 'Accepted', email: 'ok@example.org', body: 'First on this post.' })).response.statusCode).toBe(303);
    expect(lookups).toBe(before + 2); // nothing was kept from the refusal
    expect((await send({ name: 'Accepted', email: 'ok@example.org', body: 'Second on this post.' })).response.statusCode).toBe(303);
    expect(lookups).toBe(before + 2); // kept from the stored one
  });
});

async function countComments() {
  const row = await t.db.selectFrom('comments').select((eb) => eb.fn.countAll<number>().as('n')).where('post_id', '=', post.id).executeTakeFirstOrThrow();
  return Number(row.n);
}
