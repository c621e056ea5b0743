// The conversion threads (server/import/convert-pool.ts) give exactly what the importing thread gives:
// the demo export, the XSS corpus and a generated export are imported into two projects, once converted
// here and once on the pool, and every post's, page's and comment's stored Markdown and HTML, and the
// report, are compared byte for byte. A worker that is stuck (or gone) fails only its items, which are
// reported skipped, and the import finishes.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { importTimings, type ImportReport } from '../../server/import/importer.js';
import { runImport, type ImportSource } from '../../server/import/run.js';
import { generate } from '../../scripts/generate-wxr.js';
import { XSS_VECTORS } from '../markdown/fixtures/xss-vectors.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { fixture, makeProject, wxr } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});

const source = (name: string, xml: string): ImportSource => ({ name, chunks: async function* () { yield Buffer.from(xml, 'utf8'); } });

function hostileExport(): string {
  const cdata = (s: string) => `<![CDATA[${s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
  return wxr(
    XSS_VECTORS.map(({ input: v }, i) => `<item><title>${cdata(v.slice(0, 250))}</title><link>http://small.example.org/x${i}/</link><dc:creator>writer</dc:creator>
<content:encoded>${cdata(`${v}\n\n[caption]${v}[/caption]`)}</content:encoded><excerpt:encoded>${cdata(v)}</excerpt:encoded><wp:post_id>${i + 1}</wp:post_id>
<wp:post_date_gmt>2021-01-01 10:00:00</wp:post_date_gmt><wp:post_name>x-${i}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<wp:comment><wp:comment_id>${1000 + i}</wp:comment_id><wp:comment_author>${cdata(v.slice(0, 90))}</wp:comment_author><wp:comment_date_gmt>2021-01-02 10:00:00</wp:comment_date_gmt>
<wp:comment_content>${cdata(v)}</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment></item>`).join('\n'),
  );
}

async function importInto(slug: string, sources: ImportSource[], workers: number, workerTimeoutMs?: number) {
  const projectId = await makeProject(t, slug);
  const report = await runImport(t.db, { projectId, sources, options: {}, tagAuthority: 'example.test,2026', now: t.clock.now(), workers, workerTimeoutMs });
  const posts = await t.db.selectFrom('posts').select(['slug', 'title', 'summary', 'body_md', 'body_html', 'atom_id']).where('project_id', '=', projectId).orderBy('slug').execute();
  const pages = await t.db.selectFrom('pages').select(['slug', 'title', 'body_md', 'body_html']).where('project_id', '=', projectId).orderBy('slug').execute();
  const comments = await t.db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .select(['posts.slug', 'comments.author_name', 'comments.body_src', 'comments.body_html', 'comments.depth', 'comments.status'])
    .where('posts.project_id', '=', projectId)
    .orderBy('posts.slug')
    .orderBy('comments.created_at')
    .orderBy('comments.body_src')
    .execute();
  // Atom ids name their post's id, which differs between the two projects: compared in their shape.
  return { report, posts: posts.map((p) => ({ ...p, atom_id: p.atom_id?.replace(/post-\d+$/, 'post-N') })), pages, comments };
}

describe('converting on worker threads', () => {
  it('stores byte for byte what converting on the importing thread stores', { timeout: 240_000 }, async () => {
    const generated = '/tmp/import-pool-test-60-600.xml';
    if (!fs.existsSync(generated)) await generate(generated, 60, 600);
    const exports = { demo: fixture('demo-export.xml').xml, hostile: hostileExport(), generated: fs.readFileSync(generated, 'utf8') };
    for (const [name, xml] of Object.entries(exports)) {
      const here = await importInto(`${name}-here`, [source(`${name}.xml`, xml)], 0);
      const before = { ...importTimings };
      const pooled = await importInto(`${name}-pooled`, [source(`${name}.xml`, xml)], name === 'generated' ? 1 : 2);
      // The pool did the work: nothing but gallery posts (the demo's one) was converted on this thread.
      if (name !== 'demo') expect(importTimings.postConvert - before.postConvert, name).toBe(0);
      expect(importTimings.commentConvert - before.commentConvert, name).toBe(0);
      expect(importTimings.postWait - before.postWait, name).toBeGreaterThan(0);
      expect(here.posts.length, name).toBeGreaterThan(5);
      expect(pooled.posts, name).toEqual(here.posts);
      expect(pooled.pages, name).toEqual(here.pages);
      expect(pooled.comments, name).toEqual(here.comments);
      // People are the site's: the second import matches those the first one created, all else is the same.
      const sameSite = (r: ImportReport) => ({ ...r, counts: { ...r.counts, people: null }, people: r.people.map(({ created: _, ...p }) => p) });
      expect(sameSite(pooled.report), name).toEqual(sameSite(here.report));
    }
  });

  it('a worker stuck on its task fails only that task: the items are reported skipped and the import ends', { timeout: 120_000 }, async () => {
    const { report, posts } = await importInto('stuck', [source('demo-export.xml', fixture('demo-export.xml').xml)], 1, 1);
    // A post converted on the pool takes longer than 1 ms once its worker has to start: skipped, with the
    // reason. (Whether a task sent to an already running worker answers within 1 ms depends on the
    // machine, so some posts may be imported: each of the 6 is one or the other, and the import ends.)
    const skipped = report.notes.filter((n) => n.action === 'skipped' && n.kind === 'posts');
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.map((n) => n.reason)).toEqual(Array(skipped.length).fill(expect.stringMatching(/converting it took longer than/)));
    expect(report.counts.posts.skipped).toBe(skipped.length);
    expect(posts.length + skipped.length).toBe(6);
    expect(report.counts.posts.created).toBe(posts.length);
  });
});
