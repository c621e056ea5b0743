// A unique index refusing a save is reported as what it is: a post slug taken at the same moment is a
// slug error; any other clash says that something saved meanwhile clashes, not "slug already used".
// savePost/savePage on a real database, without the app; the slug pre-checks are bypassed on purpose
// (this is what a race past them looks like), and a second clash is made with an extra unique index.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../server/db/schema.js';
import { SAVED_MEANWHILE, savePage, savePost, type ValidPost } from '../../server/editor/service.js';
import { createTestDatabase, TEST_NOW, type TestDatabase } from '../helpers/test-app.js';

let database: TestDatabase;
let project: Project;
const user = { id: 0, handle: 'writer', displayName: 'Writer', email: 'writer@example.test', isSiteAdmin: false };

const value = (slug: string, title: string): ValidPost => ({
  title,
  slug,
  summary: '',
  bodyMd: 'Text.',
  tags: [],
  additionalAuthorIds: [],
  commentsOpen: true,
  publishAt: undefined,
  reviewNote: undefined,
  pinned: undefined,
});

const save = (slug: string, title: string) =>
  savePost(database.db, { project, user, existingAuthorIds: [], value: value(slug, title), action: 'save', version: 1, now: TEST_NOW, tagAuthority: 'blogs.test,2026' });

beforeAll(async () => {
  database = await createTestDatabase();
  project = await database.db.insertInto('projects').values({ slug: 'clash', title: 'Clash' }).returningAll().executeTakeFirstOrThrow();
  user.id = Number((await database.db.insertInto('people').values({ handle: user.handle, display_name: user.displayName, email: user.email }).returning('id').executeTakeFirstOrThrow()).id);
});

afterAll(async () => {
  await database?.drop();
});

describe('a unique index refusing a save', () => {
  it('is a slug error when the post slug was taken meanwhile', async () => {
    expect((await save('first', 'First')).kind).toBe('saved');
    const result = await save('first', 'Another');
    expect(result).toEqual({ kind: 'invalid', errors: { slug: 'Another post in this project already uses this slug. Choose a different one.' } });
  });

  it('is a page slug error for a page, and the clash message for another index', async () => {
    const page = (slug: string, title: string) => savePage(database.db, { projectId: project.id, version: 1, value: { title, slug, bodyMd: '' }, now: TEST_NOW });
    expect((await page('about', 'About')).kind).toBe('saved');
    expect(await page('about', 'About again')).toEqual({ kind: 'invalid', errors: { slug: 'Another page of this project already uses this slug.' } });
    await sql`CREATE UNIQUE INDEX test_pages_title_key ON pages (project_id, title)`.execute(database.db);
    expect(await page('about-2', 'About')).toEqual({ kind: 'invalid', errors: { form: SAVED_MEANWHILE } });
  });

  it('is not called a slug error when another unique index refused the post', async () => {
    await sql`CREATE UNIQUE INDEX test_posts_title_key ON posts (project_id, title)`.execute(database.db);
    const result = await save('second', 'First');
    expect(result).toEqual({ kind: 'invalid', errors: { form: SAVED_MEANWHILE } });
    const stored = await database.db.selectFrom('posts').select('slug').where('project_id', '=', project.id).execute();
    expect(stored.map((p) => p.slug)).toEqual(['first']);
  });
});
