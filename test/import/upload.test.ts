// The web upload is streamed into import_chunks (1 MB rows) as it arrives, within IMPORT_UPLOAD_MAX_MB
// for all its files together: over the limit, a clear error and nothing of it kept.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cookiesFrom, get, runJobs, signInAs, type TestApp } from '../helpers/test-app.js';
import { makeProject, post, wxr } from './helpers.js';

let t: TestApp;
let projectId: number;
let jar: Record<string, string>;
let token: string;

beforeAll(async () => {
  t = await buildTestApp({ env: { IMPORT_UPLOAD_MAX_MB: '2' } });
  projectId = await makeProject(t, 'big');
  const cookies = await signInAs(t, 'owner@example.gov');
  const form = await get(t.app, '/admin/projects/big/import', { cookies });
  expect(form.body).toContain('up to 2 MB in all');
  jar = { ...cookies, ...cookiesFrom(form) };
  token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
});

/** Fields first (the token), then the files, then more fields (the options may come after the file). */
function multipart(before: Record<string, string>, files: Array<{ name: string; content: string }>, after: Record<string, string> = {}) {
  const boundary = '----uploadtest';
  const field = (k: string, v: string) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  let body = Object.entries(before).map(([k, v]) => field(k, v)).join('');
  for (const f of files) body += `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${f.name}"\r\ncontent-type: text/xml\r\n\r\n${f.content}\r\n`;
  body += Object.entries(after).map(([k, v]) => field(k, v)).join('');
  body += `--${boundary}--\r\n`;
  return { payload: body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** An export of about `mb` megabytes (posts padded with text). */
function exportOf(mb: number, from = 1): string {
  const filler = 'Words of a long post. '.repeat(2000); // ~44 KB
  const n = Math.ceil((mb * 1024 * 1024) / filler.length);
  return wxr(Array.from({ length: n }, (_, i) => post(from + i, `Post ${from + i}`, filler)).join('\n'));
}

const send = (parts: ReturnType<typeof multipart>) => t.app.inject({ method: 'POST', url: '/admin/projects/big/import', cookies: jar, ...parts });
const stored = async () => ({
  imports: (await t.db.selectFrom('imports').select('id').where('project_id', '=', projectId).execute()).length,
  chunks: (await t.db.selectFrom('import_chunks').innerJoin('imports', 'imports.id', 'import_chunks.import_id').select('seq').where('imports.project_id', '=', projectId).execute()).length,
});

describe('uploading an export from the page', () => {
  it('stages a file in 1 MB chunks and imports it, with options sent after the file', async () => {
    const xml = exportOf(1.5);
    expect(xml.length).toBeGreaterThan(1024 * 1024);
    const sent = await send(multipart({ _csrf: token }, [{ name: 'export.xml', content: xml }], { dry_run: 'on' }));
    expect(sent.statusCode).toBe(303);
    const importId = Number(/\/import\/(\d+)$/.exec(sent.headers.location as string)![1]);
    const row = await t.db.selectFrom('imports').selectAll().where('id', '=', importId).executeTakeFirstOrThrow();
    expect(row.dry_run).toBe(true);
    expect(row.file_names).toEqual(['export.xml']);
    const chunks = await t.db.selectFrom('import_chunks').select(['seq', 'bytes']).where('import_id', '=', importId).orderBy('seq').execute();
    expect(chunks.map((c) => c.bytes.length)).toEqual([1024 * 1024, Buffer.byteLength(xml) - 1024 * 1024]);
    expect(Buffer.concat(chunks.map((c) => c.bytes)).toString('utf8')).toBe(xml);
    await runJobs(t);
    const done = await t.db.selectFrom('imports').selectAll().where('id', '=', importId).executeTakeFirstOrThrow();
    expect(done.status).toBe('done');
    expect((done.report as { counts: { posts: { created: number } } }).counts.posts.created).toBeGreaterThan(20);
  });

  it('refuses an upload over the limit with a clear message, keeping nothing of it', async () => {
    const before = await stored();
    const over = await send(multipart({ _csrf: token }, [{ name: 'huge.xml', content: exportOf(2.3) }]));
    expect(over.statusCode).toBe(413);
    expect(over.body).toContain('The upload is larger than 2 MB');
    expect(over.body).toContain('nothing of it was kept');
    expect(await stored()).toEqual(before);
    // Two files, each under the limit, over it together.
    const split = await send(multipart({ _csrf: token }, [{ name: 'a.xml', content: exportOf(1.2) }, { name: 'b.xml', content: exportOf(1.2, 5000) }]));
    expect(split.statusCode).toBe(413);
    expect(await stored()).toEqual(before);
  });

  it('checks the CSRF token before reading any file', async () => {
    const before = await stored();
    const none = await send(multipart({}, [{ name: 'export.xml', content: exportOf(0.1) }]));
    expect(none.statusCode).toBe(403);
    const wrong = await send(multipart({ _csrf: 'forged' }, [{ name: 'export.xml', content: exportOf(0.1) }]));
    expect(wrong.statusCode).toBe(403);
    expect(await stored()).toEqual(before);
  });

  it('a cut-off upload is a clear 400, nothing kept', async () => {
    const before = await stored();
    const parts = multipart({ _csrf: token }, [{ name: 'export.xml', content: exportOf(0.2) }]);
    const cut = await t.app.inject({ method: 'POST', url: '/admin/projects/big/import', cookies: jar, headers: parts.headers, payload: parts.payload.slice(0, 100_000) });
    expect(cut.statusCode).toBe(400);
    expect(cut.body).toContain('could not be read');
    expect(await stored()).toEqual(before);
  });
});
