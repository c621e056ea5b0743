// Issue 16, item 6: every post links to its project's comment policy, so every project has that page: a new
// project starts with a default one its owners can edit, and migration 0011 gave it to existing projects.
import { beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { buildTestApp, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
});

describe('the comment policy page', () => {
  it('a project made from the admin form has a comment policy page, and its posts link to a page that exists', async () => {
    const admin = await signInAs(t, 'admin@example.gov');
    const { response } = await submitForm(t.app, '/admin/projects/new', '/admin/projects/new', { slug: 'flood-maps', title: 'Flood maps', summary: 'Maps.', ownerEmail: 'gareth.lloyd@example.gov' }, admin);
    expect(response.statusCode).toBe(303);
    const page = await get(t.app, '/flood-maps/pages/comment-policy');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Comment policy');
    expect(page.body).toContain('What we will not publish');
    // The owner can edit it like any page.
    const owner = await signInAs(t, 'gareth.lloyd@example.gov');
    const pages = await get(t.app, '/admin/projects/flood-maps/pages', { cookies: owner });
    expect(pages.statusCode).toBe(200);
    expect(pages.body).toContain('Comment policy');
  });

  it('the migration gives an existing project without one a policy page, and leaves a project’s own alone', async () => {
    const now = t.clock.now();
    const bare = await t.db.insertInto('projects').values({ slug: 'bare-project', title: 'Bare', settings: '{}', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    const before = await t.db.selectFrom('pages').select('body_md').where('pages.slug', '=', 'comment-policy').innerJoin('projects', 'projects.id', 'pages.project_id').where('projects.slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow();
    await migrations['0011-comment-policy-and-edits']!.down!(t.db);
    await migrations['0011-comment-policy-and-edits']!.up(t.db);
    const made = await t.db.selectFrom('pages').select(['title', 'body_md']).where('project_id', '=', bare.id).where('slug', '=', 'comment-policy').executeTakeFirstOrThrow();
    expect(made.title).toBe('Comment policy');
    expect(made.body_md).toContain('What we will not publish');
    const after = await t.db.selectFrom('pages').select('body_md').where('pages.slug', '=', 'comment-policy').innerJoin('projects', 'projects.id', 'pages.project_id').where('projects.slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow();
    expect(after.body_md).toBe(before.body_md);
  });
});
