// Issue 16, item 10: bulk actions on the posts list — a plain form (no JavaScript), CSRF-checked, each
// post through the same permission rules as its own editor.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, signInAs, type TestApp } from '../helpers/test-app.js';
import { makePost, P, personId, postAs } from './helpers.js';

let t: TestApp;
let owner: Record<string, string>;
let author: Record<string, string>;
let ownerId: number;
let authorId: number;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  owner = await signInAs(t, 'amira.hassan@example.gov');
  author = await signInAs(t, 'priya.raman@example.gov');
  ownerId = await personId(t, 'amira.hassan@example.gov');
  authorId = await personId(t, 'priya.raman@example.gov');
});

const statusOf = async (id: number) => (await t.db.selectFrom('posts').select(['status', 'deleted_at']).where('id', '=', id).executeTakeFirstOrThrow());

describe('bulk actions on the posts list', () => {
  it('shows a checkbox per post and one form with the actions', async () => {
    const draft = await makePost(t, { createdBy: ownerId, title: 'Bulk draft shown' });
    const page = await get(t.app, `${P}/posts`, { cookies: owner });
    expect(page.body).toMatch(/<form method="post" action="\/admin\/projects\/info-sharing-taskforce\/posts\/bulk"/);
    expect(page.body).toContain(`name="ids" value="${draft.id}"`);
    expect(page.body).toContain('<option value="publish">Publish now</option>');
  });

  it('publishes the selected drafts, each with a revision and its atom id, and says how many', async () => {
    const a = await makePost(t, { createdBy: ownerId, title: 'Bulk A' });
    const b = await makePost(t, { createdBy: ownerId, title: 'Bulk B' });
    const res = await postAs(t, owner, `${P}/posts/bulk`, { ids: [String(a.id), String(b.id)], action: 'publish' }, `${P}/posts`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${P}/posts?bulk=publish&done=2&skipped=0`);
    for (const id of [a.id, b.id]) {
      const row = await t.db.selectFrom('posts').select(['status', 'atom_id', 'published_at']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.status).toBe('published');
      expect(row.atom_id).toMatch(/^tag:/);
      expect(row.published_at?.getTime()).toBe(t.clock.now().getTime());
    }
    expect((await get(t.app, res.headers.location as string, { cookies: owner })).body).toContain('2 posts published.');
  });

  it('unpublishes and deletes the selected posts', async () => {
    const live = await makePost(t, { createdBy: ownerId, status: 'published', title: 'Bulk live' });
    const gone = await makePost(t, { createdBy: ownerId, title: 'Bulk gone' });
    expect((await postAs(t, owner, `${P}/posts/bulk`, { ids: String(live.id), action: 'unpublish' }, `${P}/posts`)).headers.location).toContain('done=1&skipped=0');
    expect((await statusOf(live.id)).status).toBe('unpublished');
    expect((await postAs(t, owner, `${P}/posts/bulk`, { ids: String(gone.id), action: 'delete', confirm: 'yes' }, `${P}/posts`)).headers.location).toContain('done=1&skipped=0');
    expect((await statusOf(gone.id)).deleted_at).not.toBeNull();
  });

  it('deleting asks first: a confirmation page lists the posts and changes nothing until confirmed', async () => {
    const a = await makePost(t, { createdBy: ownerId, title: 'Bulk ask <one>' });
    const b = await makePost(t, { createdBy: ownerId, title: 'Bulk ask two' });
    const asked = await postAs(t, owner, `${P}/posts/bulk`, { ids: [String(a.id), String(b.id)], action: 'delete' }, `${P}/posts`);
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('<h1>Delete 2 posts?</h1>');
    expect(asked.body).toContain('<li>Bulk ask &lt;one&gt;</li>');
    expect(asked.body).toContain('name="confirm" value="yes"');
    expect(asked.body).toContain(`name="ids" value="${b.id}"`);
    expect((await statusOf(a.id)).deleted_at).toBeNull();
    expect((await statusOf(b.id)).deleted_at).toBeNull();
    const done = await postAs(t, owner, `${P}/posts/bulk`, { ids: [String(a.id), String(b.id)], action: 'delete', confirm: 'yes' }, `${P}/posts`);
    expect(done.headers.location).toContain('done=2&skipped=0');
    expect((await statusOf(a.id)).deleted_at).not.toBeNull();
  });

  it('skips posts the person may not change, and posts of other projects', async () => {
    const others = await makePost(t, { createdBy: ownerId, status: 'published', title: 'Owner post' });
    const own = await makePost(t, { createdBy: authorId, status: 'published', title: 'Author post' });
    const res = await postAs(t, author, `${P}/posts/bulk`, { ids: [String(others.id), String(own.id), '999999'], action: 'unpublish' }, `${P}/posts`);
    expect(res.headers.location).toContain('bulk=unpublish&done=1&skipped=2');
    expect((await statusOf(others.id)).status).toBe('published');
    expect((await statusOf(own.id)).status).toBe('unpublished');
  });

  it('refuses a request without the CSRF token', async () => {
    const post = await makePost(t, { createdBy: ownerId, title: 'Bulk csrf' });
    const res = await t.app.inject({ method: 'POST', url: `${P}/posts/bulk`, cookies: owner, payload: `ids=${post.id}&action=delete`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(403);
    expect((await statusOf(post.id)).deleted_at).toBeNull();
  });

  it('says so when nothing was ticked', async () => {
    const res = await postAs(t, owner, `${P}/posts/bulk`, { action: 'publish' }, `${P}/posts`);
    expect(res.headers.location).toBe(`${P}/posts?bulk=none`);
    expect((await get(t.app, res.headers.location as string, { cookies: owner })).body).toContain('Nothing was changed');
  });
});
