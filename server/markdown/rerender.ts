// Stored HTML is rendered once when text is saved; when the renderer changes (RENDERER_VERSION), every
// row rendered by an older version is rendered again at start, in batches.
import type { Db } from '../db/create-db.js';
import { RENDERER_VERSION, renderCommentHtml, renderPostHtml } from './render.js';

const BATCH = 200;

type Stale = { id: number; src: string };

async function rerenderAll(fetch: () => Promise<Stale[]>, save: (id: number, html: string) => Promise<unknown>, render: (src: string) => string) {
  let count = 0;
  for (;;) {
    const rows = await fetch();
    for (const r of rows) await save(r.id, render(r.src));
    count += rows.length;
    if (rows.length < BATCH) return count;
  }
}

export async function rerenderStale(db: Db): Promise<number> {
  const v = RENDERER_VERSION;
  const posts = await rerenderAll(
    () => db.selectFrom('posts').select(['id', 'body_md as src']).where('rendered_version', '<', v).limit(BATCH).execute(),
    (id, html) => db.updateTable('posts').set({ body_html: html, rendered_version: v }).where('id', '=', id).execute(),
    renderPostHtml,
  );
  const pages = await rerenderAll(
    () => db.selectFrom('pages').select(['id', 'body_md as src']).where('rendered_version', '<', v).limit(BATCH).execute(),
    (id, html) => db.updateTable('pages').set({ body_html: html, rendered_version: v }).where('id', '=', id).execute(),
    renderPostHtml,
  );
  const projects = await rerenderAll(
    () => db.selectFrom('projects').select(['id', 'description_md as src']).where('rendered_version', '<', v).limit(BATCH).execute(),
    (id, html) => db.updateTable('projects').set({ description_html: html, rendered_version: v }).where('id', '=', id).execute(),
    renderPostHtml,
  );
  const comments = await rerenderAll(
    () => db.selectFrom('comments').select(['id', 'body_src as src']).where('rendered_version', '<', v).limit(BATCH).execute(),
    (id, html) => db.updateTable('comments').set({ body_html: html, rendered_version: v }).where('id', '=', id).execute(),
    renderCommentHtml,
  );
  return posts + pages + projects + comments;
}
