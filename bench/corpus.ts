// The benchmark corpus, seeded with set-based SQL (INSERT … SELECT generate_series): 100,000 posts take
// seconds, not minutes. Projects `project-1…N`, each with one author (its owner), five tags and an even
// share of the posts; `project-1/posts/measured-post` is the newest post, with the approved comments.
// Every project's settings let a comment flood through (no rate limit, no minimum time, hold all).
import type pg from 'pg';
import { RENDERER_VERSION } from '../server/markdown/render.js';

export interface CorpusOptions {
  projects: number;
  /** Posts in total, spread evenly over the projects. */
  posts: number;
  /** Approved comments on the measured post. */
  comments: number;
}

export const MEASURED = { project: 'project-1', post: 'measured-post' };
export const BENCH_SETTINGS = { commentsPerTenMinutes: 0, minSecondsToComment: 0, commentPolicy: 'hold-all' };
export const SEARCH_WORDS = ['budget', 'procurement', 'accessibility', 'research', 'prototype', 'privacy', 'records', 'identity', 'payments', 'archives'];

const int = (n: number, what: string) => {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${what} must be a whole number, got ${n}`);
  return n;
};

/** Seeds an empty (migrated) database. Returns the number of posts made. */
export async function seedCorpus(client: pg.ClientBase, options: CorpusOptions): Promise<number> {
  const P = int(options.projects, 'projects');
  const N = int(Math.max(options.posts, P), 'posts');
  const C = int(options.comments, 'comments');
  const settings = JSON.stringify(BENCH_SETTINGS);
  await client.query('BEGIN');
  try {
    await client.query(`
      INSERT INTO people (handle, display_name, email, bio)
      SELECT 'bench-author-' || i, 'Bench Author ' || i, 'bench-author-' || i || '@example.gov', 'Writes about the work of project ' || i || '.'
      FROM generate_series(1, ${P}) i;

      INSERT INTO projects (slug, title, summary, description_md, description_html, rendered_version, settings)
      SELECT 'project-' || i, 'Project ' || i, 'Project number ' || i || ', working in the open.',
             'We publish what we learn.', '<p>We publish what we learn.</p>', ${RENDERER_VERSION}, '${settings}'::jsonb
      FROM generate_series(1, ${P}) i;

      INSERT INTO memberships (project_id, person_id, role)
      SELECT pr.id, pe.id, 'owner' FROM projects pr JOIN people pe ON pe.handle = 'bench-author-' || substr(pr.slug, 9);

      INSERT INTO tags (project_id, slug, name)
      SELECT pr.id, 'topic-' || t, 'Topic ' || t FROM projects pr, generate_series(1, 5) t;
    `);
    await insertPosts(client, P, 0, N);
    await client.query(`
      INSERT INTO comments (post_id, status, author_name, author_email, body_src, body_html, rendered_version,
                            created_at, approved_at)
      SELECT po.id, 'approved', 'Reader ' || c, 'reader-' || c || '@example.org',
             'Thank you for writing this up. Point ' || c || ' matches what we saw in our team.',
             '<p>Thank you for writing this up. Point ' || c || ' matches what we saw in our team, ' ||
               'and we would like to hear how the next round of testing goes.</p>',
             ${RENDERER_VERSION}, now() - make_interval(secs => ${C} - c), now()
      FROM posts po, generate_series(1, ${C}) c
      WHERE po.slug = '${MEASURED.post}';
    `);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  // A database in steady state has been vacuumed by autovacuum: visibility maps let counts use
  // index-only scans. Without this the first minutes after seeding measure the seeding.
  await client.query('VACUUM ANALYZE');
  return N;
}

/**
 * Adds posts to a seeded corpus until it holds `to` (same shape as seedCorpus: older than every post
 * already there, so the pages measured before show the same posts after). Returns the posts added.
 */
export async function growCorpus(client: pg.ClientBase, options: { projects: number; from: number; to: number }): Promise<number> {
  const from = int(options.from, 'from');
  const to = int(options.to, 'to');
  if (to <= from) return 0;
  await client.query('BEGIN');
  try {
    await insertPosts(client, int(options.projects, 'projects'), from, to);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  await client.query('VACUUM ANALYZE');
  // Write the bulk load out now, so that the checkpoint it causes does not compete with the pages
  // measured next (right after growing by 96,000 posts, a cached page's p50 once rose by a third: the
  // database's background writing is the likely cause). Needs superuser or pg_checkpoint; without them
  // the measurement just runs the risk.
  await client.query('CHECKPOINT').catch(() => {});
  return to - from;
}

/**
 * Posts number from+1 … to, spread over the projects in turn, each with its project's author and one of
 * its tags; post 1 is the measured post (the newest: post k was published k minutes ago).
 */
async function insertPosts(client: pg.ClientBase, projects: number, from: number, to: number): Promise<void> {
  const words = `ARRAY[${SEARCH_WORDS.map((w) => `'${w}'`).join(',')}]`;
  // A post body of about 4 KB of rendered HTML, as a real post with a few paragraphs and a list.
  const paragraph = `'<p>This week the team worked on the ' || w || ' service with colleagues from three departments. We tested the new ' || w2 || ' flow with twelve people, wrote down what confused them, and changed the wording of two pages. Next we will look at what happens when a record is missing, and how the service should say so.</p>'`;
  const { rows } = await client.query<{ max: string | null }>('SELECT max(id) AS max FROM posts');
  const before = Number(rows[0]?.max ?? 0);
  await client.query(`
    INSERT INTO posts (project_id, slug, title, summary, body_md, body_html, rendered_version, status,
                       published_at, first_published_at, announced_at, atom_id)
    SELECT pr.id,
           CASE WHEN k = 1 THEN '${MEASURED.post}' ELSE 'post-' || k END,
           'Week ' || k || ': ' || w || ' and the ' || w2 || ' review',
           'What we learned about ' || w || ' this week.',
           'What we learned about ' || w || ' this week.',
           '<h2>What we did</h2>' || repeat(${paragraph}, 6) ||
             '<ul><li>Tested with users</li><li>Changed the wording</li><li>Wrote it down</li></ul>' ||
             '<p>Reference ' || md5(k::text) || '.</p>',
           ${RENDERER_VERSION}, 'published',
           now() - make_interval(mins => k), now() - make_interval(mins => k), now() - make_interval(mins => k),
           'tag:bench.example,2026:post-' || k
    FROM generate_series(${from + 1}, ${to}) k
    CROSS JOIN LATERAL (SELECT (${words})[1 + k % 10] AS w, (${words})[1 + (k / 10) % 10] AS w2) vocab
    JOIN projects pr ON pr.slug = 'project-' || (((k - 1) % ${projects}) + 1);

    INSERT INTO post_authors (post_id, person_id)
    SELECT po.id, m.person_id FROM posts po JOIN memberships m ON m.project_id = po.project_id WHERE po.id > ${before};

    INSERT INTO post_tags (post_id, tag_id)
    SELECT po.id, t.id FROM posts po JOIN tags t ON t.project_id = po.project_id AND t.slug = 'topic-' || (1 + po.id % 5)
    WHERE po.id > ${before};
  `);
}
