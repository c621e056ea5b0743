// Shared by the import tests: a project with an owner, and running an import of fixture files through
// the same job the CLI and the web page use.
import fs from 'node:fs';
import path from 'node:path';
import { createProject } from '../../server/admin/projects.js';
import { createImport } from '../../server/import/jobs.js';
import type { ImportReport } from '../../server/import/importer.js';
import { runJobs, createPerson, type TestApp } from '../helpers/test-app.js';

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');

export async function makeProject(t: TestApp, slug = 'field'): Promise<number> {
  const projectId = await createProject(t.db, { slug, title: 'Field notes', summary: '', ownerEmail: '' }, undefined, t.clock.now());
  await createPerson(t, { email: `owner@example.gov`, handle: `owner-${slug}`, displayName: 'Owner' }, { projectId, role: 'owner' }).catch(async () => {
    const owner = await t.db.selectFrom('people').select('id').where('email', '=', 'owner@example.gov').executeTakeFirstOrThrow();
    await t.db.insertInto('memberships').values({ project_id: projectId, person_id: owner.id, role: 'owner' }).execute();
  });
  return projectId;
}

/** Queues and runs an import of texts (name → XML); returns the finished imports row. */
export async function importTexts(t: TestApp, projectId: number, files: Array<{ name: string; xml: string }>, options: { dryRun?: boolean; mediaDir?: string; fetchMedia?: boolean } = {}) {
  const importId = await createImport(t.db, {
    projectId,
    createdBy: null,
    options,
    files: files.map((f) => ({ name: f.name, chunks: chunked(f.xml) })),
  });
  await runJobs(t);
  const row = await t.db.selectFrom('imports').selectAll().where('id', '=', importId).executeTakeFirstOrThrow();
  return { ...row, report: row.report as ImportReport };
}

export function fixture(name: string): { name: string; xml: string } {
  return { name, xml: fs.readFileSync(path.join(FIXTURES, name), 'utf8') };
}

/** Small chunks, so that fields and CDATA sections are split across writes. */
async function* chunked(text: string, size = 997): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** A minimal export around some items (WXR 1.1, http namespace). */
export function wxr(items: string, site = 'http://small.example.org'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.1/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.1/">
<channel><title>Small</title><link>${site}</link><wp:wxr_version>1.1</wp:wxr_version><wp:base_site_url>${site}</wp:base_site_url><wp:base_blog_url>${site}</wp:base_blog_url>
${items}
</channel></rss>`;
}

export function post(id: number, title: string, content: string, extra = ''): string {
  return `<item><title><![CDATA[${title}]]></title><link>http://small.example.org/${id}/</link><dc:creator>writer</dc:creator>
<content:encoded><![CDATA[${content}]]></content:encoded><wp:post_id>${id}</wp:post_id><wp:post_date_gmt>2021-01-0${(id % 9) + 1} 10:00:00</wp:post_date_gmt>
<wp:post_name>post-${id}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>${extra}</item>`;
}
