// Shared steps of the editor tests: posting a form as a signed-in person (the CSRF token comes from any
// page that renders one: signed-in pages all carry the sign-out form), and making posts directly.
import type { PostStatus } from '../../server/db/schema.js';
import { submitForm, type TestApp } from '../helpers/test-app.js';

export const P = '/admin/projects/info-sharing-taskforce';

export async function postAs(t: TestApp, jar: Record<string, string>, url: string, fields: Record<string, string | string[]>, formPage = `${P}/posts/new`) {
  const { response } = await submitForm(t.app, formPage, url, fields, jar);
  return response;
}

export async function projectId(t: TestApp, slug = 'info-sharing-taskforce') {
  return (await t.db.selectFrom('projects').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
}

let n = 0;
/** A post made directly in the database, with its creator as the only author. */
export async function makePost(t: TestApp, fields: { createdBy: number; status?: PostStatus; title?: string; publishedAt?: Date | null }) {
  const pid = await projectId(t);
  n += 1;
  const status = fields.status ?? 'draft';
  const live = status === 'published' || status === 'scheduled';
  const publishedAt = fields.publishedAt !== undefined ? fields.publishedAt : live ? new Date(t.clock.now().getTime() - 3_600_000) : null;
  const post = await t.db
    .insertInto('posts')
    .values({
      project_id: pid,
      slug: `made-post-${n}-${Math.random().toString(36).slice(2, 8)}`,
      title: fields.title ?? `Made post ${n}`,
      body_md: 'Body',
      body_html: '<p>Body</p>',
      status,
      published_at: publishedAt,
      first_published_at: publishedAt,
      created_by: fields.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await t.db.insertInto('post_authors').values({ post_id: post.id, person_id: fields.createdBy, position: 0 }).execute();
  return post;
}

export async function personId(t: TestApp, email: string) {
  return (await t.db.selectFrom('people').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
}

/** The editable fields of a post form, as the edit page shows them. */
export function formFields(html: string): Record<string, string> {
  const val = (name: string) => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1] ?? '';
  const area = (name: string) => new RegExp(`name="${name}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html)?.[1] ?? '';
  const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return {
    title: unescape(val('title')),
    slug: unescape(val('slug')),
    summary: unescape(area('summary')),
    body: unescape(area('body')),
    tags: unescape(val('tags')),
    version: val('version'),
  };
}
