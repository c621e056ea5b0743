// The WordPress import end to end on a real database: the demo export through the job, what each kind
// of item becomes, that a second import creates nothing twice, that a newer export updates what changed,
// that a dry run writes nothing, and that bad files stop with a clear message.
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, queuedJobs, type TestApp } from '../helpers/test-app.js';
import { fixture, importTexts, makeProject, post, wxr } from './helpers.js';
import { readWxr } from '../../server/import/wxr-parser.js';

let t: TestApp;
let projectId: number;

beforeAll(async () => {
  t = await buildTestApp();
  projectId = await makeProject(t);
});

const postBySlug = (slug: string) => t.db.selectFrom('posts').selectAll().where('project_id', '=', projectId).where('slug', '=', slug).executeTakeFirst();

describe('importing the demo export', () => {
  it('brings posts, pages, people, tags and comments across', async () => {
    const run = await importTexts(t, projectId, [fixture('demo-export.xml')]);
    expect(run.status).toBe('done');
    expect(run.items_done).toBe(run.items_total);
    expect(run.items_total).toBe(9);
    const counts = run.report.counts;
    expect(counts.posts).toMatchObject({ created: 6, skipped: 0 });
    expect(counts.pages.created).toBe(1);
    expect(counts.comments.created).toBe(6);
    expect(counts.pings.created).toBe(1);
    expect(counts.other.skipped).toBe(1);
    // Imported comments are a back catalogue: no WebSub announcement of comment feeds, per comment or at all.
    expect((await queuedJobs(t)).filter((j) => j.task === 'websub:comment-feed')).toEqual([]);

    // People: matched by email (the owner), or added without a password as authors.
    const ada = await t.db.selectFrom('people').selectAll().where('email', '=', 'ada@example.org').executeTakeFirstOrThrow();
    expect(ada.password_hash).toBeNull();
    expect(ada.display_name).toBe('Ada Lovelace');
    const membership = await t.db.selectFrom('memberships').select('role').where('project_id', '=', projectId).where('person_id', '=', ada.id).executeTakeFirstOrThrow();
    expect(membership.role).toBe('author');
    const owner = await t.db.selectFrom('memberships').innerJoin('people', 'people.id', 'memberships.person_id').select('role').where('project_id', '=', projectId).where('email', '=', 'owner@example.gov').executeTakeFirstOrThrow();
    expect(owner.role).toBe('owner');
    expect(run.report.people.map((p) => [p.login, p.created])).toEqual([['ada', true], ['owner', false]]);

    // The published post: title decoded, GMT date, pinned, tags from categories and tags, announced.
    const hello = await postBySlug('hello-world');
    expect(hello).toBeDefined();
    expect(hello!.title).toBe('Hello & welcome to the field');
    expect(hello!.status).toBe('published');
    expect(hello!.published_at?.toISOString()).toBe('2020-06-01T09:30:00.000Z');
    expect(hello!.pinned_at).not.toBeNull();
    expect(hello!.announced_at).not.toBeNull();
    expect(hello!.atom_id).toMatch(/^tag:/);
    expect(hello!.summary).toContain('First paragraph with bold text');
    expect(hello!.body_md).toContain('**bold**');
    expect(hello!.body_md).toContain('![A field at dawn](https://old.example.org/blog/wp-content/uploads/2020/06/photo.png)');
    expect(hello!.body_md).toContain('*The field at dawn*');
    expect(hello!.body_md).toContain('A note'); // unknown shortcode: its text kept
    expect(hello!.body_html).toContain(']]&gt; stays.'); // CDATA split across sections
    expect(hello!.body_md).not.toContain('wp:paragraph');
    expect(hello!.body_html).toContain('<li>two</li>');
    const tags = await t.db.selectFrom('post_tags').innerJoin('tags', 'tags.id', 'post_tags.tag_id').select(['slug', 'name']).where('post_id', '=', hello!.id).orderBy('slug').execute();
    expect(tags).toEqual([{ slug: 'dawn', name: 'Dawn' }, { slug: 'field-work', name: 'Field work' }]);
    expect(run.report.notes.some((n) => n.reason.includes('[footnote]'))).toBe(true);

    // Statuses.
    expect((await postBySlug('coming-soon'))!.status).toBe('scheduled');
    expect((await postBySlug('coming-soon'))!.summary).toBe('A short summary.');
    expect((await postBySlug('a-draft'))!.status).toBe('draft');
    expect((await postBySlug('waiting'))!.status).toBe('review');
    expect((await postBySlug('private-thoughts'))!.status).toBe('draft');
    expect((await postBySlug('locked'))!.status).toBe('draft');
    const notPublic = run.report.notes.filter((n) => n.action === 'not-public').map((n) => n.wpId).sort();
    expect(notPublic).toEqual(['14', '15']);

    // Comments: threading, states, author URL; the pingback is a link under the post.
    const comments = await t.db.selectFrom('comments').selectAll().where('post_id', '=', hello!.id).orderBy('created_at').execute();
    const byName = Object.fromEntries(comments.map((c) => [c.author_name, c]));
    expect(byName.Grace!.status).toBe('approved');
    expect(byName.Grace!.author_url).toBe('https://grace.example.net/');
    expect(byName.Grace!.body_src).toBe('Lovely *photo*!');
    expect(byName['Ada Lovelace']!.parent_id).toBe(byName.Grace!.id);
    expect(byName.Alan!.parent_id).toBe(byName['Ada Lovelace']!.id);
    expect(byName.Alan!.depth).toBe(3);
    expect(byName.Waiting!.status).toBe('pending');
    expect(byName['Cheap pills']!.status).toBe('spam');
    expect(byName.Binned!.status).toBe('deleted');
    expect(comments.filter((c) => c.status === 'approved')).toHaveLength(3); // WordPress's approved count
    const links = await t.db.selectFrom('post_links').selectAll().where('post_id', '=', hello!.id).execute();
    expect(links.map((l) => [l.url, l.title])).toEqual([['https://another.example.com/2020/06/fields/', 'Another Blog » A post about fields']]);

    // The page, and the public post page shows the imported comments.
    const page = await t.db.selectFrom('pages').selectAll().where('project_id', '=', projectId).where('slug', '=', 'about').executeTakeFirstOrThrow();
    expect(page.body_html).toContain('<p>Every day.</p>');
    const html = (await get(t.app, '/field/posts/hello-world')).body;
    expect(html).toContain('Thank you, Grace.');
    expect(html).not.toContain('Held for moderation.');
    expect(html).not.toContain('Buy now');
  });

  it('imports the same file again without creating anything twice', async () => {
    const before = await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<string>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
    const commentsBefore = await t.db.selectFrom('comments').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const run = await importTexts(t, projectId, [fixture('demo-export.xml')]);
    expect(run.status).toBe('done');
    expect(run.report.counts.posts).toMatchObject({ created: 0, updated: 0, unchanged: 6 });
    expect(run.report.counts.comments).toMatchObject({ created: 0, updated: 0, unchanged: 6 });
    expect(run.report.counts.pings.created).toBe(0);
    expect(run.report.counts.pages).toMatchObject({ created: 0, unchanged: 1 });
    const after = await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<string>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
    const commentsAfter = await t.db.selectFrom('comments').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect(commentsAfter.n).toBe(commentsBefore.n);
  });

  it('a newer export adds what is new and updates what changed, and says which', async () => {
    const demo = fixture('demo-export.xml');
    const newer = demo.xml
      .replace('Second paragraph.', 'Second paragraph, corrected.')
      .replace('</channel>', `${post(50, 'A new post', 'New text.')}</channel>`);
    const run = await importTexts(t, projectId, [{ name: 'newer.xml', xml: newer }]);
    expect(run.report.counts.posts).toMatchObject({ created: 1, updated: 1, unchanged: 5 });
    expect(run.report.notes.find((n) => n.action === 'updated')?.wpId).toBe('10');
    expect((await postBySlug('hello-world'))!.body_md).toContain('Second paragraph, corrected.');
    expect((await postBySlug('post-50'))!.status).toBe('published');
  });

  it('a dry run reports what it would do and writes nothing', async () => {
    const other = await makeProject(t, 'dry');
    const run = await importTexts(t, other, [fixture('demo-export.xml')], { dryRun: true });
    expect(run.status).toBe('done');
    expect(run.report.counts.posts.created).toBe(6);
    const n = await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<string>().as('n')).where('project_id', '=', other).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
    const mapped = await t.db.selectFrom('import_items').select('wp_id').where('project_id', '=', other).execute();
    expect(mapped).toEqual([]);
  });
});

describe('bad and hostile files', () => {
  it('refuses a DOCTYPE with entities, saying why, and imports nothing', async () => {
    const other = await makeProject(t, 'xxe');
    const xml = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>` + wxr(post(1, '&lol2;', 'x')).replace(/^<\?xml[^>]*>/, '');
    // Refused as it is staged (server/import/upload-check.ts), before an import exists…
    await expect(importTexts(t, other, [{ name: 'bomb.xml', xml }])).rejects.toThrow('bomb.xml was refused: it declares a DOCTYPE');
    expect(await t.db.selectFrom('imports').select('id').where('project_id', '=', other).execute()).toEqual([]);
    const n = await t.db.selectFrom('posts').select('id').where('project_id', '=', other).execute();
    expect(n).toEqual([]);
    // …and by the reader itself, whatever hands it the bytes.
    const read = async () => {
      for await (const record of readWxr((async function* () { yield Buffer.from(xml); })(), 'bomb.xml')) void record;
    };
    await expect(read()).rejects.toThrow('bomb.xml was refused: it declares a DOCTYPE');
  });

  it('stops on malformed XML with the line and column, keeping the batches before it', async () => {
    const other = await makeProject(t, 'broken');
    const xml = wxr(`${post(1, 'Fine', 'ok')}\n<item><title>Broken</titel></item>`);
    const run = await importTexts(t, other, [{ name: 'broken.xml', xml }]);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/broken\.xml is not well-formed XML at line 7, column \d+: unexpected close tag/);
    expect(run.error).toContain('nothing will be imported twice');
    const posts = await t.db.selectFrom('posts').select('slug').where('project_id', '=', other).execute();
    expect(posts).toEqual([{ slug: 'post-1' }]);
  });

  it('reads an export split into several files, and refuses files from two sites', async () => {
    const other = await makeProject(t, 'split');
    const run = await importTexts(t, other, [{ name: 'a.xml', xml: wxr(post(1, 'One', 'a')) }, { name: 'b.xml', xml: wxr(post(2, 'Two', 'b')) }]);
    expect(run.status).toBe('done');
    expect(run.items_total).toBe(2);
    expect(run.report.counts.posts.created).toBe(2);
    const mixed = await importTexts(t, other, [{ name: 'a.xml', xml: wxr(post(1, 'One', 'a')) }, { name: 'c.xml', xml: wxr(post(3, 'Three', 'c'), 'http://other.example.org') }]);
    expect(mixed.status).toBe('failed');
    expect(mixed.error).toContain('different sites');
  });
});

describe('a crash part-way', () => {
  it('resumes after the last committed batch, with nothing duplicated', async () => {
    const other = await makeProject(t, 'resume');
    const xml = wxr([1, 2, 3, 4, 5].map((i) => post(i, `Post ${i}`, `Text ${i}`)).join('\n'));
    // The first try committed items 1-2 and then died: simulate its state (items 1-2 imported, progress 2).
    const first = await importTexts(t, other, [{ name: 'a.xml', xml: wxr([1, 2].map((i) => post(i, `Post ${i}`, `Text ${i}`)).join('\n')) }]);
    expect(first.report.counts.posts.created).toBe(2);
    const { createImport } = await import('../../server/import/jobs.js');
    const { runJobs } = await import('../helpers/test-app.js');
    const importId = await createImport(t.db, { projectId: other, createdBy: null, options: {}, files: [{ name: 'all.xml', chunks: (async function* () { yield Buffer.from(xml); })() }] });
    await t.db.updateTable('imports').set({ status: 'running', items_done: 2, items_total: 5 }).where('id', '=', importId).execute();
    await runJobs(t);
    const row = await t.db.selectFrom('imports').selectAll().where('id', '=', importId).executeTakeFirstOrThrow();
    expect(row.status).toBe('done');
    expect(row.items_done).toBe(5);
    expect((row.report as { counts: { posts: { created: number } } }).counts.posts.created).toBe(3);
    const posts = await t.db.selectFrom('posts').select('slug').where('project_id', '=', other).orderBy('slug').execute();
    expect(posts.map((p) => p.slug)).toEqual(['post-1', 'post-2', 'post-3', 'post-4', 'post-5']);
    // Staged chunks are removed once the import is done.
    expect(await t.db.selectFrom('import_chunks').select('seq').where('import_id', '=', importId).execute()).toEqual([]);
  });
});

describe('an item the importer cannot take', () => {
  // A post whose only date is outside what PostgreSQL can store: the importer throws on it (the database
  // refuses the value). It must be skipped alone, with its reason, and the rest of its batch imported.
  const badPost = `<item><title><![CDATA[Out of time]]></title><link>http://small.example.org/2/</link><dc:creator>writer</dc:creator>
<pubDate>-200000-01-01T00:00:00.000Z</pubDate><content:encoded><![CDATA[Never stored.]]></content:encoded><wp:post_id>2</wp:post_id>
<wp:post_name>out-of-time</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<wp:comment><wp:comment_id>700</wp:comment_id><wp:comment_author>Lost</wp:comment_author><wp:comment_content>Under the bad post.</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment></item>`;
  const comment = (id: number, author: string) =>
    `<wp:comment><wp:comment_id>${id}</wp:comment_id><wp:comment_author>${author}</wp:comment_author><wp:comment_content>Hello.</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent><wp:comment_date_gmt>2021-01-05 10:00:00</wp:comment_date_gmt></wp:comment>`;
  const xml = wxr([post(1, 'Before', 'One', comment(801, 'Ann')), badPost, post(3, 'After', 'Three', comment(803, 'Bea'))].join('\n'));

  it('is reported as skipped with its reason, and the rest of the batch is imported', async () => {
    const other = await makeProject(t, 'one-bad');
    const run = await importTexts(t, other, [{ name: 'bad.xml', xml }]);
    expect(run.status).toBe('done');
    expect(run.items_done).toBe(3);
    expect(run.report.counts.posts).toMatchObject({ created: 2, skipped: 1 });
    expect(run.report.counts.comments).toMatchObject({ created: 2 }); // not the bad post's comment
    const note = run.report.notes.find((n) => n.wpId === '2');
    expect(note).toMatchObject({ kind: 'posts', action: 'skipped', title: 'Out of time' });
    expect(note!.reason).toMatch(/could not be imported \(.*range/i);
    const posts = await t.db.selectFrom('posts').select('slug').where('project_id', '=', other).orderBy('slug').execute();
    expect(posts.map((p) => p.slug)).toEqual(['post-1', 'post-3']);
    const authors = await t.db.selectFrom('comments').innerJoin('posts', 'posts.id', 'comments.post_id').select('author_name').where('posts.project_id', '=', other).orderBy('author_name').execute();
    expect(authors.map((a) => a.author_name)).toEqual(['Ann', 'Bea']);
    // Nothing of the bad item is remembered, so a second import tries it again and duplicates nothing.
    const mapped = await t.db.selectFrom('import_items').select('wp_id').where('project_id', '=', other).where('kind', 'in', ['post', 'comment']).orderBy('wp_id').execute();
    expect(mapped.map((m) => m.wp_id)).toEqual(['1', '3', '801', '803']);
    const again = await importTexts(t, other, [{ name: 'bad.xml', xml }]);
    expect(again.status).toBe('done');
    expect(again.report.counts.posts).toMatchObject({ created: 0, unchanged: 2, skipped: 1 });
    expect(again.report.counts.comments).toMatchObject({ created: 0, unchanged: 2 });
    expect(await t.db.selectFrom('posts').select('id').where('project_id', '=', other).execute()).toHaveLength(2);
  });

  it('a dry run reports it the same way', async () => {
    const other = await makeProject(t, 'one-bad-dry');
    const run = await importTexts(t, other, [{ name: 'bad.xml', xml }], { dryRun: true });
    expect(run.status).toBe('done');
    expect(run.report.counts.posts).toMatchObject({ created: 2, skipped: 1 });
    expect(await t.db.selectFrom('posts').select('id').where('project_id', '=', other).execute()).toEqual([]);
  });
});

describe('galleries', () => {
  const attachment = (id: number, parent: number, order: number, file: string) =>
    `<item><title>${file}</title><wp:post_id>${id}</wp:post_id><wp:post_parent>${parent}</wp:post_parent><wp:menu_order>${order}</wp:menu_order>` +
    `<wp:post_type>attachment</wp:post_type><wp:status>inherit</wp:status><wp:attachment_url>http://small.example.org/wp-content/uploads/${file}</wp:attachment_url></item>`;

  it('[gallery] without ids shows the images attached to the post, in menu order, even when they come after it', async () => {
    const other = await makeProject(t, 'gallery');
    // The posts are in the first file; their attachments in the second, after them.
    const posts = wxr([post(10, 'Classic', 'Before\n\n[gallery columns="3"]\n\nAfter'), post(11, 'Excluded', '[gallery id="10" exclude="22"]'), post(12, 'Named', '[gallery ids="24,99"]'), post(13, 'Bare', '[gallery]')].join('\n'));
    const media = wxr([attachment(21, 10, 2, 'second.jpg'), attachment(22, 10, 1, 'first.png'), attachment(23, 10, 0, 'notes.pdf'), attachment(24, 14, 0, 'elsewhere.jpg')].join('\n'));
    const run = await importTexts(t, other, [{ name: 'posts.xml', xml: posts }, { name: 'media.xml', xml: media }]);
    expect(run.status).toBe('done');
    const body = async (slug: string) => (await t.db.selectFrom('posts').select('body_md').where('project_id', '=', other).where('slug', '=', slug).executeTakeFirstOrThrow()).body_md;
    const up = 'http://small.example.org/wp-content/uploads/';
    expect(await body('post-10')).toBe(`Before\n\n![](${up}first.png)\n\n![](${up}second.jpg)\n\nAfter`);
    expect(await body('post-11')).toBe(`![](${up}second.jpg)`); // another post's gallery, less what is excluded
    expect(await body('post-12')).toBe(`![](${up}elsewhere.jpg)`); // named ids resolve from later attachments too
    expect(await body('post-13')).toBe('');
    const reasons = run.report.notes.map((n) => `${n.wpId}: ${n.reason}`);
    expect(reasons.filter((r) => r.includes('not understood'))).toEqual([]);
    expect(reasons).toContain('12: Gallery images not found in the export (attachment ids 99).');
    expect(reasons.some((r) => r.startsWith('13: A gallery of the images attached to the post, but the export holds no image'))).toBe(true);
    expect(reasons.filter((r) => /^1[01]: /.test(r))).toEqual([]);
  });
});

describe('footnotes', () => {
  it('the text of block-editor footnotes comes from the post meta, and a changed note updates the post', async () => {
    const other = await makeProject(t, 'notes');
    const content = '<!-- wp:paragraph -->\n<p>Claim<sup data-fn="n1" class="fn"><a href="#n1" id="n1-link">1</a></sup></p>\n<!-- /wp:paragraph -->\n\n<!-- wp:footnotes /-->';
    const meta = (note: string) => `<wp:postmeta><wp:meta_key><![CDATA[footnotes]]></wp:meta_key><wp:meta_value><![CDATA[[{"id":"n1","content":"${note}"}]]]></wp:meta_value></wp:postmeta>`;
    const first = await importTexts(t, other, [{ name: 'a.xml', xml: wxr(post(30, 'Noted', content, meta('The first source'))) }]);
    expect(first.status).toBe('done');
    const body = async () => (await t.db.selectFrom('posts').select(['body_md', 'body_html']).where('project_id', '=', other).where('slug', '=', 'post-30').executeTakeFirstOrThrow());
    expect((await body()).body_md).toBe('Claim<sup>1</sup>\n\n1.  The first source');
    expect((await body()).body_html).toContain('<li>The first source</li>');
    const second = await importTexts(t, other, [{ name: 'a.xml', xml: wxr(post(30, 'Noted', content, meta('A better source'))) }]);
    expect(second.report.counts.posts).toMatchObject({ updated: 1, created: 0 });
    expect((await body()).body_md).toBe('Claim<sup>1</sup>\n\n1.  A better source');
  });
});

describe('titles holding HTML', () => {
  it('become the plain text WordPress shows (tags stripped, references decoded once), reported; hostile ones stay inert', async () => {
    const other = await makeProject(t, 'titles');
    const items = [
      post(40, 'Markup: Title <em>With</em> <b>Mark<sup>up</sup></b>', 'Body.'),
      post(41, 'Fish &amp;amp; chips<br>&amp; peas', 'Body.'),
      post(42, '<script>alert(1)</script>Safe <img src=x onerror=alert(2)>words', 'Body.'),
      post(43, '&lt;script&gt;alert(3)&lt;/script&gt; as text', 'Body.'),
      post(44, 'a < b &amp; c > d', 'Body.'),
    ];
    const run = await importTexts(t, other, [{ name: 'titles.xml', xml: wxr(items.join('\n')) }]);
    expect(run.status).toBe('done');
    const title = async (slug: string) => (await t.db.selectFrom('posts').select('title').where('project_id', '=', other).where('slug', '=', slug).executeTakeFirstOrThrow()).title;
    expect(await title('post-40')).toBe('Markup: Title With Markup');
    expect(await title('post-41')).toBe('Fish &amp; chips & peas');
    expect(await title('post-42')).toBe('Safe words');
    expect(await title('post-43')).toBe('<script>alert(3)</script> as text');
    expect(await title('post-44')).toBe('a < b & c > d');
    const changed = run.report.notes.filter((n) => n.reason.startsWith('Its title held HTML'));
    expect(changed.map((n) => [n.wpId, n.title])).toEqual([['40', 'Markup: Title With Markup'], ['41', 'Fish &amp; chips & peas'], ['42', 'Safe words']]);
    // Shown as text on the post page and in the feed: no element comes out of a title.
    const page = await get(t.app, '/titles/posts/post-43');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('&lt;script&gt;alert(3)&lt;/script&gt; as text');
    expect(page.body).not.toContain('<script>alert');
    const feed = await get(t.app, '/titles/feed.atom');
    expect(feed.body).not.toMatch(/<(script|img|em)\b/);
    expect((await get(t.app, '/titles/posts/post-40')).body).not.toContain('<em>With</em>');
  });
});

describe('one batch of new posts, written together at its end', () => {
  // New posts of a batch are inserted in one statement at its end: what the batch's own items look up
  // meanwhile (slugs, the same post listed twice, pingbacks that link to the post) must still see them.
  const named = (id: number, title: string, name: string, extra = '') => post(id, title, `Text of ${title}.`, extra).replace(`<wp:post_name>post-${id}</wp:post_name>`, `<wp:post_name>${name}</wp:post_name>`);
  const ping = `<wp:comment><wp:comment_id>901</wp:comment_id><wp:comment_author>Elsewhere</wp:comment_author><wp:comment_author_url>https://elsewhere.example.net/answer/</wp:comment_author_url><wp:comment_content>A ping.</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_type>pingback</wp:comment_type><wp:comment_parent>0</wp:comment_parent></wp:comment>`;
  const reply = `<wp:comment><wp:comment_id>902</wp:comment_id><wp:comment_author>Ann</wp:comment_author><wp:comment_content>A reply.</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>`;
  const tag = ['heronry:Heronry', 'zebra:zebra crossing', 'emigre:Émigré birds', 'apple:Apple'].map((t) => `<category domain="post_tag" nicename="${t.split(':')[0]}"><![CDATA[${t.split(':')[1]}]]></category>`).join('');
  const xml = wxr([named(1, 'First', 'same'), named(2, 'Second', 'same', tag), post(3, 'Twice', 'Listed twice.', reply), post(3, 'Twice', 'Listed twice.', reply), post(4, 'Pinged', 'Has a ping.', ping)].join('\n'));

  it('keeps slugs unique, a post listed twice once, and links pingbacks to their post', async () => {
    const other = await makeProject(t, 'one-batch');
    const run = await importTexts(t, other, [{ name: 'batch.xml', xml }]);
    expect(run.status).toBe('done');
    const posts = await t.db.selectFrom('posts').select(['id', 'slug']).where('project_id', '=', other).orderBy('slug').execute();
    expect(posts.map((p) => p.slug)).toEqual(['post-3', 'post-4', 'same', 'same-wp-2']);
    expect(run.report.counts.posts).toMatchObject({ created: 4, unchanged: 1 });
    expect(run.report.counts.comments).toMatchObject({ created: 1, unchanged: 1 });
    const pinged = posts.find((p) => p.slug === 'post-4')!;
    const links = await t.db.selectFrom('post_links').select(['post_id', 'url']).where('post_id', 'in', posts.map((p) => p.id)).execute();
    expect(links).toEqual([{ post_id: pinged.id, url: 'https://elsewhere.example.net/answer/' }]);
    const mapped = await t.db.selectFrom('import_items').select(['kind', 'wp_id']).where('project_id', '=', other).where('kind', 'in', ['post', 'comment', 'ping']).orderBy('kind').orderBy('wp_id').execute();
    expect(mapped.map((m) => `${m.kind}:${m.wp_id}`)).toEqual(['comment:902', 'ping:901', 'post:1', 'post:2', 'post:3', 'post:4']);
    // The search index holds a new post's tags, though they are written after the post.
    const found = await t.db.selectFrom('posts').select('slug').where('project_id', '=', other).where(sql<boolean>`search_vector @@ plainto_tsquery('english', 'heronry')`).execute();
    expect(found.map((p) => p.slug)).toEqual(['same-wp-2']);
    // Computed once, with the tags given (migration 0028), it is exactly what the database computes itself.
    const differ = await sql<{ n: number }>`SELECT count(*)::int AS n FROM posts WHERE project_id = ${other} AND search_vector IS DISTINCT FROM post_search_vector(id, title, summary, body_md, body_html)`.execute(t.db);
    expect(differ.rows[0]!.n).toBe(0);
    // Again: nothing new.
    const again = await importTexts(t, other, [{ name: 'batch.xml', xml }]);
    expect(again.report.counts.posts).toMatchObject({ created: 0, unchanged: 5 });
    expect(again.report.counts.pings).toMatchObject({ created: 0, unchanged: 1 });
    expect(await t.db.selectFrom('posts').select('id').where('project_id', '=', other).execute()).toHaveLength(4);
  });
});

describe('the statistics the import keeps up to date', () => {
  it('an ANALYZE that cannot have its lock in time is skipped, and the import goes on', async () => {
    const other = await makeProject(t, 'analyze-locked');
    const pg = (await import('pg')).default;
    const locker = new pg.Client({ connectionString: t.database.url });
    await locker.connect();
    try {
      // Someone's VACUUM (or ANALYZE) of import_items: it conflicts with ANALYZE, not with the import's writes.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE import_items IN SHARE UPDATE EXCLUSIVE MODE');
      const xml = wxr(Array.from({ length: 150 }, (_, i) => post(i + 1, `Post ${i + 1}`, `Text ${i + 1}.`)).join('\n'));
      const run = await importTexts(t, other, [{ name: 'many.xml', xml }]);
      expect(run.status).toBe('done');
      expect(run.report.counts.posts.created).toBe(150);
      expect(run.error).toBeNull();
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await locker.end();
    }
  });
});
