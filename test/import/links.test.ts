// Links inside imported content that point at the old site's items are rewritten to the items' new
// addresses once every item of the import is known (also forward references to later items), in the
// Markdown source, and rendered again through the one pipeline.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, type TestApp } from '../helpers/test-app.js';
import { importTexts, makeProject, post, wxr } from './helpers.js';

let t: TestApp;
let projectId: number;

beforeAll(async () => {
  t = await buildTestApp({ env: { WP_OLD_SITES: 'blog.legacy.example=links' } });
  projectId = await makeProject(t, 'links');
});

const page = (id: number, slug: string) =>
  `<item><title>About</title><link>http://small.example.org/${slug}/</link><content:encoded><![CDATA[Back to <a href="http://small.example.org/?p=1">the first post</a>.]]></content:encoded><wp:post_id>${id}</wp:post_id><wp:post_name>${slug}</wp:post_name><wp:status>publish</wp:status><wp:post_type>page</wp:post_type></item>`;

const first = [
  'Links:',
  '<a href="http://small.example.org/2/">permalink</a>,',
  '<a href="https://small.example.org/?p=3#comment-9">by id, with a fragment</a>,',
  '<a href="http://small.example.org/2021/01/04/post-3/">dated slug</a>,',
  '<a href="http://SMALL.example.org/?page_id=20">page by id</a>,',
  '<a href="//small.example.org/about/">page by path</a>,',
  '<a href="http://blog.legacy.example/2/">on the mapped old host</a>,',
  'bare http://small.example.org/3/. and',
  '<a href="http://small.example.org/?p=999">unknown id</a>,',
  '<a href="http://other.example.org/2/">another site</a>,',
  '<a href="http://small.example.org/category/news/">a category</a>.',
].join('\n');

const xml = wxr([post(1, 'First', first), post(2, 'Second', 'Two.'), post(3, 'Third', 'Three.'), page(20, 'about')].join('\n'));

const body = async (table: 'posts' | 'pages', slug: string) =>
  t.db.selectFrom(table).select(['body_md', 'body_html', 'version', 'updated_at']).where('project_id', '=', projectId).where('slug', '=', slug).executeTakeFirstOrThrow();

describe('links to the old site', () => {
  it('are rewritten to the new addresses in the source and the rendered HTML', async () => {
    const run = await importTexts(t, projectId, [{ name: 'links.xml', xml }]);
    expect(run.status).toBe('done');
    expect(run.report.links).toEqual({ items: 2, links: 8 });
    const one = await body('posts', 'post-1');
    expect(one.body_md).toContain('[permalink](/links/posts/post-2)');
    expect(one.body_md).toContain('[by id, with a fragment](/links/posts/post-3#comment-9)'); // a later item: forward reference
    expect(one.body_md).toContain('[dated slug](/links/posts/post-3)');
    expect(one.body_md).toContain('[page by id](/links/pages/about)');
    expect(one.body_md).toContain('[page by path](/links/pages/about)');
    expect(one.body_md).toContain('[on the mapped old host](/links/posts/post-2)');
    expect(one.body_md).toMatch(/bare \/links\/posts\/post-3\. and/);
    // Not an imported item: left as it was.
    expect(one.body_md).toContain('(http://small.example.org/?p=999)');
    expect(one.body_md).toContain('(http://other.example.org/2/)');
    expect(one.body_md).toContain('(http://small.example.org/category/news/)');
    expect(one.body_html).toContain('href="/links/posts/post-2"');
    expect(one.body_html).toContain('href="/links/pages/about"');
    expect(one.body_html).not.toContain('href="http://small.example.org/2/"');
    expect((await body('pages', 'about')).body_md).toContain('[the first post](/links/posts/post-1)');
    const html = (await get(t.app, '/links/posts/post-1')).body;
    expect(html).toContain('<a href="/links/posts/post-3#comment-9">by id, with a fragment</a>');
  });

  it('importing again changes nothing and keeps the rewritten links', async () => {
    const before = await body('posts', 'post-1');
    const run = await importTexts(t, projectId, [{ name: 'links.xml', xml }]);
    expect(run.status).toBe('done');
    expect(run.report.counts.posts).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(run.report.links).toEqual({ items: 0, links: 0 });
    const after = await body('posts', 'post-1');
    expect(after).toEqual(before);
  });

  it('a post changed in WordPress is converted again and its links rewritten again', async () => {
    const changed = xml.replace('Links:', 'Links, corrected:');
    const run = await importTexts(t, projectId, [{ name: 'links.xml', xml: changed }]);
    expect(run.report.counts.posts).toMatchObject({ updated: 1, unchanged: 2 });
    expect(run.report.links).toEqual({ items: 1, links: 7 });
    const one = await body('posts', 'post-1');
    expect(one.body_md).toContain('Links, corrected:');
    expect(one.body_md).toContain('[permalink](/links/posts/post-2)');
  });

  it('an item edited here since its import is left as it is', async () => {
    const other = await makeProject(t, 'edited');
    await importTexts(t, other, [{ name: 'a.xml', xml: wxr([post(1, 'First', 'See <a href="http://small.example.org/5/">five</a>.')].join('\n')) }]);
    const row = await t.db.selectFrom('posts').select(['id', 'body_md']).where('project_id', '=', other).where('slug', '=', 'post-1').executeTakeFirstOrThrow();
    expect(row.body_md).toContain('http://small.example.org/5/'); // post 5 is not known yet
    t.clock.advance?.(60_000);
    await t.db.updateTable('posts').set({ body_md: `${row.body_md}\n\nEdited here.`, updated_at: new Date(t.clock.now().getTime() + 3_600_000) }).where('id', '=', row.id).execute();
    const run = await importTexts(t, other, [{ name: 'b.xml', xml: wxr([post(1, 'First', 'See <a href="http://small.example.org/5/">five</a>.'), post(5, 'Fifth', 'Five.')].join('\n')) }]);
    expect(run.report.counts.posts).toMatchObject({ created: 1, unchanged: 1 });
    expect(run.report.links).toEqual({ items: 0, links: 0 });
    const after = await t.db.selectFrom('posts').select('body_md').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after.body_md).toContain('Edited here.');
    expect(after.body_md).toContain('http://small.example.org/5/');
  });

  it('a link to a post that is not public gives nothing of it away: it goes through the old address, 404 until the post is public', async () => {
    const other = await makeProject(t, 'private-links');
    const draft = post(7, 'Secret plans for the bridge', 'Not yet.').replace('<wp:status>publish</wp:status>', '<wp:status>draft</wp:status>').replace('<wp:post_name>post-7</wp:post_name>', '<wp:post_name>secret-plans-for-the-bridge</wp:post_name>');
    const linking = post(6, 'Public', 'See <a href="http://small.example.org/?p=7">the plans</a> and <a href="http://small.example.org/secret-plans-for-the-bridge/">again</a>.');
    const run = await importTexts(t, other, [{ name: 'p.xml', xml: wxr([linking, draft].join('\n')) }]);
    expect(run.report.links).toEqual({ items: 1, links: 2 });
    const row = await t.db.selectFrom('posts').select(['id', 'body_md', 'body_html']).where('project_id', '=', other).where('slug', '=', 'post-6').executeTakeFirstOrThrow();
    expect(row.body_md).toBe('See [the plans](/private-links/wp/?p=7) and [again](/private-links/wp/?p=7).');
    const page = (await get(t.app, '/private-links/posts/post-6')).body;
    expect(page).not.toContain('secret-plans');
    expect((await get(t.app, '/private-links/wp/?p=7')).statusCode).toBe(404);
    // Published here later: the same link now leads to it.
    await t.db.updateTable('posts').set({ status: 'published', published_at: t.clock.now(), first_published_at: t.clock.now() }).where('project_id', '=', other).where('slug', '=', 'secret-plans-for-the-bridge').execute();
    const moved = await get(t.app, '/private-links/wp/?p=7');
    expect(moved.statusCode).toBe(301);
    expect(moved.headers.location).toContain('/private-links/posts/secret-plans-for-the-bridge');
  });
});
