// The project pages editor (about, comment policy…): editors and owners, preview, validation, conflicts.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';
import { P, postAs } from './helpers.js';

let t: TestApp;
let owner: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  owner = await signInAs(t, 'amira.hassan@example.gov');
});

function pageFields(html: string) {
  const val = (name: string) => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1] ?? '';
  const body = /name="body"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)?.[1] ?? '';
  return { title: val('title'), slug: val('slug'), body: body.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'"), version: val('version') };
}

describe('project pages', () => {
  it('lists pages and edits one; the public page shows the new text', async () => {
    const list = await get(t.app, `${P}/pages`, { cookies: owner });
    expect(list.statusCode).toBe(200);
    const edit = /href="(\/admin\/projects\/info-sharing-taskforce\/pages\/\d+\/edit)">About/.exec(list.body)?.[1];
    expect(edit).toBeDefined();
    const form = pageFields((await get(t.app, edit!, { cookies: owner })).body);
    const res = await postAs(t, owner, edit!.replace('/edit', ''), { ...form, body: 'We are **new** here.', action: 'save' }, edit!);
    expect(res.statusCode).toBe(303);
    const pub = await get(t.app, '/info-sharing-taskforce/pages/about');
    expect(pub.body).toContain('We are <strong>new</strong> here.');
  });

  it('creates a page with a slug from its title', async () => {
    const res = await postAs(t, owner, `${P}/pages`, { title: 'How we work', slug: '', body: 'Openly.', action: 'save' }, `${P}/pages/new`);
    expect(res.statusCode).toBe(303);
    expect((await get(t.app, '/info-sharing-taskforce/pages/how-we-work')).statusCode).toBe(200);
  });

  it.each([
    ['an empty title', { title: '' }, 'page-title', 'Enter a title.'],
    ['a bad slug', { slug: '-bad-' }, 'page-slug', 'A slug may only use'],
    ['a duplicate slug', { slug: 'comment-policy' }, 'page-slug', 'already uses this slug'],
    ['a body over 100 KB', { body: 'y'.repeat(100 * 1024 + 1) }, 'page-body', 'too long'],
  ])('re-shows the form (422) for %s with the input kept', async (_label, fields, id, message) => {
    const typed = { title: 'Typed title', slug: 'typed-slug', body: 'Typed body', action: 'save', ...fields };
    const res = await postAs(t, owner, `${P}/pages`, typed, `${P}/pages/new`);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(message);
    expect(res.body).toContain(`id="${id}-error"`);
    expect(res.body).toMatch(new RegExp(`id="${id}"[^>]*aria-invalid="true"`));
    const kept = pageFields(res.body);
    expect(kept.title).toBe(typed.title);
    expect(kept.slug).toBe(typed.slug);
    if (typed.body.length < 1000) expect(kept.body).toBe(typed.body);
  });

  it('previews sanitized HTML without saving', async () => {
    const res = await postAs(t, owner, `${P}/pages`, { title: 'Preview page', slug: '', body: 'Hi <script>alert(1)</script>', action: 'preview' }, `${P}/pages/new`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Preview (not saved)');
    expect(res.body).not.toContain('<script>alert(1)');
    expect((await get(t.app, '/info-sharing-taskforce/pages/preview-page')).statusCode).toBe(404);
  });

  it('a save against an older version is not applied and shows both versions', async () => {
    const page = await t.db.selectFrom('pages').innerJoin('projects', 'projects.id', 'pages.project_id').select(['pages.id', 'pages.version', 'pages.slug', 'pages.title']).where('projects.slug', '=', 'info-sharing-taskforce').where('pages.slug', '=', 'comment-policy').executeTakeFirstOrThrow();
    const url = `${P}/pages/${page.id}`;
    const first = await postAs(t, owner, url, { title: page.title, slug: page.slug, body: 'First save', version: String(page.version), action: 'save' }, `${url}/edit`);
    expect(first.statusCode).toBe(303);
    const second = await postAs(t, owner, url, { title: page.title, slug: page.slug, body: 'Second save', version: String(page.version), action: 'save' }, `${url}/edit`);
    expect(second.statusCode).toBe(409);
    expect(second.body).toContain('First save');
    expect(pageFields(second.body).body).toBe('Second save');
    expect((await t.db.selectFrom('pages').select('body_md').where('id', '=', page.id).executeTakeFirstOrThrow()).body_md).toBe('First save');
  });

  it('refuses a save without the CSRF token and from people who are not editors or owners', async () => {
    const noCsrf = await t.app.inject({ method: 'POST', url: `${P}/pages`, cookies: owner, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'title=x&action=save' });
    expect(noCsrf.statusCode).toBe(403);
    const author = await signInAs(t, 'priya.raman@example.gov');
    expect((await get(t.app, `${P}/pages/new`, { cookies: author })).statusCode).toBe(403);
    expect((await postAs(t, author, `${P}/pages`, { title: 'Nope', slug: '', body: '', action: 'save' }, '/')).statusCode).toBe(403);
    expect((await get(t.app, `${P}/pages/abc/edit`, { cookies: owner })).statusCode).toBe(404);
  });
});

describe('an archived project', () => {
  it('is read-only in the editor: saving a post or a page is refused with a 403 page that says why', async () => {
    const t = await buildTestApp({ seed: true });
    const cookies = await signInAs(t, 'amira.hassan@example.gov');
    await t.db.updateTable('projects').set({ status: 'archived' }).where('slug', '=', 'info-sharing-taskforce').execute();
    const list = await t.app.inject({ url: '/admin/projects/info-sharing-taskforce/posts', cookies });
    expect(list.statusCode).toBe(200);
    const { response } = await submitForm(t.app, '/admin/projects/info-sharing-taskforce/posts/new', '/admin/projects/info-sharing-taskforce/posts', { title: 'After the end', body: 'x', action: 'save' }, cookies);
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('archived');
    const page = await submitForm(t.app, '/admin/projects/info-sharing-taskforce/pages/new', '/admin/projects/info-sharing-taskforce/pages', { title: 'More', slug: 'more', body: 'x' }, cookies);
    expect(page.response.statusCode).toBe(403);
    expect(await t.db.selectFrom('posts').select('id').where('title', '=', 'After the end').executeTakeFirst()).toBeUndefined();
  });
});
