// Images of imported posts: read from --media-dir (the old wp-content/uploads folder) or downloaded from
// the old site (a real HTTP server on loopback), stored like uploads and the references rewritten; a
// missing image is reported and its old reference kept, never a failed import.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, type TestApp } from '../helpers/test-app.js';
import { importTexts, makeProject, post, wxr } from './helpers.js';

// A 1×1 PNG.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

let t: TestApp;
let dir: string;
let server: http.Server;
let port = 0;

beforeAll(async () => {
  t = await buildTestApp({ env: { ALLOW_PRIVATE_FETCH: '1' } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wp-uploads-'));
  fs.mkdirSync(path.join(dir, '2020/06'), { recursive: true });
  fs.writeFileSync(path.join(dir, '2020/06/dot.png'), PNG);
  server = http.createServer((req, res) => {
    if (req.url === '/wp-content/uploads/2021/01/remote.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    else res.writeHead(404).end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await new Promise((resolve) => server.close(resolve));
});

describe('images of imported posts', () => {
  it('come from --media-dir; a missing one is reported and keeps its old reference', async () => {
    const projectId = await makeProject(t, 'pics');
    const content = '<img src="http://small.example.org/wp-content/uploads/2020/06/dot.png" alt="A dot">\n\n<img src="http://small.example.org/wp-content/uploads/2020/06/gone.png" alt="Gone">';
    const run = await importTexts(t, projectId, [{ name: 'pics.xml', xml: wxr(post(1, 'Pictures', content)) }], { mediaDir: dir });
    expect(run.status).toBe('done');
    const row = await t.db.selectFrom('posts').select('body_md').where('project_id', '=', projectId).executeTakeFirstOrThrow();
    const stored = /!\[A dot\]\((\/media\/[0-9a-f]{64}\.png)\)/.exec(row.body_md)?.[1];
    expect(stored).toBeDefined();
    expect((await get(t.app, stored!)).statusCode).toBe(200);
    expect(row.body_md).toContain('![Gone](http://small.example.org/wp-content/uploads/2020/06/gone.png)');
    expect(run.report.notes.find((n) => n.action === 'missing')?.reason).toContain('gone.png');
    expect(run.report.counts.images.created).toBe(1);
  });

  it('are downloaded from the old site with --fetch-media through the guarded client', async () => {
    const projectId = await makeProject(t, 'remote');
    const site = `http://127.0.0.1:${port}`;
    const content = `<img src="${site}/wp-content/uploads/2021/01/remote.png" alt="Remote">\n\n<img src="${site}/wp-content/uploads/2021/01/missing.png" alt="Missing">`;
    const run = await importTexts(t, projectId, [{ name: 'remote.xml', xml: wxr(post(1, 'Remote', content), site) }], { fetchMedia: true });
    expect(run.status).toBe('done');
    const row = await t.db.selectFrom('posts').select('body_md').where('project_id', '=', projectId).executeTakeFirstOrThrow();
    expect(row.body_md).toMatch(/!\[Remote\]\(\/media\/[0-9a-f]{64}\.png\)/);
    expect(row.body_md).toContain(`![Missing](${site}/wp-content/uploads/2021/01/missing.png)`);
    expect(run.report.notes.find((n) => n.action === 'missing')?.reason).toContain('answered 404');
  });

  it('inside a table kept as HTML (no header row) are brought across too', async () => {
    const projectId = await makeProject(t, 'table-pics');
    const content = '<table><tbody><tr><td><img src="http://small.example.org/wp-content/uploads/2020/06/dot.png?a=1&amp;b=2" alt="In a cell"></td><td>Text</td></tr></tbody></table>';
    const run = await importTexts(t, projectId, [{ name: 'table.xml', xml: wxr(post(1, 'Table', content)) }], { mediaDir: dir });
    expect(run.status).toBe('done');
    const row = await t.db.selectFrom('posts').select(['body_md', 'body_html']).where('project_id', '=', projectId).executeTakeFirstOrThrow();
    expect(row.body_md).toMatch(/^<table><tbody><tr><td><img src="\/media\/[0-9a-f]{64}\.png" alt="In a cell"><\/td><td>Text<\/td><\/tr><\/tbody><\/table>$/);
    expect(row.body_html).toMatch(/<img src="\/media\/[0-9a-f]{64}\.png"/);
    expect(run.report.notes.filter((n) => n.action === 'missing')).toEqual([]);
  });
});
