// The post editor: every form's success and validation paths, preview, scheduling in the project's
// time zone, revisions, slug redirects, unpublishing, and conflicting saves.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, signInAs, TestClock, type TestApp } from '../helpers/test-app.js';
import { formFields, P, postAs } from './helpers.js';

let t: TestApp;
let owner: Record<string, string>;
let editor: Record<string, string>;

beforeAll(async () => {
  // 10 March 2026, 10:00 UTC: London is on GMT until 29 March.
  t = await buildTestApp({ seed: true, clock: new TestClock(new Date('2026-03-10T10:00:00Z')) });
  owner = await signInAs(t, 'amira.hassan@example.gov');
  editor = await signInAs(t, 'tom.okafor@example.gov');
});

const base = { title: 'A new post', slug: '', summary: 'Short', body: 'Some **text**.', tags: 'Research, data sharing', comments_open: 'on' };

async function create(fields: Record<string, string | string[]>, jar = owner) {
  return postAs(t, jar, `${P}/posts`, { ...base, ...fields });
}

async function editPage(location: string, jar = owner) {
  const res = await get(t.app, location.split('?')[0]!, { cookies: jar });
  expect(res.statusCode).toBe(200);
  return { res, fields: formFields(res.body), action: /<form method="post" action="([^"]+)" class="editor-form"/.exec(res.body)![1]! };
}

describe('writing a post', () => {
  it('saves a draft with a slug from the title, tags created as needed, and one revision', async () => {
    const res = await create({ title: 'Draft about Ünïcode & things', action: 'save' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/\/posts\/\d+\/edit\?saved=draft$/);
    const id = Number(/posts\/(\d+)/.exec(res.headers.location as string)![1]);
    const post = await t.db.selectFrom('posts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(post.slug).toBe('draft-about-unicode-and-things');
    expect(post.status).toBe('draft');
    expect(post.first_published_at).toBeNull();
    expect(post.atom_id).toBeNull();
    const tags = await t.db.selectFrom('post_tags').innerJoin('tags', 'tags.id', 'post_tags.tag_id').select(['tags.slug', 'tags.name']).where('post_id', '=', id).orderBy('tags.slug').execute();
    expect(tags).toEqual([{ slug: 'data-sharing', name: 'data sharing' }, { slug: 'research', name: 'Research' }]);
    const revisions = await t.db.selectFrom('post_revisions').selectAll().where('post_id', '=', id).execute();
    expect(revisions).toHaveLength(1);
    const page = await get(t.app, res.headers.location as string, { cookies: owner });
    expect(page.body).toContain('Draft saved.');
    // a draft is not public
    expect((await get(t.app, `/info-sharing-taskforce/posts/${post.slug}`)).statusCode).toBe(404);
  });

  it('publishing sets the first publication time and the Atom id, and the post is public', async () => {
    const res = await create({ title: 'Published right away', action: 'publish' });
    expect(res.statusCode).toBe(303);
    const post = await t.db.selectFrom('posts').selectAll().where('slug', '=', 'published-right-away').executeTakeFirstOrThrow();
    expect(post.status).toBe('published');
    expect(post.first_published_at?.toISOString()).toBe('2026-03-10T10:00:00.000Z');
    expect(post.atom_id).toBe(`tag:blogs.test,2026-03-10:post-${post.id}`);
    const pub = await get(t.app, '/info-sharing-taskforce/posts/published-right-away');
    expect(pub.statusCode).toBe(200);
    expect(pub.body).toContain('<strong>text</strong>');
  });

  it('adds additional authors from the team and refuses anyone else', async () => {
    const tom = await t.db.selectFrom('people').select('id').where('handle', '=', 'tom-okafor').executeTakeFirstOrThrow();
    const res = await create({ title: 'Two authors', action: 'save', authors: [String(tom.id)] });
    expect(res.statusCode).toBe(303);
    const id = Number(/posts\/(\d+)/.exec(res.headers.location as string)![1]);
    const authors = await t.db.selectFrom('post_authors').select(['person_id', 'position']).where('post_id', '=', id).orderBy('position').execute();
    expect(authors.map((a) => a.person_id)).toEqual([(await t.db.selectFrom('people').select('id').where('handle', '=', 'amira-hassan').executeTakeFirstOrThrow()).id, tom.id]);
    const outsider = await t.db.selectFrom('people').select('id').where('handle', '=', 'gareth-lloyd').executeTakeFirstOrThrow();
    const bad = await create({ title: 'Outsider author', action: 'save', authors: [String(outsider.id)] });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Choose authors from the project team.');
    const junk = await create({ title: 'Junk author', action: 'save', authors: ['abc'] });
    expect(junk.statusCode).toBe(422);
  });

  it.each([
    ['an empty title', { title: '  ' }, 'post-title', 'Enter a title.'],
    ['a bad slug', { slug: 'Not A Slug!' }, 'post-slug', 'A slug may only use lowercase letters'],
    ['a duplicate slug', { slug: 'published-right-away' }, 'post-slug', 'already uses this slug'],
    ['a body over 100 KB', { body: 'x'.repeat(100 * 1024 + 1) }, 'post-body', 'The text is too long'],
    ['a malformed schedule date', { action: 'schedule', publish_at: '2026-13-45T99:00' }, 'post-publish-at', 'Enter a real date and time'],
    ['a schedule date in the past', { action: 'schedule', publish_at: '2026-03-01T09:00' }, 'post-publish-at', 'Choose a time in the future'],
    ['a missing schedule date', { action: 'schedule', publish_at: '' }, 'post-publish-at', 'Enter the date and time'],
    ['a tag with no letters', { tags: 'ok, !!!' }, 'post-tags', 'needs at least one letter or number'],
  ])('re-shows the form (422) for %s, with the message beside the field and the input kept', async (_label, fields, fieldId, message) => {
    const typed = { ...base, title: 'Kept <title> & "quotes"', summary: 'Kept summary', body: 'Kept body <b>', tags: 'kept-tag', action: 'save', ...fields };
    const res = await create(typed);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(message);
    expect(res.body).toContain(`id="${fieldId}-error"`);
    expect(res.body).toContain(`href="#${fieldId}"`);
    expect(res.body).toMatch(new RegExp(`id="${fieldId}"[^>]*aria-invalid="true"`));
    expect(res.body).toContain('class="error-summary"');
    const kept = formFields(res.body);
    expect(kept.title).toBe(typed.title);
    expect(kept.summary).toBe(typed.summary);
    if (typed.body.length < 1000) expect(kept.body).toBe(typed.body);
    expect(kept.slug).toBe(typed.slug);
    expect(kept.tags).toBe(typed.tags);
  });

  it('refuses a post without the CSRF token (403 page)', async () => {
    const res = await t.app.inject({ method: 'POST', url: `${P}/posts`, cookies: owner, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ ...base, action: 'save' }).toString() });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This form has expired');
    // Nothing typed is lost: the page shows what was sent, read-only, to copy.
    expect(res.body).toContain('What you sent');
    expect(res.body).toContain(`>${base.title}</textarea>`);
  });

  it('sends the signed-out to sign in for pages and refuses their posts', async () => {
    for (const url of [`${P}/posts`, `${P}/posts/new`, `${P}/pages`]) {
      const res = await get(t.app, url);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
    }
    const res = await t.app.inject({ method: 'POST', url: `${P}/posts`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'title=x' });
    expect(res.statusCode).toBe(403);
  });

  it('answers 404 for bad ids and unknown projects, never 500', async () => {
    for (const url of [`${P}/posts/abc/edit`, `${P}/posts/999999/edit`, `${P}/posts/1.5/edit`, '/admin/projects/no-such-project/posts', `${P}/posts/1/revisions/xyz`, `${P}/posts?status=bogus`]) {
      expect((await get(t.app, url, { cookies: owner })).statusCode, url).toBe(404);
    }
  });

  it('lists the project posts with their status and filters by status', async () => {
    await create({ title: 'Listed draft', action: 'save' });
    const all = await get(t.app, `${P}/posts`, { cookies: owner });
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain('Listed draft');
    expect(all.body).toContain('Published right away');
    const drafts = await get(t.app, `${P}/posts?status=draft`, { cookies: owner });
    expect(drafts.body).toContain('Listed draft');
    expect(drafts.body).not.toContain('Published right away');
  });
});

describe('preview', () => {
  it('renders the post through the public pipeline, keeps the form as typed, and saves nothing', async () => {
    const before = await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const body = '## Heading\n\n<script>alert(1)</script><img src=x onerror="alert(2)"> [bad](javascript:alert(3))';
    const res = await create({ title: 'Preview me', body, action: 'preview' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Preview (not saved)');
    expect(res.body).toContain('<h2 id="section-heading">Heading</h2>');
    const preview = res.body.slice(res.body.indexOf('id="preview-heading"'), res.body.indexOf('<form method="post" action="/admin'));
    expect(preview).not.toContain('<script>alert(1)');
    expect(preview).not.toContain('onerror');
    expect(preview).not.toContain('href="javascript:');
    expect(formFields(res.body).body).toBe(body);
    const after = await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});

describe('scheduling', () => {
  it('stores the project-local time as UTC and the post appears on its project page only when its time comes', async () => {
    const res = await create({ title: 'Summer scheduled post', action: 'schedule', publish_at: '2026-07-01T09:30' });
    expect(res.statusCode).toBe(303);
    const post = await t.db.selectFrom('posts').selectAll().where('slug', '=', 'summer-scheduled-post').executeTakeFirstOrThrow();
    expect(post.status).toBe('scheduled');
    // Europe/London is on BST (UTC+1) in July.
    expect(post.published_at?.toISOString()).toBe('2026-07-01T08:30:00.000Z');
    const { fields } = await editPage(res.headers.location as string);
    expect((await get(t.app, res.headers.location!.split('?')[0]!, { cookies: owner })).body).toContain('value="2026-07-01T09:30"');
    expect(fields.title).toBe('Summer scheduled post');

    const saved = t.clock.now();
    try {
      expect((await get(t.app, '/info-sharing-taskforce/')).body).not.toContain('Summer scheduled post');
      expect((await get(t.app, '/info-sharing-taskforce/posts/summer-scheduled-post')).statusCode).toBe(404);
      t.clock.set('2026-07-01T08:29:59Z');
      expect((await get(t.app, '/info-sharing-taskforce/')).body).not.toContain('Summer scheduled post');
      t.clock.set('2026-07-01T08:30:00Z');
      expect((await get(t.app, '/info-sharing-taskforce/')).body).toContain('Summer scheduled post');
      expect((await get(t.app, '/info-sharing-taskforce/posts/summer-scheduled-post')).statusCode).toBe(200);
    } finally {
      t.clock.set(saved);
    }
  });
});

describe('revisions', () => {
  it('keeps a revision per save, shows a diff against the current text, and restores one as a new save', async () => {
    const created = await create({ title: 'Revised post', body: 'first line\nsecond line\n', action: 'save' });
    const first = await editPage(created.headers.location as string);
    const saved = await postAs(t, owner, first.action, { ...first.fields, body: 'first line\nchanged <line>\n', action: 'save' }, created.headers.location as string);
    expect(saved.statusCode).toBe(303);
    const id = Number(/posts\/(\d+)/.exec(created.headers.location as string)![1]);
    const list = await get(t.app, `${P}/posts/${id}/revisions`, { cookies: owner });
    expect(list.statusCode).toBe(200);
    const revLinks = [...list.body.matchAll(/href="(\/admin\/projects\/info-sharing-taskforce\/posts\/\d+\/revisions\/(\d+))"/g)];
    expect(revLinks).toHaveLength(2);
    const oldest = revLinks[1]![1]!;
    const diff = await get(t.app, oldest, { cookies: owner });
    expect(diff.statusCode).toBe(200);
    expect(diff.body).toContain('<del>second line\n</del>');
    expect(diff.body).toContain('<ins>changed &lt;line&gt;\n</ins>');
    const restore = await postAs(t, owner, `${oldest}/restore`, { version: /name="version" value="(\d+)"/.exec(diff.body)![1]! }, oldest);
    expect(restore.statusCode).toBe(303);
    const post = await t.db.selectFrom('posts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(post.body_md).toBe('first line\nsecond line\n');
    const count = await t.db.selectFrom('post_revisions').select((eb) => eb.fn.countAll<number>().as('n')).where('post_id', '=', id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(3);
  });

  it('refuses a restore from a stale page (409) without changing the post', async () => {
    const created = await create({ title: 'Stale restore', body: 'one', action: 'save' });
    const id = Number(/posts\/(\d+)/.exec(created.headers.location as string)![1]);
    const rev = await t.db.selectFrom('post_revisions').select('id').where('post_id', '=', id).executeTakeFirstOrThrow();
    const res = await postAs(t, owner, `${P}/posts/${id}/revisions/${rev.id}/restore`, { version: '0' }, `${P}/posts/${id}/revisions/${rev.id}`);
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('changed since you opened');
  });
});

describe('slugs, unpublishing and deleting', () => {
  it('renaming a published post keeps the old URL as a 301, and renaming back works', async () => {
    const created = await create({ title: 'Original name', action: 'publish' });
    let page = await editPage(created.headers.location as string);
    const renamed = await postAs(t, owner, page.action, { ...page.fields, slug: 'better-name', action: 'save' }, created.headers.location as string);
    expect(renamed.statusCode).toBe(303);
    const old = await get(t.app, '/info-sharing-taskforce/posts/original-name');
    expect(old.statusCode).toBe(301);
    expect(old.headers.location).toBe('/info-sharing-taskforce/posts/better-name');
    expect((await get(t.app, '/info-sharing-taskforce/posts/better-name')).statusCode).toBe(200);
    page = await editPage(created.headers.location as string);
    const back = await postAs(t, owner, page.action, { ...page.fields, slug: 'original-name', action: 'save' }, created.headers.location as string);
    expect(back.statusCode).toBe(303);
    expect((await get(t.app, '/info-sharing-taskforce/posts/original-name')).statusCode).toBe(200);
    const moved = await get(t.app, '/info-sharing-taskforce/posts/better-name');
    expect(moved.statusCode).toBe(301);
    expect(moved.headers.location).toBe('/info-sharing-taskforce/posts/original-name');
  });

  it('unpublishing makes the public URL answer 410; deleting removes it from the editor list', async () => {
    const created = await create({ title: 'Short lived', action: 'publish' });
    let page = await editPage(created.headers.location as string);
    const res = await postAs(t, owner, page.action, { ...page.fields, action: 'unpublish' }, created.headers.location as string);
    expect(res.statusCode).toBe(303);
    expect((await get(t.app, '/info-sharing-taskforce/posts/short-lived')).statusCode).toBe(410);
    page = await editPage(created.headers.location as string);
    const asked = await postAs(t, owner, page.action, { ...page.fields, action: 'delete' }, created.headers.location as string);
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('<h1>Delete “Short lived”?</h1>');
    expect(asked.body).toContain('Yes, delete the post');
    expect((await t.db.selectFrom('posts').select('deleted_at').where('slug', '=', 'short-lived').executeTakeFirstOrThrow()).deleted_at).toBeNull();
    const del = await postAs(t, owner, page.action, { ...page.fields, action: 'delete', confirm: 'yes' }, created.headers.location as string);
    expect(del.statusCode).toBe(303);
    const row = await t.db.selectFrom('posts').select('deleted_at').where('slug', '=', 'short-lived').executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    expect((await get(t.app, `${P}/posts`, { cookies: owner })).body).not.toContain('Short lived');
    expect((await get(t.app, '/info-sharing-taskforce/posts/short-lived')).statusCode).toBe(410);
  });
});

describe('conflicting saves', () => {
  it('the second save against an old version is not applied; both versions are shown', async () => {
    const created = await create({ title: 'Shared post', body: 'original', action: 'save' });
    const mine = await editPage(created.headers.location as string);
    const theirs = await editPage(created.headers.location as string, editor);
    const first = await postAs(t, editor, theirs.action, { ...theirs.fields, body: 'edited by Tom', action: 'save' }, created.headers.location as string);
    expect(first.statusCode).toBe(303);
    const second = await postAs(t, owner, mine.action, { ...mine.fields, title: 'My title', body: 'edited by Amira', action: 'save' }, created.headers.location as string);
    expect(second.statusCode).toBe(409);
    expect(second.body).toContain('changed by someone else since you opened it');
    expect(second.body).toContain('edited by Tom');
    expect(formFields(second.body).body).toBe('edited by Amira');
    expect(formFields(second.body).title).toBe('My title');
    const id = Number(/posts\/(\d+)/.exec(created.headers.location as string)![1]);
    const post = await t.db.selectFrom('posts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(post.body_md).toBe('edited by Tom');
    // Saving again from the re-shown form is a deliberate choice and goes through.
    const again = await postAs(t, owner, mine.action, { ...formFields(second.body), action: 'save' }, created.headers.location as string);
    expect(again.statusCode).toBe(303);
    expect((await t.db.selectFrom('posts').select('body_md').where('id', '=', id).executeTakeFirstOrThrow()).body_md).toBe('edited by Amira');
  });
});
