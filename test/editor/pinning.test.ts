// Issue 16, item 10: a post can be pinned to the top of its project's page (several may be: the most
// recently pinned first); feeds stay in date order; only people who may publish change a pin.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createPerson, get, signInAs, type TestApp } from '../helpers/test-app.js';
import { formFields, P, postAs, projectId } from './helpers.js';

let t: TestApp;
let owner: Record<string, string>;
let contributor: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  await createPerson(t, { email: 'casey.contributor@example.gov', handle: 'casey-contributor' }, { projectId: await projectId(t), role: 'contributor' });
  owner = await signInAs(t, 'amira.hassan@example.gov');
  contributor = await signInAs(t, 'casey.contributor@example.gov');
});

const base = { slug: '', summary: '', body: 'Text.', tags: '', comments_open: 'on' };
const titlesOn = (html: string) => [...html.matchAll(/class="post-summary-title"><a [^>]*>([^<]*)</g)].map((m) => m[1]);
const idOf = async (slug: string) => (await t.db.selectFrom('posts').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;

async function save(id: number, fields: Record<string, string>) {
  const edit = `${P}/posts/${id}/edit`;
  const current = formFields((await get(t.app, edit, { cookies: owner })).body);
  return postAs(t, owner, `${P}/posts/${id}`, { ...base, ...current, ...fields }, edit);
}

describe('pinning a post', () => {
  it('puts a pinned post first on the project page, marked "Pinned", and not in the feed', async () => {
    // A back-dated post is last in date order.
    expect((await postAs(t, owner, `${P}/posts`, { ...base, title: 'Our terms of reference', action: 'publish', publish_at: '2025-01-05T09:00' })).statusCode).toBe(303);
    const id = await idOf('our-terms-of-reference');
    const before = await get(t.app, '/info-sharing-taskforce/');
    expect(titlesOn(before.body)[0]).not.toBe('Our terms of reference');

    expect((await save(id, { action: 'publish', pinned: 'on' })).statusCode).toBe(303);
    const page = await get(t.app, '/info-sharing-taskforce/');
    expect(titlesOn(page.body)[0]).toBe('Our terms of reference');
    expect(page.body).toMatch(/<strong class="pinned">Pinned<\/strong>/);
    expect((await get(t.app, `${P}/posts/${id}/edit`, { cookies: owner })).body).toMatch(/id="post-pinned" name="pinned" checked/);

    const feed = await get(t.app, '/info-sharing-taskforce/feed.atom');
    const first = /<entry>[\s\S]*?<title[^>]*>([^<]*)<\/title>/.exec(feed.body)?.[1];
    expect(first).not.toBe('Our terms of reference');
    // Elsewhere (the site's home) the pin does not apply.
    expect((await get(t.app, '/')).body).not.toContain('class="pinned"');
  });

  it('lets several be pinned, the most recently pinned first, and unpinning puts a post back in date order', async () => {
    expect((await postAs(t, owner, `${P}/posts`, { ...base, title: 'How we work', action: 'publish', publish_at: '2025-01-04T09:00' })).statusCode).toBe(303);
    const second = await idOf('how-we-work');
    t.clock.advance(60_000);
    expect((await save(second, { action: 'publish', pinned: 'on' })).statusCode).toBe(303);
    expect(titlesOn((await get(t.app, '/info-sharing-taskforce/')).body).slice(0, 2)).toEqual(['How we work', 'Our terms of reference']);

    const unpin = await save(second, { action: 'publish' }); // the checkbox left unticked
    expect(unpin.statusCode).toBe(303);
    const titles = titlesOn((await get(t.app, '/info-sharing-taskforce/')).body);
    expect(titles[0]).toBe('Our terms of reference');
    expect(titles[1]).not.toBe('How we work');
  });

  it('does not let a contributor pin (no checkbox, and a forged field is ignored)', async () => {
    const res = await postAs(t, contributor, `${P}/posts`, { ...base, title: 'Contributor draft', action: 'save', pinned: 'on' });
    expect(res.statusCode).toBe(303);
    const row = await t.db.selectFrom('posts').select('pinned_at').where('slug', '=', 'contributor-draft').executeTakeFirstOrThrow();
    expect(row.pinned_at).toBeNull();
    expect((await get(t.app, res.headers.location as string, { cookies: contributor })).body).not.toContain('id="post-pinned"');
  });
});
