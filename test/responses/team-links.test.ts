// Team-added links from the post editor: added and removed with plain forms (CSRF), refused input shown
// again with its errors and what was typed, only by people who may edit the post, shown under the post
// marked as added by the team, and the cached post page dropped when they change (NOTIFY trigger).
import { beforeAll, describe, expect, it } from 'vitest';
import { openPost } from '../comments/helpers.js';
import { buildTestApp, createPerson, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';
import { waitUntil } from '../helpers/wait.js';

let t: TestApp;
let post: Awaited<ReturnType<typeof openPost>>;
let editUrl: string;
let admin: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp({ seed: true, pageCache: true });
  post = await openPost(t);
  editUrl = `/admin/projects/${post.project}/posts/${post.id}/edit`;
  admin = await signInAs(t, 'admin@example.gov');
});

const linksUrl = () => `/admin/projects/${post.project}/posts/${post.id}/links`;

describe('team-added links', () => {
  it('are added from the editor, shown under the post marked as added by the team, and removed', async () => {
    const before = await t.app.inject({ method: 'GET', url: post.url });
    expect(before.body).toContain('No responses from other sites yet.');
    // Cached for anonymous readers now (the fill is asynchronous).
    expect(await waitUntil(async () => (await t.app.inject({ method: 'GET', url: post.url })).headers['x-cache'] === 'hit', 5000, 20)).toBe(true);

    const editor = await t.app.inject({ method: 'GET', url: editUrl, cookies: admin });
    expect(editor.body).toContain('id="responses-editor"');
    const { response } = await submitForm(t.app, editUrl, linksUrl(), { url: 'https://forum.example.org/t/roads/42', title: 'Discussion on the roads forum <b>', note: 'Long thread & good ideas' }, admin);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`${editUrl}?saved=link-added#responses-editor`);

    // The page cache hears of it (NOTIFY on post_links) and the public page shows it.
    expect(await waitUntil(async () => (await t.app.inject({ method: 'GET', url: post.url })).body.includes('roads forum'), 5000)).toBe(true);
    const page = (await t.app.inject({ method: 'GET', url: post.url })).body;
    const section = page.slice(page.indexOf('id="responses"'));
    expect(section).toContain('<a href="https://forum.example.org/t/roads/42" rel="nofollow ugc">Discussion on the roads forum &lt;b&gt;</a>');
    expect(section).toContain('Added by the team');
    expect(section).toContain('Long thread &amp; good ideas');

    const link = await t.db.selectFrom('post_links').select('id').where('post_id', '=', post.id).executeTakeFirstOrThrow();
    const removed = await submitForm(t.app, editUrl, `${linksUrl()}/${link.id}/remove`, {}, admin);
    expect(removed.response.statusCode).toBe(303);
    expect(await waitUntil(async () => !(await t.app.inject({ method: 'GET', url: post.url })).body.includes('roads forum'), 5000)).toBe(true);
  });

  it('refuses a bad link with the errors and keeps what was typed', async () => {
    const { response } = await submitForm(t.app, editUrl, linksUrl(), { url: 'javascript:alert(1)', title: '', note: 'My note' }, admin);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('There is a problem');
    expect(response.body).toContain('Enter the full address of the conversation');
    expect(response.body).toContain('Enter a title for the link.');
    expect(response.body).toContain('value="javascript:alert(1)"');
    expect(response.body).toContain('>My note</textarea>');
    expect(await t.db.selectFrom('post_links').select('id').where('post_id', '=', post.id).execute()).toHaveLength(0);
  });

  it('needs a CSRF token and someone who may edit the post', async () => {
    const noToken = await t.app.inject({ method: 'POST', url: linksUrl(), cookies: admin, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'url=https%3A%2F%2Fa.example%2F&title=x' });
    expect(noToken.statusCode).toBe(403);
    await createPerson(t, { email: 'mod-links@example.gov', handle: 'mod-links' }, { projectId: post.projectId, role: 'moderator' });
    const moderator = await signInAs(t, 'mod-links@example.gov');
    const { response } = await submitForm(t.app, '/admin', linksUrl(), { url: 'https://a.example/', title: 'x' }, moderator);
    expect(response.statusCode).toBe(403);
    const anonymous = await t.app.inject({ method: 'POST', url: linksUrl(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'url=x' });
    expect([303, 403]).toContain(anonymous.statusCode);
    expect(await t.db.selectFrom('post_links').select('id').where('post_id', '=', post.id).execute()).toHaveLength(0);
  });
});
