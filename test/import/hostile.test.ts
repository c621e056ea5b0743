// What a hostile visitor or a confused new user can send to the WordPress import's web side: odd old
// addresses, bad uploads, other people's imports. Every answer is a clear page, never a 500.
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cookiesFrom, get, runJobs, signInAs, type TestApp } from '../helpers/test-app.js';
import { fixture, importTexts, makeProject, post, wxr } from './helpers.js';
import { readWxr } from '../../server/import/wxr-parser.js';

let t: TestApp;
let projectId: number;

beforeAll(async () => {
  t = await buildTestApp({ env: { WP_OLD_SITES: 'old.example.org/blog=field', IMPORT_UPLOAD_MAX_MB: '2' } });
  projectId = await makeProject(t, 'field');
  const run = await importTexts(t, projectId, [fixture('demo-export.xml')]);
  expect(run.status).toBe('done');
});

describe('hostile old addresses', () => {
  const answer = async (url: string, headers: Record<string, string> = {}) => {
    const r = await get(t.app, url, { headers });
    return { status: r.statusCode, location: r.headers.location };
  };

  it('a NUL anywhere in an old address is a 404, never a 500', async () => {
    for (const url of ['/field/wp/author/a%00b/', '/field/wp/a%00b/', '/field/wp/2020/06/01/hello-world%00/', '/field/wp/%00/feed/', '/field/wp/category/%00/', '/field/wp/tag/a%00b/feed/', '/field/wp/a%2500/']) {
      expect(await answer(url), url).toEqual({ status: 404, location: undefined });
    }
    // On the old host itself (WP_OLD_SITES), whatever is not found goes to the project's home.
    expect(await answer('/blog/author/a%00/', { host: 'old.example.org' })).toEqual({ status: 301, location: 'http://blogs.test/field/' });
  });

  it('?p= and ?page_id= that name no item are a 404, not the home page', async () => {
    for (const url of ['/field/wp/?p=99999999999999999999', '/field/wp/?p=9999999999999999999', '/field/wp/?p=1%00', '/field/wp/?p=-1', '/field/wp/?p=abc', '/field/wp/?page_id=1%00', '/field/wp/?page_id=', '/field/wp/feed/?feed=%00&p=%ff']) {
      expect(await answer(url), url).toEqual({ status: 404, location: undefined });
    }
    expect(await answer('/field/wp/?p=10')).toEqual({ status: 301, location: '/field/posts/hello-world' });
    expect(await answer('/field/wp/?p=10&p=20')).toEqual({ status: 301, location: '/field/posts/hello-world' });
  });

  it('give away nothing of a post that is not public (draft, scheduled, review, private, password)', async () => {
    // WordPress ids 11 (future), 12 (draft, no slug: its slug comes from its title), 13 (pending),
    // 14 (private), 15 (password-protected) in the demo export.
    const hidden = await t.db.selectFrom('posts').select('slug').where('project_id', '=', projectId).where('status', '!=', 'published').execute();
    expect(hidden.length).toBeGreaterThanOrEqual(4);
    const urls = ['/field/wp/?p=11', '/field/wp/?p=12', '/field/wp/?p=13', '/field/wp/?p=14', '/field/wp/?p=15', '/field/wp/private-thoughts/', '/field/wp/locked/', '/field/wp/locked/feed/', '/field/wp/coming-soon/', '/field/wp/waiting/'];
    for (const url of urls) expect(await answer(url), url).toEqual({ status: 404, location: undefined });
    // Once published here, the old address leads to it.
    await t.db.updateTable('posts').set({ status: 'published', published_at: new Date(t.clock.now().getTime() - 86_400_000) }).where('project_id', '=', projectId).where('slug', '=', 'waiting').execute();
    expect(await answer('/field/wp/?p=13')).toEqual({ status: 301, location: '/field/posts/waiting' });
    expect(await answer('/field/wp/waiting/')).toEqual({ status: 301, location: '/field/posts/waiting' });
  });

  it('malformed escapes, very long paths and odd feed queries are 404s or the right 301', async () => {
    for (const url of ['/field/wp/category/%ZZ/', '/field/wp/author/%ZZ/', '/field/wp/%C0%AF/', '/field/wp/..%2F..%2Fetc/passwd', `/field/wp/${'a/'.repeat(3000)}`, `/field/wp/${'x'.repeat(8000)}/`, `/field/wp/category/${'a/'.repeat(3000)}`, `/field/wp/author/${'é'.repeat(2000)}/`]) {
      expect((await answer(url)).status, url.slice(0, 60)).toBe(404);
    }
    expect(await answer(`/field/wp/feed/?${'a=1&'.repeat(1000)}`)).toEqual({ status: 301, location: '/field/feed.rss' });
    expect(await answer('/field/wp/comments/feed/?%')).toEqual({ status: 301, location: '/field/comments.atom' });
    expect(await answer('/field/wp?feed=atom%00')).toEqual({ status: 301, location: '/field/feed.rss' });
    expect(await answer('/field/wp/feed/atom/?feed=rss2&%ZZ')).toEqual({ status: 301, location: '/field/feed.atom' });
  });
});

describe('hostile and mistaken uploads', () => {
  let jar: Record<string, string>;
  let token: string;
  let uploadProject: number;
  beforeAll(async () => {
    uploadProject = await makeProject(t, 'uploads');
    const cookies = await signInAs(t, 'owner@example.gov');
    const form = await get(t.app, '/admin/projects/uploads/import', { cookies });
    jar = { ...cookies, ...cookiesFrom(form) };
    token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  });

  type File = { name: string; content: string | Buffer };
  /** A browser's order: the token, the files, then the two boxes (ticked here, so that keeping them shows). */
  function multipart(files: File[], after: Record<string, string> = { fetch_media: 'on', dry_run: 'on' }) {
    const boundary = '----hostile';
    const field = (k: string, v: string) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
    const parts: Buffer[] = [Buffer.from(field('_csrf', token))];
    for (const f of files) {
      parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${f.name}"\r\ncontent-type: application/octet-stream\r\n\r\n`, 'latin1'));
      parts.push(Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content));
      parts.push(Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`${Object.entries(after).map(([k, v]) => field(k, v)).join('')}--${boundary}--\r\n`));
    return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
  }
  const send = (files: File[], after?: Record<string, string>) => t.app.inject({ method: 'POST', url: '/admin/projects/uploads/import', cookies: jar, ...multipart(files, after) });
  const stored = async () => ({
    imports: (await t.db.selectFrom('imports').select('id').where('project_id', '=', uploadProject).execute()).length,
    chunks: (await t.db.selectFrom('import_chunks').select('seq').execute()).length,
    posts: (await t.db.selectFrom('posts').select('id').where('project_id', '=', uploadProject).execute()).length,
  });
  /** The form again: 422, the message in the error summary linked to the file field, both boxes still ticked, nothing stored. */
  async function refusedOnForm(files: File[], message: string | RegExp) {
    const before = await stored();
    const r = await send(files);
    expect(r.statusCode, message.toString()).toBe(422);
    const summary = /<div class="error-summary"[\s\S]*?<\/div>/.exec(r.body)?.[0] ?? '';
    expect(summary).toContain('href="#import-file"');
    expect(summary).toMatch(message);
    expect(summary).toContain('Nothing was imported.');
    expect(r.body).toMatch(/<input[^>]*name="fetch_media"[^>]*checked/);
    expect(r.body).toMatch(/<input[^>]*name="dry_run"[^>]*checked/);
    expect(await stored()).toEqual(before);
    return summary;
  }
  const good = () => fixture('demo-export.xml').xml;

  it('refuses what is not a WordPress export on the form, saying what it is, keeping the options', async () => {
    await refusedOnForm([{ name: 'empty.xml', content: '' }], 'empty.xml is empty (0 bytes)');
    await refusedOnForm([{ name: 'photo.png', content: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') }], 'photo.png is a PNG image, not a WordPress export');
    await refusedOnForm([{ name: 'page.html', content: '<!DOCTYPE html><html><body>Hello</body></html>' }], 'page.html is a web page (HTML)');
    await refusedOnForm([{ name: 'page.htm', content: '\n<html lang="en"><p>Hello' }], 'page.htm is a web page (HTML)');
    await refusedOnForm([{ name: 'posts.json', content: '{"posts": []}' }], 'posts.json is a JSON file');
    await refusedOnForm([{ name: 'notes.txt', content: 'Just some notes' }], 'notes.txt is not a WordPress export: it is not XML');
    await refusedOnForm([{ name: 'feed.xml', content: '<?xml version="1.0"?><rss version="2.0"><channel><title>A blog</title><item><title>A post</title></item></channel></rss>' }], 'feed.xml is an RSS feed, not a WordPress export');
    await refusedOnForm([{ name: 'atom.xml', content: '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A blog</title></feed>' }], 'atom.xml is an Atom feed');
    await refusedOnForm([{ name: 'export.zip', content: Buffer.from('504b030414000000080000000000', 'hex') }], /export\.zip is a zip archive[\s\S]*Unzip it and upload the \.xml file inside/);
    await refusedOnForm([{ name: 'lol.xml', content: '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><rss><channel>&lol2;</channel></rss>' }], 'lol.xml was refused: it declares a DOCTYPE');
    await refusedOnForm([{ name: 'xxe.xml', content: '<?xml version="1.0"?>\n<!-- hi -->\n<!DOCTYPE rss SYSTEM "file:///etc/passwd"><rss/>' }], 'xxe.xml was refused: it declares a DOCTYPE');
    await refusedOnForm([{ name: 'broken.xml.gz', content: gzipSync(good()).subarray(0, 200) }], 'broken.xml.gz looks gzip-compressed but could not be decompressed');
  });

  it('refuses a file that is not UTF-8, naming the line, instead of importing "�"', async () => {
    const xml = wxr(post(1, 'Café', 'crème'));
    const at = xml.indexOf('Café');
    const broken = Buffer.concat([Buffer.from(xml.slice(0, at)), Buffer.from([0x43, 0x61, 0x66, 0xe9]), Buffer.from(xml.slice(at + 4))]);
    const line = xml.slice(0, at).split('\n').length;
    await refusedOnForm([{ name: 'latin.xml', content: broken }], `latin.xml is not UTF-8 text: line ${line} has bytes that are not UTF-8`);
  });

  it('reads an export whose declaration names another encoding (ISO-8859-1), as that encoding', async () => {
    const xml = wxr(post(2, 'Café au lait', 'Crème brûlée')).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    const sent = await send([{ name: 'old-site.xml', content: Buffer.from(xml, 'latin1') }], {});
    expect(sent.statusCode).toBe(303);
    await runJobs(t);
    const row = await t.db.selectFrom('posts').select(['title', 'body_md']).where('project_id', '=', uploadProject).where('title', 'like', 'Caf%').executeTakeFirstOrThrow();
    expect(row.title).toBe('Café au lait');
    expect(row.body_md).toContain('Crème brûlée');
    await refusedOnForm([{ name: 'odd.xml', content: wxr('').replace('encoding="UTF-8"', 'encoding="x-klingon"') }], 'odd.xml declares the text encoding “x-klingon”, which this site cannot read');
    // A site whose setting says ISO-8859-1 but whose text is UTF-8 (common): read as UTF-8, not as "CafÃ©".
    const mislabelled = wxr(post(4, 'Thé vert', 'Déjà vu')).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    expect((await send([{ name: 'mislabelled.xml', content: Buffer.from(mislabelled, 'utf8') }], {})).statusCode).toBe(303);
    await runJobs(t);
    const tea = await t.db.selectFrom('posts').select(['title', 'body_md']).where('project_id', '=', uploadProject).where('title', 'like', 'Th%').executeTakeFirstOrThrow();
    expect(tea.title).toBe('Thé vert');
    expect(tea.body_md).toContain('Déjà vu');
  });

  it('imports a gzip-compressed export; a gzip bomb stops at the upload limit, nothing kept', async () => {
    const sent = await send([{ name: 'export.xml.gz', content: gzipSync(good()) }], {});
    expect(sent.statusCode).toBe(303);
    await runJobs(t);
    const page = await get(t.app, sent.headers.location as string, { cookies: jar });
    expect(page.body).toContain('Finished');
    expect(page.body).toContain('export.xml.gz');
    // 50 MB of one post's text in about 50 KB: over the 2 MB limit once decompressed.
    const before = await stored();
    const bomb = gzipSync(wxr(post(3, 'Bomb', 'x'.repeat(50 * 1024 * 1024))));
    expect(bomb.length).toBeLessThan(200 * 1024);
    const r = await send([{ name: 'bomb.xml.gz', content: bomb }]);
    expect(r.statusCode).toBe(413);
    expect(r.body).toContain('The upload is larger than 2 MB');
    expect(await stored()).toEqual(before);
  });

  it('two files where one is bad: refused whole, naming the bad one, nothing kept', async () => {
    await refusedOnForm([{ name: 'part1.xml', content: good() }, { name: 'part2.png', content: Buffer.from('89504e470d0a1a0a', 'hex') }], 'part2.png is a PNG image');
    await refusedOnForm([{ name: 'part1.html', content: '<html></html>' }, { name: 'part2.xml', content: good() }], 'part1.html is a web page');
  });

  it('a file that breaks halfway: the report says where, and how much was imported, and how to go on', async () => {
    const items = Array.from({ length: 120 }, (_, i) => post(500 + i, `Fine ${i}`, 'ok')).join('\n');
    const sent = await send([{ name: 'half.xml', content: wxr(`${items}\n<item><title>Broken</titel></item>`) }], {});
    expect(sent.statusCode).toBe(303);
    await runJobs(t);
    const page = await get(t.app, sent.headers.location as string, { cookies: jar });
    const status = /<div role="status">([\s\S]*?)<\/div>/.exec(page.body)?.[1] ?? '';
    expect(status).toContain('The import stopped.');
    expect(page.body).toMatch(/<title>(Error: )?Stopped: import \d+, Field notes/);
    expect(status).toMatch(/half\.xml is not well-formed XML at line \d+, column \d+/);
    expect(status).toContain('The 120 items before it were imported');
    expect(status).toContain('120 of 121 items were imported before it stopped.');
    expect(status).toContain(`<a href="/admin/projects/uploads/import">Choose a file and import again</a>`);
    expect(page.body).not.toContain('http-equiv="refresh"');
  });

  it('a third upload while two are still arriving is refused at once (each holds a database connection)', async () => {
    const before = await stored();
    const boundary = '----slow';
    const opened = [new PassThrough(), new PassThrough()];
    const slow = opened.map((body) => {
      body.write(`--${boundary}\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="slow.xml"\r\ncontent-type: text/xml\r\n\r\n`);
      body.write(good().slice(0, 2000));
      return t.app.inject({ method: 'POST', url: '/admin/projects/uploads/import', cookies: jar, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
    });
    // Both are being received (each staging transaction waits for more of its file) before the third is
    // sent: a condition waited for, not a time (the test's own timeout bounds it).
    for (;;) {
      const { rows } = await (await import('kysely')).sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`.execute(t.db);
      if (rows[0]!.n >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const third = await send([{ name: 'export.xml', content: good() }]);
    expect(third.statusCode).toBe(503);
    expect(third.headers['retry-after']).toBe('60');
    expect(third.body).toContain('This server is already receiving 2 uploads');
    for (const body of opened) body.end(`${good().slice(2000)}\r\n--${boundary}\r\ncontent-disposition: form-data; name="dry_run"\r\n\r\non\r\n--${boundary}--\r\n`);
    expect((await Promise.all(slow)).map((r) => r.statusCode)).toEqual([303, 303]);
    // Once they are in, uploads are taken again.
    expect((await send([{ name: 'export.xml', content: good() }])).statusCode).toBe(303);
    expect((await stored()).imports).toBe(before.imports + 3);
    await runJobs(t);
  });

  it('too many files is a message on the form with the options kept, not a bare 400', async () => {
    const before = await stored();
    const r = await send(Array.from({ length: 7 }, (_, i) => ({ name: `part${i}.xml`, content: good() })));
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('Choose at most 5 files at once');
    expect(r.body).toMatch(/<input[^>]*name="dry_run"[^>]*checked/);
    expect(await stored()).toEqual(before);
  });

  it('a file name with a path, markup or control characters is stored without them and shown escaped', async () => {
    const sent = await send([{ name: Buffer.from('..\\..\\<img src=x onerror=alert(1)>\u0000\u0007\u202egpj.xml', 'utf8').toString('latin1'), content: good() }], {});
    expect(sent.statusCode).toBe(303);
    const row = await t.db.selectFrom('imports').select('file_names').where('project_id', '=', uploadProject).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(row.file_names[0]).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(row.file_names[0]).toContain('gpj.xml');
    await runJobs(t);
    for (const url of [sent.headers.location as string, '/admin/projects/uploads/import']) {
      const page = await get(t.app, url, { cookies: jar });
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain('<img src=x');
      expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
  });
});

describe('who may import, and whose imports', () => {
  it('only owners (and site admins) see, start or read imports; no import is readable through another project', async () => {
    const otherId = await makeProject(t, 'other');
    const mine = await importTexts(t, projectId, [fixture('demo-export.xml')], { dryRun: true });
    const theirs = await importTexts(t, otherId, [fixture('demo-export.xml')], { dryRun: true });
    const { createPerson } = await import('../helpers/test-app.js');
    for (const role of ['editor', 'author', 'contributor', 'moderator'] as const) await createPerson(t, { email: `${role}@example.gov`, handle: `a-${role}` }, { projectId, role });
    await createPerson(t, { email: 'other-owner@example.gov', handle: 'other-owner' }, { projectId: otherId, role: 'owner' });
    await createPerson(t, { email: 'admin@example.gov', handle: 'site-admin', siteAdmin: true });
    const urls = ['/admin/projects/field/import', `/admin/projects/field/import/${mine.id}`];
    for (const who of ['editor', 'author', 'contributor', 'moderator', 'other-owner']) {
      const cookies = await signInAs(t, `${who}@example.gov`);
      for (const url of urls) {
        const r = await get(t.app, url, { cookies });
        expect(r.statusCode, `${who} ${url}`).toBe(403);
        expect(r.body).not.toContain('Ada Lovelace');
      }
      // A POST is refused too (the CSRF check would refuse it anyway; the role check comes first).
      const page = await get(t.app, '/admin/projects/other/import', { cookies: await signInAs(t, 'other-owner@example.gov') });
      const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const post = await t.app.inject({ method: 'POST', url: '/admin/projects/field/import', cookies: { ...cookies, ...cookiesFrom(page) }, headers: { 'content-type': 'multipart/form-data; boundary=b' }, payload: `--b\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--b\r\ncontent-disposition: form-data; name="file"; filename="x.xml"\r\n\r\n${fixture('demo-export.xml').xml}\r\n--b--\r\n` });
      expect(post.statusCode, who).toBe(403);
    }
    // The owner of the other project cannot read this project's import through their own project's address.
    const otherOwner = await signInAs(t, 'other-owner@example.gov');
    expect((await get(t.app, `/admin/projects/other/import/${mine.id}`, { cookies: otherOwner })).statusCode).toBe(404);
    expect((await get(t.app, `/admin/projects/other/import/${theirs.id}`, { cookies: otherOwner })).statusCode).toBe(200);
    // Anonymous: sent to sign in; a site admin may.
    expect([302, 303]).toContain((await get(t.app, urls[1]!)).statusCode);
    const admin = await signInAs(t, 'admin@example.gov');
    expect((await get(t.app, urls[1]!, { cookies: admin })).statusCode).toBe(200);
    // Odd ids are 404s, never 500s.
    const owner = await signInAs(t, 'owner@example.gov');
    for (const id of ['0', '-1', '99999999999', 'abc', '1.5', '%00']) expect((await get(t.app, `/admin/projects/field/import/${id}`, { cookies: owner })).statusCode, id).toBe(404);
  });

  it('an archived project offers no upload form, and refuses an upload saying why', async () => {
    const id = await makeProject(t, 'archived');
    const cookies = await signInAs(t, 'owner@example.gov');
    const form = await get(t.app, '/admin/projects/archived/import', { cookies });
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    await t.db.updateTable('projects').set({ status: 'archived' }).where('id', '=', id).execute();
    const page = await get(t.app, '/admin/projects/archived/import', { cookies });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('this project is read-only, so nothing can be imported into it');
    expect(page.body).not.toContain('enctype="multipart/form-data"');
    const r = await t.app.inject({ method: 'POST', url: '/admin/projects/archived/import', cookies: { ...cookies, ...cookiesFrom(form) }, headers: { 'content-type': 'multipart/form-data; boundary=b' }, payload: `--b\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--b\r\ncontent-disposition: form-data; name="file"; filename="x.xml"\r\n\r\n${fixture('demo-export.xml').xml}\r\n--b--\r\n` });
    expect(r.statusCode).toBe(403);
    expect(r.body).toContain('This project is archived, so it is read-only.');
    expect(await t.db.selectFrom('imports').select('id').where('project_id', '=', id).execute()).toEqual([]);
  });

  it('a CSRF token of another session is refused before any file is read', async () => {
    // The victim has been on the form (so has a CSRF secret); the forger sends a token from their own form.
    const victim = await signInAs(t, 'owner@example.gov');
    const owner = { ...victim, ...cookiesFrom(await get(t.app, '/admin/projects/field/import', { cookies: victim })) };
    const otherSession = await signInAs(t, 'owner@example.gov');
    const page = await get(t.app, '/admin/projects/field/import', { cookies: otherSession });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const before = (await t.db.selectFrom('imports').select('id').execute()).length;
    const r = await t.app.inject({ method: 'POST', url: '/admin/projects/field/import', cookies: owner, headers: { 'content-type': 'multipart/form-data; boundary=b' }, payload: `--b\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--b\r\ncontent-disposition: form-data; name="file"; filename="x.xml"\r\n\r\n${fixture('demo-export.xml').xml}\r\n--b--\r\n` });
    expect(r.statusCode).toBe(403);
    expect((await t.db.selectFrom('imports').select('id').execute()).length).toBe(before);
    // The victim's own token passes (no file chosen: the form's message).
    const ownToken = /name="_csrf" value="([^"]+)"/.exec((await get(t.app, '/admin/projects/field/import', { cookies: owner })).body)![1]!;
    const own = await t.app.inject({ method: 'POST', url: '/admin/projects/field/import', cookies: owner, headers: { 'content-type': 'multipart/form-data; boundary=b' }, payload: `--b\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${ownToken}\r\n--b--\r\n` });
    expect(own.statusCode).toBe(422);
  });
});

describe('two imports at once on one project', () => {
  it('two tabs: the second waits for the first (its page says so), then finds everything already there', async () => {
    const slug = 'twotabs';
    const id = await makeProject(t, slug);
    const cookies = await signInAs(t, 'owner@example.gov');
    const form = await get(t.app, `/admin/projects/${slug}/import`, { cookies });
    const jar = { ...cookies, ...cookiesFrom(form) };
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const upload = () => t.app.inject({ method: 'POST', url: `/admin/projects/${slug}/import`, cookies: jar, headers: { 'content-type': 'multipart/form-data; boundary=b' }, payload: `--b\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--b\r\ncontent-disposition: form-data; name="file"; filename="export.xml"\r\n\r\n${fixture('demo-export.xml').xml}\r\n--b--\r\n` });
    const [first, second] = await Promise.all([upload(), upload()]);
    expect([first.statusCode, second.statusCode]).toEqual([303, 303]);
    const [a, b] = [first, second].map((r) => Number(/\/import\/(\d+)$/.exec(r.headers.location as string)![1])).sort((x, y) => x - y);
    const waiting = await get(t.app, `/admin/projects/${slug}/import/${b}`, { cookies: jar });
    expect(waiting.body).toContain(`<a href="/admin/projects/${slug}/import/${a}">import ${a}</a> has not finished yet`);
    expect(waiting.body).toContain('<meta http-equiv="refresh" content="3">');
    expect(waiting.body).toContain(`<title>Waiting: import ${b}, Field notes`);
    // Without script, in a status region; and a person whom the reloads disturb can stop them.
    expect(waiting.body).toMatch(/<div role="status">[\s\S]*Waiting to start/);
    expect(waiting.body).toContain(`<a href="/admin/projects/${slug}/import/${b}?refresh=off">stop refreshing by itself</a>`);
    // Whichever is running is the one the other waits for (the later upload's job may be queued first).
    await t.db.updateTable('imports').set({ status: 'running' }).where('id', '=', b!).execute();
    const aWaits = await get(t.app, `/admin/projects/${slug}/import/${a}`, { cookies: jar });
    expect(aWaits.body).toContain(`<a href="/admin/projects/${slug}/import/${b}">import ${b}</a> has not finished yet`);
    await t.db.updateTable('imports').set({ status: 'queued' }).where('id', '=', b!).execute();
    const still = await get(t.app, `/admin/projects/${slug}/import/${b}?refresh=off`, { cookies: jar });
    expect(still.statusCode).toBe(200);
    expect(still.body).not.toContain('http-equiv="refresh"');
    expect(still.body).toContain(`<a href="/admin/projects/${slug}/import/${b}?refresh=off">Refresh now</a>`);

    // Two servers' workers on the one database, running at once: a project's imports still run one after
    // the other (one named queue), so the second sees the first's posts and creates nothing twice.
    const { buildApp } = await import('../../server/app.js');
    const second2 = await buildApp({ config: t.config, db: t.db, clock: t.clock });
    try {
      await Promise.all([t.app.jobs.runUntilIdle(), second2.jobs.runUntilIdle()]);
      await runJobs(t);
    } finally {
      await second2.close();
    }
    const runs = await t.db.selectFrom('imports').select(['id', 'status', 'report']).where('project_id', '=', id).orderBy('id').execute();
    expect(runs.map((r) => r.status)).toEqual(['done', 'done']);
    // The two uploads arrive at once, so which one's job is queued first (when its file is stored) is not
    // fixed: one import created the posts, the other found them all there.
    const counts = runs.map((r) => (r.report as { counts: { posts: { created: number; unchanged: number } } }).counts.posts).sort((x, y) => y.created - x.created);
    expect(counts[0]!.created).toBe(6);
    expect(counts[1]).toMatchObject({ created: 0, unchanged: 6 });
    expect((await t.db.selectFrom('posts').select('id').where('project_id', '=', id).execute()).length).toBe(6);
    const done = await get(t.app, `/admin/projects/${slug}/import/${b}`, { cookies: jar });
    expect(done.body).toContain(`<title>Finished: import ${b}, Field notes`);
    expect(done.body).not.toContain('has not finished yet');
    expect(done.body).not.toContain('http-equiv="refresh"');
  });
});

describe('the report of a hostile export', () => {
  it('titles, people, reasons and file names from the export are inert on the report and form pages', async () => {
    const { XSS_VECTORS } = await import('../markdown/fixtures/xss-vectors.js');
    const { unsafe } = await import('../helpers/unsafe-html.js');
    const slug = 'hostile-report';
    await makeProject(t, slug);
    const cdata = (s: string) => `<![CDATA[${s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
    const vectors = XSS_VECTORS.map((v) => v.input);
    // Authors with hostile names and logins; private posts (a note each, with its title), tagged titles
    // (a "changed" note with the original), unknown shortcodes (a note naming them), pages in draft.
    const authors = vectors.slice(0, 20).map((v, i) => `<wp:author><wp:author_id>${i + 1}</wp:author_id><wp:author_login>${cdata(`${v.slice(0, 40)}${i}`)}</wp:author_login><wp:author_email>${cdata(`a${i}@example.org`)}</wp:author_email><wp:author_display_name>${cdata(v)}</wp:author_display_name></wp:author>`).join('\n');
    const items = vectors.map((v, i) => `<item><title>${cdata(v.slice(0, 250))}</title><dc:creator>${cdata(`${vectors[i % 20]!.slice(0, 40)}${i % 20}`)}</dc:creator>
<content:encoded>${cdata(`[${v.replace(/[\[\]]/g, '').slice(0, 30)} x="${v}"]text[/x]`)}</content:encoded><wp:post_id>${i + 1}</wp:post_id><wp:post_date_gmt>2021-01-01 10:00:00</wp:post_date_gmt>
<wp:post_name>${cdata(v.slice(0, 60))}</wp:post_name><wp:status>${['private', 'publish', 'draft'][i % 3]}</wp:status><wp:post_type>${i % 5 === 4 ? 'page' : 'post'}</wp:post_type><wp:post_password>${i % 7 === 0 ? cdata(v) : ''}</wp:post_password></item>`).join('\n');
    const xml = wxr(`${authors}\n${items}`);
    const cookies = await signInAs(t, 'owner@example.gov');
    const form = await get(t.app, `/admin/projects/${slug}/import`, { cookies });
    const jar = { ...cookies, ...cookiesFrom(form) };
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const fileName = `"><svg onload=alert(1)>.xml`;
    const sent = await t.app.inject({ method: 'POST', url: `/admin/projects/${slug}/import`, cookies: jar, headers: { 'content-type': 'multipart/form-data; boundary=b' }, payload: `--b\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--b\r\ncontent-disposition: form-data; name="file"; filename="${fileName.replace(/"/g, '%22')}"\r\n\r\n${xml}\r\n--b--\r\n` });
    expect(sent.statusCode).toBe(303);
    await runJobs(t);
    const report = await get(t.app, sent.headers.location as string, { cookies });
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain('Finished');
    expect(report.body).toContain('Items skipped or changed');
    expect(report.body).toContain('<h2>People</h2>');
    expect(unsafe(report.body)).toEqual([]);
    // Every page of the notes.
    for (let page = 2, more = report.body.includes('Next notes'); more; page++) {
      const next = await get(t.app, `${sent.headers.location as string}?page=${page}`, { cookies });
      expect(next.statusCode).toBe(200);
      expect(unsafe(next.body)).toEqual([]);
      more = next.body.includes('Next notes');
    }
    const list = await get(t.app, `/admin/projects/${slug}/import`, { cookies });
    expect(unsafe(list.body)).toEqual([]);
  });
});

describe('a huge single text node', () => {
  it('is refused with its line once it passes 8 MB, without the reader holding the rest of it', async () => {
    const [head, tail] = wxr(post(1, 'Huge', 'HUGE')).split('HUGE') as [string, string];
    let pulled = 0;
    const total = 100; // 1 MB pieces: a 100 MB post body
    async function* chunks() {
      yield Buffer.from(head);
      const piece = Buffer.from('All work and no play. '.repeat(47_663)); // ~1 MB, no markup
      for (let i = 0; i < total; i++) {
        pulled++;
        yield piece;
      }
      yield Buffer.from(tail);
    }
    const read = async () => {
      for await (const record of readWxr(chunks(), 'huge.xml')) void record;
    };
    await expect(read()).rejects.toThrow(/^huge\.xml was refused at line 5: it holds a single text .* of more than 8 MB/);
    expect(pulled).toBeLessThan(12);
    // A long post under the bound is read whole.
    let content = '';
    for await (const record of readWxr((async function* () { yield Buffer.from(wxr(post(2, 'Long', 'x'.repeat(5_000_000)))); })(), 'long.xml')) if (record.type === 'item') content = record.content;
    expect(content.length).toBe(5_000_000);
  });
});

describe('a report with many notes', () => {
  it('is shown 100 notes a page (a running import’s page reloads every 3 s), every note on some page', async () => {
    const slug = 'many-notes';
    const id = await makeProject(t, slug);
    // 250 posts, each with a shortcode not understood here: a note each.
    const run = await importTexts(t, id, [{ name: 'many.xml', xml: wxr(Array.from({ length: 250 }, (_, i) => post(i + 1, `Post ${i + 1}`, `[mystery${i + 1}]text[/mystery${i + 1}]`)).join('\n')) }]);
    const notes = run.report.notes.filter((n) => n.reason.startsWith('Shortcodes not understood'));
    expect(notes).toHaveLength(250);
    const cookies = await signInAs(t, 'owner@example.gov');
    const url = `/admin/projects/${slug}/import/${run.id}`;
    const seen: string[] = [];
    for (const page of [1, 2, 3]) {
      const r = await get(t.app, page === 1 ? url : `${url}?page=${page}`, { cookies });
      expect(r.statusCode).toBe(200);
      seen.push(...[...r.body.matchAll(/\[mystery(\d+)\]/g)].map((m) => m[1]!));
      const total = run.report.notes.length; // 250, and the byline's person has no email address: a note
      expect(r.body).toContain(`Showing ${(page - 1) * 100 + 1} to ${Math.min(total, page * 100)} of ${total}.`);
      expect(r.body.includes('Next notes')).toBe(page < 3);
    }
    expect(new Set(seen).size).toBe(250);
    for (const bad of ['4', '0', 'abc', '1%00']) expect((await get(t.app, `${url}?page=${bad}`, { cookies })).statusCode, bad).toBe(404);
  });
});
