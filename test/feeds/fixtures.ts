// Posts, comments and people made directly in the database for feed and search tests.
import { renderCommentHtml, renderPostHtml, RENDERER_VERSION } from '../../server/markdown/render.js';
import { mintAtomId } from '../../server/posts/atom-id.js';
import type { CommentStatus, PostStatus } from '../../server/db/schema.js';
import type { TestApp } from '../helpers/test-app.js';

let counter = 0;

export async function createProject(t: TestApp, slug: string, title = slug) {
  // Times from the test clock, never the database's: feed validators are computed from them.
  const now = t.clock.now();
  const row = await t.db.insertInto('projects').values({ slug, title, settings: JSON.stringify({}), created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function createAuthor(t: TestApp, handle: string, displayName = handle) {
  const row = await t.db
    .insertInto('people')
    .values({ handle, display_name: displayName, email: `${handle}@example.gov`, created_at: t.clock.now(), updated_at: t.clock.now() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface PostFields {
  projectId: number;
  title: string;
  body?: string;
  bodyHtml?: string;
  summary?: string;
  slug?: string;
  status?: PostStatus;
  publishedAt?: Date;
  deleted?: boolean;
  authorIds?: number[];
  tags?: string[];
}

/** A post; published an hour before the clock unless told otherwise. Tags are made as needed. */
export async function createPost(t: TestApp, f: PostFields) {
  counter++;
  const publishedAt = f.publishedAt ?? new Date(t.clock.now().getTime() - 3_600_000 + counter * 1000);
  const status = f.status ?? 'published';
  const body = f.body ?? '';
  const row = await t.db
    .insertInto('posts')
    .values({
      project_id: f.projectId,
      slug: f.slug ?? `post-${counter}-${Date.now().toString(36)}`,
      title: f.title,
      summary: f.summary ?? '',
      body_md: body,
      body_html: f.bodyHtml ?? renderPostHtml(body),
      rendered_version: RENDERER_VERSION,
      status,
      published_at: status === 'draft' ? null : publishedAt,
      first_published_at: status === 'draft' ? null : publishedAt,
      created_at: publishedAt,
      updated_at: publishedAt,
      deleted_at: f.deleted ? publishedAt : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (status !== 'draft') {
    await t.db.updateTable('posts').set({ atom_id: mintAtomId(t.app.siteIdentity.authority, publishedAt, row.id) }).where('id', '=', row.id).execute();
  }
  for (const [position, personId] of (f.authorIds ?? []).entries()) {
    await t.db.insertInto('post_authors').values({ post_id: row.id, person_id: personId, position }).execute();
  }
  for (const name of f.tags ?? []) {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const tag =
      (await t.db.selectFrom('tags').select('id').where('project_id', '=', f.projectId).where('slug', '=', slug).executeTakeFirst()) ??
      (await t.db.insertInto('tags').values({ project_id: f.projectId, slug, name }).returning('id').executeTakeFirstOrThrow());
    await t.db.insertInto('post_tags').values({ post_id: row.id, tag_id: tag.id }).execute();
  }
  return row.id;
}

export async function createComment(t: TestApp, postId: number, body: string, status: CommentStatus, authorName = 'A commenter') {
  const createdAt = new Date(t.clock.now().getTime() - 60_000);
  const row = await t.db
    .insertInto('comments')
    .values({
      post_id: postId,
      status,
      author_name: authorName,
      author_email: 'commenter@example.org',
      body_src: body,
      body_html: renderCommentHtml(body),
      created_at: createdAt,
      updated_at: createdAt,
      approved_at: status === 'approved' ? t.clock.now() : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
