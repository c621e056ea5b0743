// "The public can see this post" has one definition per language (db/sql-helpers.ts) and a third in the
// database, where the post-count triggers of migration 0008 call post_is_listed(). For every status,
// publication time (none, past, exactly now, future) and deleted or not, the SQL helpers, their
// TypeScript twins and the trigger's function agree, and the public count read from the kept counts
// equals counting the public posts. On a real database, without building the app.
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, PostStatus } from '../../server/db/schema.js';
import {
  hasAuthor,
  hasTag,
  isListedLater,
  isPostListed,
  isPostListedLater,
  isPostPublic,
  isPublic,
  publicCountFromKept,
} from '../../server/db/sql-helpers.js';
import { countPublicPosts } from '../../server/posts/queries.js';
import { createTestDatabase, TEST_NOW, type TestDatabase } from '../helpers/test-app.js';

const HOUR = 3600_000;
const STATUSES: PostStatus[] = ['draft', 'review', 'scheduled', 'published', 'unpublished'];
const DATES = { none: null, past: new Date(TEST_NOW.getTime() - HOUR), now: TEST_NOW, future: new Date(TEST_NOW.getTime() + HOUR) };
const DELETED = { kept: null, deleted: new Date(TEST_NOW.getTime() - 24 * HOUR) };

interface Case {
  id: number;
  label: string;
  status: PostStatus;
  published_at: Date | null;
  deleted_at: Date | null;
}

let database: TestDatabase;
let projectId: number;
let tagId: number;
let personId: number;
const cases: Case[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database;
  projectId = Number((await db.insertInto('projects').values({ slug: 'visibility', title: 'Visibility' }).returning('id').executeTakeFirstOrThrow()).id);
  tagId = Number((await db.insertInto('tags').values({ project_id: projectId, slug: 'every', name: 'Every' }).returning('id').executeTakeFirstOrThrow()).id);
  personId = Number(
    (await db.insertInto('people').values({ handle: 'writer', display_name: 'Writer', email: 'writer@example.test' }).returning('id').executeTakeFirstOrThrow()).id,
  );
  for (const status of STATUSES) {
    for (const [when, published_at] of Object.entries(DATES)) {
      for (const [gone, deleted_at] of Object.entries(DELETED)) {
        const label = `${status}, ${when}, ${gone}`;
        const slug = label.replace(/[^a-z]+/g, '-');
        const { id } = await db
          .insertInto('posts')
          .values({ project_id: projectId, slug, title: label, status, published_at, deleted_at })
          .returning('id')
          .executeTakeFirstOrThrow();
        cases.push({ id: Number(id), label, status, published_at, deleted_at });
      }
    }
  }
  // Links after the posts, as the editor writes them: every post is tagged and authored.
  await db.insertInto('post_tags').values(cases.map((c) => ({ post_id: c.id, tag_id: tagId }))).execute();
  await db.insertInto('post_authors').values(cases.map((c) => ({ post_id: c.id, person_id: personId }))).execute();
});

afterAll(async () => {
  await database?.drop();
});

describe('"the public can see this post"', () => {
  it('is answered the same by the SQL helpers, the TypeScript functions and the trigger’s post_is_listed()', async () => {
    const rows = await database.db
      .selectFrom('posts')
      .select((eb) => [
        'posts.id',
        isPublic(eb, TEST_NOW).as('public'),
        isListedLater(eb, TEST_NOW).as('later'),
        sql<boolean>`post_is_listed(posts.status, posts.published_at, posts.deleted_at)`.as('listed'),
      ])
      .where('posts.project_id', '=', projectId)
      .execute();
    expect(rows).toHaveLength(STATUSES.length * 4 * 2);
    for (const c of cases) {
      const row = rows.find((r) => Number(r.id) === c.id)!;
      const sqlSays = { listed: row.listed, public: row.public ?? false, later: row.later ?? false };
      const tsSays = { listed: isPostListed(c), public: isPostPublic(c, TEST_NOW), later: isPostListedLater(c, TEST_NOW) };
      expect(tsSays, c.label).toEqual(sqlSays);
      // Listed = public now or later, never both.
      expect(sqlSays.listed, c.label).toBe(sqlSays.public !== sqlSays.later);
    }
  });

  it('is: published or scheduled, not deleted, and its time has come (no more, no less)', () => {
    const visible = cases.filter((c) => isPostPublic(c, TEST_NOW)).map((c) => c.label);
    expect(visible.sort()).toEqual(['published, now, kept', 'published, past, kept', 'scheduled, now, kept', 'scheduled, past, kept']);
    const later = cases.filter((c) => isPostListedLater(c, TEST_NOW)).map((c) => c.label);
    expect(later.sort()).toEqual(['published, future, kept', 'scheduled, future, kept']);
  });

  it('counts the same from the trigger-kept counts as by counting the public posts, for the project and its tag', async () => {
    const db = database.db;
    const kept = await db.selectFrom('project_post_counts').select('n').where('project_id', '=', projectId).executeTakeFirst();
    const keptForTag = await db.selectFrom('tag_post_counts').select('n').where('tag_id', '=', tagId).where('project_id', '=', projectId).executeTakeFirst();
    const later = cases.filter((c) => isPostListedLater(c, TEST_NOW)).length;
    const visible = cases.filter((c) => isPostPublic(c, TEST_NOW)).length;
    expect(publicCountFromKept(kept?.n, later)).toBe(visible);
    expect(publicCountFromKept(keptForTag?.n, later)).toBe(visible);
    expect(await countPublicPosts(db, TEST_NOW, { projectId })).toBe(visible);
    expect(await countPublicPosts(db, TEST_NOW, { projectId, tagId })).toBe(visible);
    expect(publicCountFromKept(null, undefined)).toBe(0);
  });

  it('filters by author and tag through hasAuthor and hasTag', async () => {
    const db = database.db;
    const otherPerson = Number(
      (await db.insertInto('people').values({ handle: 'nobody', display_name: 'Nobody', email: 'nobody@example.test' }).returning('id').executeTakeFirstOrThrow()).id,
    );
    const count = async (where: (eb: ExpressionBuilder<Database, 'posts'>) => Expression<SqlBool>) =>
      Number((await db.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).where(where).executeTakeFirstOrThrow()).n);
    expect(await count((eb) => hasTag(eb, tagId))).toBe(cases.length);
    expect(await count((eb) => hasAuthor(eb, personId))).toBe(cases.length);
    expect(await count((eb) => hasAuthor(eb, otherPerson))).toBe(0);
    expect(await count((eb) => hasTag(eb, tagId + 1000))).toBe(0);
  });
});
