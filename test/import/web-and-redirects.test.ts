// The web side of the import: an owner uploads an export (multipart, CSRF), the progress page refreshes
// itself until the job is done and then shows the stored report; others may not import. And the old
// WordPress addresses answer 301: under /{project}/wp/… and, with WP_OLD_SITES, on the old host itself.
// The XSS corpus in titles, content and comment fields comes out inert on the pages and feeds.
import { DomUtils, parseDocument } from 'htmlparser2';
import { beforeAll, describe, expect, it } from 'vitest';
import { XSS_VECTORS } from '../markdown/fixtures/xss-vectors.js';
import { buildTestApp, cookiesFrom, createPerson, get, runJobs, signInAs, type TestApp } from '../helpers/test-app.js';
import { unsafe } from '../helpers/unsafe-html.js';
import { fixture, importTexts, makeProject, wxr } from './helpers.js';

let t: TestApp;
let projectId: number;

beforeAll(async () => {
  t = await buildTestApp({ env: { WP_OLD_SITES: 'old.example.org/blog=field' } });
  projectId = await makeProject(t);
});

function multipart(fields: Record<string, string>, files: Array<{ name: string; content: string }>) {
  const boundary = '----importtest';
  let body = '';
  for (const [k, v] of Object.entries(fields)) body += `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  for (const f of files) body += `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${f.name}"\r\ncontent-type: text/xml\r\n\r\n${f.content}\r\n`;
  body += `--${boundary}--\r\n`;
  return { payload: body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('the Import from WordPress page', () => {
  it('lets an owner upload an export, shows progress refreshing itself, then the report', async () => {
    const cookies = await signInAs(t, 'owner@example.gov');
    const form = await get(t.app, '/admin/projects/field/import', { cookies });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Import from WordPress');
    const jar = { ...cookies, ...cookiesFrom(form) };
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;

    const noToken = await t.app.inject({ method: 'POST', url: '/admin/projects/field/import', cookies: jar, ...multipart({}, [fixture('demo-export.xml').xml].map((c) => ({ name: 'demo-export.xml', content: c }))) });
    expect(noToken.statusCode).toBe(403);

    const empty = await t.app.inject({ method: 'POST', url: '/admin/projects/field/import', cookies: jar, ...multipart({ _csrf: token }, []) });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('Choose the WordPress export file');

    const sent = await t.app.inject({ method: 'POST', url: '/admin/projects/field/import', cookies: jar, ...multipart({ _csrf: token }, [{ name: 'demo-export.xml', content: fixture('demo-export.xml').xml }]) });
    expect(sent.statusCode).toBe(303);
    const progressUrl = sent.headers.location as string;
    const waiting = await get(t.app, progressUrl, { cookies });
    expect(waiting.body).toContain('<meta http-equiv="refresh" content="3">');
    expect(waiting.body).toMatch(/Waiting to start|Importing/);
    await runJobs(t);
    const done = await get(t.app, progressUrl, { cookies });
    expect(done.body).not.toContain('http-equiv="refresh"');
    expect(done.body).toContain('Finished');
    expect(done.body).toContain('Ada Lovelace (ada)');
    expect(done.body).toContain('It was private in WordPress');
    // Listed with earlier imports, readable later.
    expect((await get(t.app, '/admin/projects/field/import', { cookies })).body).toContain(progressUrl);
  });

  it('refuses people who are not owners', async () => {
    await createPerson(t, { email: 'writer@example.gov', handle: 'writer' }, { projectId, role: 'author' });
    const cookies = await signInAs(t, 'writer@example.gov');
    expect((await get(t.app, '/admin/projects/field/import', { cookies })).statusCode).toBe(403);
  });
});

describe('old WordPress addresses', () => {
  const location = async (url: string, headers: Record<string, string> = {}) => {
    const r = await t.app.inject({ method: 'GET', url, headers });
    return { status: r.statusCode, location: r.headers.location };
  };

  it('answer 301 under /{project}/wp/', async () => {
    expect(await location('/field/wp/2020/06/01/hello-world/')).toEqual({ status: 301, location: '/field/posts/hello-world' });
    expect(await location('/field/wp/?p=10')).toEqual({ status: 301, location: '/field/posts/hello-world' });
    expect(await location('/field/wp?p=10')).toEqual({ status: 301, location: '/field/posts/hello-world' });
    expect(await location('/field/wp/?page_id=20')).toEqual({ status: 301, location: '/field/pages/about' });
    expect(await location('/field/wp/2020/06/hello-world/')).toEqual({ status: 301, location: '/field/posts/hello-world' });
    expect(await location('/field/wp/hello-world/')).toEqual({ status: 301, location: '/field/posts/hello-world' });
    expect(await location('/field/wp/about/')).toEqual({ status: 301, location: '/field/pages/about' });
    expect(await location('/field/wp/category/field-work/')).toEqual({ status: 301, location: '/field/tags/field-work' });
    expect(await location('/field/wp/category/field-work/feed/')).toEqual({ status: 301, location: '/field/tags/field-work/feed.rss' });
    expect(await location('/field/wp/tag/dawn/')).toEqual({ status: 301, location: '/field/tags/dawn' });
    expect((await location('/field/wp/author/ada/')).location).toMatch(/^\/people\/ada-lovelace/);
    expect(await location('/field/wp/feed/')).toEqual({ status: 301, location: '/field/feed.rss' });
    expect(await location('/field/wp/feed/atom/')).toEqual({ status: 301, location: '/field/feed.atom' });
    expect(await location('/field/wp/comments/feed/')).toEqual({ status: 301, location: '/field/comments.atom' });
    expect(await location('/field/wp/2020/06/01/hello-world/feed/')).toEqual({ status: 301, location: '/field/posts/hello-world/comments.atom' });
    expect((await location('/field/wp/no-such-thing/')).status).toBe(404);
    expect((await location('/field/wp/?p=999')).status).toBe(404);
  });

  it('answer 301 on the old host itself with WP_OLD_SITES', async () => {
    expect(await location('/blog/?p=10', { host: 'old.example.org' })).toEqual({ status: 301, location: 'http://blogs.test/field/posts/hello-world' });
    expect(await location('/blog/feed/', { host: 'old.example.org' })).toEqual({ status: 301, location: 'http://blogs.test/field/feed.rss' });
  });
});

describe('hostile content', () => {
  // Imports ~150 hostile posts and reads every page: a generous runner limit for a busy machine (nothing is timed).
  it('the XSS corpus in titles, content and comment fields is inert on every page and feed', { timeout: 240_000 }, async () => {
    const hostileProject = await makeProject(t, 'hostile');
    // XML cannot carry control characters at all (a parser must refuse them), so they are left out here.
    const cdata = (s: string) => `<![CDATA[${s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
    const items = XSS_VECTORS.map(({ input: v }, i) => `<item><title>${cdata(v.slice(0, 250))}</title><link>http://small.example.org/x${i}/</link><dc:creator>${cdata('writer')}</dc:creator>
<content:encoded>${cdata(`${v}\n\n[caption]${v}[/caption]`)}</content:encoded><excerpt:encoded>${cdata(v)}</excerpt:encoded><wp:post_id>${i + 1}</wp:post_id>
<wp:post_date_gmt>2021-01-01 10:00:00</wp:post_date_gmt><wp:post_name>x-${i}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="post_tag" nicename="t${i}">${cdata(v.slice(0, 50))}</category>
<wp:comment><wp:comment_id>${1000 + i}</wp:comment_id><wp:comment_author>${cdata(v.slice(0, 90))}</wp:comment_author><wp:comment_author_email>${cdata(v)}</wp:comment_author_email>
<wp:comment_author_url>${cdata(v)}</wp:comment_author_url><wp:comment_date_gmt>2021-01-02 10:00:00</wp:comment_date_gmt><wp:comment_content>${cdata(v)}</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment></item>`).join('\n');
    const run = await importTexts(t, hostileProject, [{ name: 'hostile.xml', xml: wxr(items) }]);
    expect(run.error).toBeNull();
    expect(run.status).toBe('done');
    expect(run.report.counts.posts.created).toBe(XSS_VECTORS.length);
    const posts = await t.db.selectFrom('posts').select('slug').where('project_id', '=', hostileProject).execute();
    const pages = ['/hostile/', '/hostile/feed.atom', '/hostile/feed.rss', '/hostile/comments.atom', ...posts.map((p) => `/hostile/posts/${p.slug}`), ...posts.slice(0, 5).map((p) => `/hostile/posts/${p.slug}/comments.atom`)];
    for (const url of pages) {
      const r = await get(t.app, url);
      expect(r.statusCode, url).toBe(200);
      if (url.endsWith('.atom') || url.endsWith('.rss')) {
        // Feed content is escaped HTML: unescape the entries' content and check that markup.
        const doc = parseDocument(r.body, { xmlMode: true, decodeEntities: true });
        // Atom type="text" is shown as text by readers; everything else is read as HTML.
        for (const el of DomUtils.findAll((e) => ['content', 'description', 'summary', 'title'].includes(e.name) && e.attribs.type !== 'text', doc.children)) {
          expect(unsafe(DomUtils.textContent(el)), `${url} ${el.name}`).toEqual([]);
        }
      } else expect(unsafe(r.body), url).toEqual([]);
    }
  });
});
