// No N+1: the number of queries a page makes does not grow with the posts or comments it shows.
// Counts every query through the app's database handle (createDb's onQuery hook), then adds posts and
// comments and counts again.
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { MEASURED, seedCorpus } from '../../bench/corpus.js';
import { buildTestApp, clockToDatabaseNow, get, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let counting = false;
let count = 0;

beforeAll(async () => {
  t = await buildTestApp({
    onQuery: () => {
      if (counting) count++;
    },
  });
  const client = new pg.Client({ connectionString: t.database.url });
  await client.connect();
  try {
    await seedCorpus(client, { projects: 1, posts: 2, comments: 1 });
  } finally {
    await client.end();
  }
  await clockToDatabaseNow(t); // the corpus is dated by the database's clock
});

async function queriesFor(url: string): Promise<{ status: number; queries: number; body: string }> {
  count = 0;
  counting = true;
  const res = await get(t.app, url);
  counting = false;
  return { status: res.statusCode, queries: count, body: res.body };
}

const POST = `/${MEASURED.project}/posts/${MEASURED.post}`;
const HOME = `/${MEASURED.project}/`;
const FEED = `/${MEASURED.project}/feed.atom`;
const PAGES = [POST, HOME, '/', FEED];

async function addPostsAndComments() {
  await t.db.executeQuery(
    // 20 more posts with authors and tags, and 40 more approved comments on the measured post.
    (await import('kysely')).sql`
      WITH p AS (SELECT id FROM projects WHERE slug = ${MEASURED.project}),
      new_posts AS (
        INSERT INTO posts (project_id, slug, title, body_html, status, published_at, first_published_at)
        SELECT p.id, 'more-' || k, 'More ' || k, '<p>More.</p>', 'published', now() - make_interval(hours => k), now() - make_interval(hours => k)
        FROM p, generate_series(1, 20) k RETURNING id, project_id
      ),
      authors AS (
        INSERT INTO post_authors (post_id, person_id)
        SELECT n.id, m.person_id FROM new_posts n JOIN memberships m ON m.project_id = n.project_id RETURNING post_id
      ),
      tagged AS (
        INSERT INTO post_tags (post_id, tag_id)
        SELECT n.id, t.id FROM new_posts n JOIN tags t ON t.project_id = n.project_id RETURNING post_id
      )
      INSERT INTO comments (post_id, status, author_name, author_email, body_src, body_html, created_at, approved_at)
      SELECT po.id, 'approved', 'Reader ' || c, 'r' || c || '@example.org', 'More.', '<p>More.</p>', now(), now()
      FROM posts po, generate_series(1, 40) c WHERE po.slug = ${MEASURED.post}
    `.compile(t.db),
  );
}

describe('queries per page', () => {
  it('do not grow with the number of posts or comments shown', async () => {
    const before = new Map<string, number>();
    for (const url of PAGES) {
      const r = await queriesFor(url);
      if (url === FEED && r.status === 404) continue; // the feed route is not merged yet
      expect(r.status, url).toBe(200);
      expect(r.queries, `${url} is counted`).toBeGreaterThan(0);
      before.set(url, r.queries);
    }
    await addPostsAndComments();
    const post = await queriesFor(POST);
    expect(post.body.match(/id="comment-\d+"/g)?.length).toBe(41);
    const home = await queriesFor(HOME);
    expect(home.body.match(/class="post-summary"/g)?.length).toBe(10);
    for (const [url, n] of before) {
      const after = url === POST ? post.queries : url === HOME ? home.queries : (await queriesFor(url)).queries;
      expect(after, `${url}: ${n} queries with few posts and comments, ${after} with more`).toBe(n);
      expect(after, `${url} makes ${after} queries`).toBeLessThanOrEqual(10);
    }
  });
});
