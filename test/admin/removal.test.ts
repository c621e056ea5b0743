// Site admins delete a project (a confirmation page, then a POST; no JavaScript needed) and its
// addresses answer 410 afterwards; the demo is removed in one step, but never by a demo account.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { demoEmails } from '../../server/demo/seed.js';
import { buildTestApp, createPerson, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let admin: Record<string, string>;
beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  admin = await signInAs(t, 'admin@example.gov');
});

const formAction = (html: string) => /<form action="(\/admin[^"]+)" method="post"/.exec(html)?.[1];

describe('deleting a project', () => {
  it('asks first on a page whose form works without JavaScript; only site admins may', async () => {
    const owner = await signInAs(t, 'amira.hassan@example.gov');
    expect((await get(t.app, '/admin/projects/info-sharing-taskforce/delete', { cookies: owner })).statusCode).toBe(403);
    const page = await get(t.app, '/admin/projects/info-sharing-taskforce/delete', { cookies: admin });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Delete “Information Sharing Taskforce”?');
    expect(formAction(page.body)).toBe('/admin/projects/info-sharing-taskforce/delete');
    expect(page.body).toMatch(/name="_csrf" value="[^"]+"/);
    expect((await get(t.app, '/admin', { cookies: admin })).body).toContain('href="/admin/projects/info-sharing-taskforce/delete"');
    // Nothing is deleted by looking, nor by a POST without the token.
    expect((await t.app.inject({ method: 'POST', url: '/admin/projects/info-sharing-taskforce/delete', cookies: admin })).statusCode).toBe(403);
    expect((await get(t.app, '/info-sharing-taskforce/')).statusCode).toBe(200);
  });

  it('deletes it with everything in it, and its addresses answer 410 Gone', async () => {
    const post = await t.db
      .selectFrom('posts')
      .innerJoin('projects', 'projects.id', 'posts.project_id')
      .select('posts.slug')
      .where('projects.slug', '=', 'community-health-review')
      .where('posts.status', '=', 'published')
      .executeTakeFirstOrThrow();
    const { response } = await submitForm(t.app, '/admin/projects/community-health-review/delete', '/admin/projects/community-health-review/delete', {}, admin);
    expect(response.statusCode).toBe(303);
    expect(await t.db.selectFrom('projects').select('id').where('slug', '=', 'community-health-review').executeTakeFirst()).toBeUndefined();
    for (const url of ['/community-health-review/', `/community-health-review/posts/${post.slug}`, '/community-health-review/feed.atom', '/admin/projects/community-health-review/settings']) {
      const res = await get(t.app, url, { cookies: url.startsWith('/admin') ? admin : {} });
      expect(res.statusCode, url).toBe(410);
      expect(res.body, url).toContain('This project has been removed');
    }
    // A project that never existed is still a 404.
    expect((await get(t.app, '/never-was-here/')).statusCode).toBe(404);
  });
});

describe('removing the demo', () => {
  it('is refused to a demo account, which would delete itself', async () => {
    const page = await get(t.app, '/admin/demo', { cookies: admin });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('You are signed in with a demo account');
    expect(formAction(page.body)).toBeUndefined();
  });

  it('deletes the demo projects and every demo account in one step, leaving the rest', async () => {
    await createPerson(t, { email: 'ops@example.org', handle: 'ops', siteAdmin: true });
    const mine = await signInAs(t, 'ops@example.org');
    const page = await get(t.app, '/admin/demo', { cookies: mine });
    expect(page.body).toContain('Information Sharing Taskforce');
    expect(page.body).toContain('admin@example.gov');
    expect(formAction(page.body)).toBe('/admin/demo/remove');
    const { response } = await submitForm(t.app, '/admin/demo', '/admin/demo/remove', {}, mine);
    expect(response.statusCode).toBe(303);
    expect(await t.db.selectFrom('projects').select('slug').execute()).toEqual([]);
    expect(await t.db.selectFrom('people').select('email').where('email', 'in', demoEmails()).execute()).toEqual([]);
    expect((await get(t.app, '/info-sharing-taskforce/')).statusCode).toBe(410);
    // The demo's sessions ended with its accounts; its password opens nothing.
    expect((await get(t.app, '/admin', { cookies: admin })).statusCode).toBe(303);
    const login = await submitForm(t.app, '/login', '/login', { email: 'admin@example.gov', password: DEMO_PASSWORD });
    expect(login.response.statusCode).toBe(422);
    expect((await get(t.app, '/admin', { cookies: mine })).statusCode).toBe(200);
  });
});
