// Stored HTML follows the renderer: rows rendered by an older RENDERER_VERSION are rendered again at start
// (server/startup.ts), so posts saved before code blocks and tables became scroll regions (issue 14) get them.
import { beforeAll, describe, expect, it } from 'vitest';
import { RENDERER_VERSION } from '../../server/markdown/render.js';
import { rerenderStale } from '../../server/markdown/rerender.js';
import { buildTestApp, get, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: true });
});

describe('rerenderStale', () => {
  it('renders again a post and a page stored by an older renderer, and leaves current rows alone', async () => {
    const post = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id').select(['posts.id', 'posts.slug', 'projects.slug as project', 'posts.project_id']).where('posts.status', '=', 'published').orderBy('posts.id').executeTakeFirstOrThrow();
    const markdown = 'Before.\n\n```\ncode that runs wide\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |';
    const oldHtml = '<p>Before.</p>\n<pre><code>code that runs wide\n</code></pre>\n<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>';
    await t.db.updateTable('posts').set({ body_md: markdown, body_html: oldHtml, rendered_version: 1 }).where('id', '=', post.id).execute();
    const page = await t.db.selectFrom('pages').select(['id']).where('project_id', '=', post.project_id).executeTakeFirstOrThrow();
    await t.db.updateTable('pages').set({ body_md: markdown, body_html: oldHtml, rendered_version: 1 }).where('id', '=', page.id).execute();

    expect(await rerenderStale(t.db)).toBeGreaterThanOrEqual(2);

    for (const row of [
      await t.db.selectFrom('posts').select(['body_html', 'rendered_version']).where('id', '=', post.id).executeTakeFirstOrThrow(),
      await t.db.selectFrom('pages').select(['body_html', 'rendered_version']).where('id', '=', page.id).executeTakeFirstOrThrow(),
    ]) {
      expect(row.rendered_version).toBe(RENDERER_VERSION);
      expect(row.body_html).toContain('<pre tabindex="0" role="region" aria-label="Code example 1">');
      expect(row.body_html).toContain('<div class="table-region" role="region" tabindex="0" aria-label="Table 1"><table>');
    }
    expect((await get(t.app, `/${post.project}/posts/${post.slug}`)).body).toContain('aria-label="Table 1"');
    // Nothing is left stale: a second pass renders nothing.
    expect(await rerenderStale(t.db)).toBe(0);
  });
});
