// The post counts kept by triggers (migration 0008) stay equal to counting the posts themselves, through
// every kind of write (any writer: the triggers are in the database), and the pages' counts built on
// them (project home, tag page, site directory) match the public predicate at any time.
import { sql } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedCorpus } from '../../bench/corpus.js';
import { countPublicPosts } from '../../server/posts/queries.js';
import { listProjects, listProjectTags } from '../../server/projects/queries.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
const HOUR = 3600_000;

beforeAll(async () => {
  t = await buildTestApp();
  const client = new pg.Client({ connectionString: t.database.url });
  await client.connect();
  try {
    await seedCorpus(client, { projects: 3, posts: 30, comments: 0 });
  } finally {
    await client.end();
  }
});

const run = (q: ReturnType<typeof sql>) => q.execute(t.db);
const idOf = async (table: 'projects' | 'tags', where: string) =>
  Number(((await run(sql`SELECT id FROM ${sql.table(table)} WHERE ${sql.raw(where)} ORDER BY id LIMIT 1`)).rows[0] as { id: number }).id);

/** The kept counts equal a count of the listed posts, row for row (a missing row is 0). */
async function expectKeptCountsExact() {
  const projects = await run(sql`
    SELECT coalesce(k.project_id, c.project_id) AS project_id, k.n AS kept, c.n AS counted
    FROM project_post_counts k
    FULL JOIN (SELECT project_id, count(*)::int AS n FROM posts WHERE post_is_listed(status, published_at, deleted_at) GROUP BY project_id) c
      ON c.project_id = k.project_id
    WHERE coalesce(k.n, 0) <> coalesce(c.n, 0)`);
  expect(projects.rows, 'project_post_counts').toEqual([]);
  const tags = await run(sql`
    SELECT coalesce(k.tag_id, c.tag_id) AS tag_id, coalesce(k.project_id, c.project_id) AS project_id, k.n AS kept, c.n AS counted
    FROM tag_post_counts k
    FULL JOIN (SELECT pt.tag_id, p.project_id, count(*)::int AS n FROM post_tags pt JOIN posts p ON p.id = pt.post_id
               WHERE post_is_listed(p.status, p.published_at, p.deleted_at) GROUP BY pt.tag_id, p.project_id) c
      ON c.tag_id = k.tag_id AND c.project_id = k.project_id
    WHERE coalesce(k.n, 0) <> coalesce(c.n, 0)`);
  expect(tags.rows, 'tag_post_counts').toEqual([]);
}

const PUBLIC = sql`p.deleted_at IS NULL AND p.status IN ('published', 'scheduled') AND p.published_at <= `;

/** The pages' counts at `now` equal counting the public posts at `now`. */
async function expectPageCountsRight(now: Date) {
  const projectIds = (await run(sql`SELECT id FROM projects ORDER BY id`)).rows.map((r) => Number((r as { id: number }).id));
  const directory = await listProjects(t.db, now);
  for (const projectId of projectIds) {
    const total = (await run(sql`SELECT count(*)::int AS n, max(p.published_at) AS last FROM posts p WHERE p.project_id = ${projectId} AND ${PUBLIC}${now}`)).rows[0] as { n: number; last: Date | null };
    expect(await countPublicPosts(t.db, now, { projectId }), `project ${projectId} count`).toBe(total.n);
    const listed = directory.find((p) => p.id === projectId)!;
    expect(listed.postCount, `project ${projectId} in the directory`).toBe(total.n);
    expect(listed.lastPublishedAt?.getTime() ?? null).toBe(total.last ? new Date(total.last).getTime() : null);

    // Tag counts as the project home showed them before the kept counts: any project's posts with the tag.
    const tagTruth = (await run(sql`
      SELECT t.id, t.slug, t.name, count(*)::int AS n FROM tags t JOIN post_tags pt ON pt.tag_id = t.id JOIN posts p ON p.id = pt.post_id
      WHERE t.project_id = ${projectId} AND ${PUBLIC}${now} GROUP BY t.id ORDER BY t.name`)).rows as Array<{ id: number; slug: string; name: string; n: number }>;
    const tags = await listProjectTags(t.db, projectId, now);
    expect(tags, `project ${projectId} tags`).toEqual(tagTruth.map((r) => ({ id: Number(r.id), slug: r.slug, name: r.name, postCount: r.n })));
    for (const tag of (await run(sql`SELECT id FROM tags WHERE project_id = ${projectId}`)).rows as Array<{ id: number }>) {
      const tagId = Number(tag.id);
      const n = (await run(sql`SELECT count(*)::int AS n FROM posts p JOIN post_tags pt ON pt.post_id = p.id AND pt.tag_id = ${tagId}
        WHERE p.project_id = ${projectId} AND ${PUBLIC}${now}`)).rows[0] as { n: number };
      expect(await countPublicPosts(t.db, now, { projectId, tagId }), `tag ${tagId} page count`).toBe(n.n);
    }
  }
}

async function expectAllRight(now = t.clock.now()) {
  await expectKeptCountsExact();
  await expectPageCountsRight(now);
}

describe('kept post counts', () => {
  it('start equal to the posts (migration backfill and bulk inserts)', async () => {
    await expectAllRight();
  });

  it('follow scheduling, publishing, unpublishing, deleting and undeleting posts', async () => {
    const project = await idOf('projects', `slug = 'project-1'`);
    const tag = await idOf('tags', `project_id = ${project} AND slug = 'topic-3'`);
    const now = t.clock.now();
    const later = new Date(now.getTime() + 2 * HOUR);
    // Two posts in one statement: one scheduled for later, one draft; both tagged.
    await run(sql`
      WITH p AS (
        INSERT INTO posts (project_id, slug, title, status, published_at)
        VALUES (${project}, 'later', 'Later', 'scheduled', ${later}), (${project}, 'draft', 'Draft', 'draft', NULL)
        RETURNING id)
      INSERT INTO post_tags (post_id, tag_id) SELECT id, ${tag} FROM p`);
    await expectAllRight(now);
    await expectPageCountsRight(new Date(later.getTime() + HOUR)); // its time came: counted, no write needed

    await run(sql`UPDATE posts SET status = 'published', published_at = ${now} WHERE slug = 'draft'`);
    await expectAllRight();
    await run(sql`UPDATE posts SET status = 'unpublished' WHERE slug = 'post-4'`);
    await expectAllRight();
    await run(sql`UPDATE posts SET deleted_at = now() WHERE slug IN ('post-7', 'post-10')`);
    await expectAllRight();
    await run(sql`UPDATE posts SET deleted_at = NULL WHERE slug = 'post-10'`);
    await run(sql`UPDATE posts SET title = 'Renamed', version = version + 1 WHERE slug = 'post-13'`); // changes no count
    await expectAllRight();
  });

  it('follow retagging, moved posts and hard deletes of posts, tags and projects', async () => {
    const p1 = await idOf('projects', `slug = 'project-1'`);
    const p2 = await idOf('projects', `slug = 'project-2'`);
    const postId = Number(((await run(sql`SELECT id FROM posts WHERE project_id = ${p1} AND slug = 'post-16'`)).rows[0] as { id: number }).id);
    // The editor's way: delete the links, insert the new ones.
    await run(sql`DELETE FROM post_tags WHERE post_id = ${postId}`);
    await run(sql`INSERT INTO post_tags (post_id, tag_id) SELECT ${postId}, id FROM tags WHERE project_id = ${p1} AND slug IN ('topic-1', 'topic-5')`);
    await expectAllRight();
    await run(sql`UPDATE post_tags SET tag_id = (SELECT id FROM tags WHERE project_id = ${p1} AND slug = 'topic-2') WHERE post_id = ${postId} AND tag_id = (SELECT id FROM tags WHERE project_id = ${p1} AND slug = 'topic-5')`);
    await expectAllRight();

    await run(sql`UPDATE posts SET project_id = ${p2}, slug = 'moved' WHERE id = ${postId}`);
    await expectAllRight();
    await run(sql`DELETE FROM posts WHERE project_id = ${p1} AND slug IN ('post-19', 'post-22', 'later')`);
    await expectAllRight();
    await run(sql`DELETE FROM tags WHERE project_id = ${p1} AND slug = 'topic-1'`);
    await expectAllRight();
    await run(sql`DELETE FROM projects WHERE id = ${p2}`);
    await expectAllRight();
    const left = (await run(sql`SELECT count(*)::int AS n FROM project_post_counts WHERE project_id = ${p2}`)).rows[0] as { n: number };
    expect(left.n).toBe(0);
  });
});
