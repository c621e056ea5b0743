// The public reading side on the demo content: every page, its key content and canonical link, and
// the 404 / 410 / 301 rules.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: true });
});

function canonicalOf(html: string) {
  return /<link rel="canonical" href="([^"]+)">/.exec(html)?.[1];
}

describe('public pages', () => {
  it('the site home lists projects, active before closed, and the latest posts', async () => {
    const res = await get(t.app, '/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    const active = res.body.indexOf('Information Sharing Taskforce');
    const closed = res.body.indexOf('(Closed)');
    expect(active).toBeGreaterThan(0);
    expect(closed).toBeGreaterThan(active);
    expect(res.body).toContain('Latest posts');
    expect(canonicalOf(res.body)).toBe('http://blogs.test/');
    expect(res.body.match(/<h1[\s>]/g)).toHaveLength(1);
    expect(res.body).toContain('<html lang="en">');
    expect(res.body).toContain('href="#main"');
  });

  it('a project home pages through posts ten at a time', async () => {
    const first = await get(t.app, '/info-sharing-taskforce/');
    expect(first.statusCode).toBe(200);
    expect(first.body.match(/class="post-summary"/g)).toHaveLength(10);
    expect(first.body).toContain('rel="next" href="/info-sharing-taskforce/?page=2"');
    expect(canonicalOf(first.body)).toBe('http://blogs.test/info-sharing-taskforce/');
    const second = await get(t.app, '/info-sharing-taskforce/?page=2');
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('rel="prev" href="/info-sharing-taskforce/"');
    expect(canonicalOf(second.body)).toBe('http://blogs.test/info-sharing-taskforce/?page=2');
    expect((await get(t.app, '/info-sharing-taskforce/?page=99')).statusCode).toBe(404);
    expect((await get(t.app, '/info-sharing-taskforce/?page=abc')).statusCode).toBe(404);
  });

  it('a closed project says so', async () => {
    const res = await get(t.app, '/community-health-review/');
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/Closed:<\/strong> this project has finished/);
  });

  it('a post shows title, authors, date, tags, body and threaded approved comments', async () => {
    const home = await get(t.app, '/info-sharing-taskforce/');
    const href = /href="(\/info-sharing-taskforce\/posts\/[^"]+)"/.exec(home.body)?.[1];
    expect(href).toBeDefined();
    const res = await get(t.app, href!);
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<time datetime="\d{4}-\d\d-\d\dT/);
    expect(res.body).toMatch(/href="\/people\/[a-z-]+"/);
    expect(res.body).toContain('<meta property="og:type" content="article">');
    expect(canonicalOf(res.body)).toBe(`http://blogs.test${href}`);
    expect(res.body).toMatch(/\d+ thoughts? on “/);
  });

  it('threaded comments have permalinks and a team reply is badged', async () => {
    const posts = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.id', 'posts.slug', 'projects.slug as project'])
      .where((eb) => eb.exists(eb.selectFrom('comments').select('comments.id').whereRef('comments.post_id', '=', 'posts.id').where('comments.is_team_reply', '=', true)))
      .execute();
    expect(posts.length).toBeGreaterThan(0);
    const p = posts[0]!;
    const res = await get(t.app, `/${p.project}/posts/${p.slug}`);
    expect(res.body).toMatch(/id="comment-\d+"/);
    expect(res.body).toContain('Project team');
    expect(res.body).toContain('class="comment-replies"');
    const approved = await t.db.selectFrom('comments').select((eb) => eb.fn.countAll<number>().as('n')).where('post_id', '=', p.id).where('status', '=', 'approved').executeTakeFirstOrThrow();
    expect(res.body).toContain(`${approved.n} ${approved.n === 1 ? 'thought' : 'thoughts'} on “`);
  });

  it('a post with comments closed says so', async () => {
    const closed = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.slug', 'projects.slug as project']).where('posts.comments_open', '=', false).executeTakeFirstOrThrow();
    const res = await get(t.app, `/${closed.project}/posts/${closed.slug}`);
    expect(res.body).toContain('Comments are closed.');
  });

  it('the pending demo comment never appears on any public page', async () => {
    const pending = await t.db.selectFrom('comments').innerJoin('posts', 'posts.id', 'comments.post_id').innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.slug', 'projects.slug as project', 'comments.author_email']).where('comments.status', '=', 'pending').executeTakeFirstOrThrow();
    for (const url of ['/', `/${pending.project}/`, `/${pending.project}/posts/${pending.slug}`, `/${pending.project}/?page=2`]) {
      const res = await get(t.app, url);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('PENDING-DEMO-COMMENT');
    }
  });

  it('no commenter email appears on a post page', async () => {
    const c = await t.db.selectFrom('comments').innerJoin('posts', 'posts.id', 'comments.post_id').innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.slug', 'projects.slug as project', 'comments.author_email']).where('comments.status', '=', 'approved').where('comments.is_team_reply', '=', false).executeTakeFirstOrThrow();
    const res = await get(t.app, `/${c.project}/posts/${c.slug}`);
    expect(res.body).not.toContain(c.author_email);
  });

  it('tag, team, person and static pages render', async () => {
    const tag = await t.db.selectFrom('tags').innerJoin('projects', 'projects.id', 'tags.project_id').select(['tags.slug', 'tags.name', 'projects.slug as project']).executeTakeFirstOrThrow();
    const tagPage = await get(t.app, `/${tag.project}/tags/${tag.slug}`);
    expect(tagPage.statusCode).toBe(200);
    expect(tagPage.body).toContain(`Posts tagged “${tag.name}”`);
    const team = await get(t.app, '/info-sharing-taskforce/team');
    expect(team.statusCode).toBe(200);
    expect(team.body).toContain('Role: owner');
    const person = await t.db.selectFrom('people').select(['handle', 'display_name', 'email']).where('handle', '!=', 'site-admin').executeTakeFirstOrThrow();
    const personPage = await get(t.app, `/people/${person.handle}`);
    expect(personPage.statusCode).toBe(200);
    expect(personPage.body).toContain(person.display_name);
    expect(personPage.body).not.toContain(person.email);
    for (const slug of ['about', 'comment-policy']) {
      const page = await get(t.app, `/info-sharing-taskforce/pages/${slug}`);
      expect(page.statusCode).toBe(200);
      expect(canonicalOf(page.body)).toBe(`http://blogs.test/info-sharing-taskforce/pages/${slug}`);
    }
  });

  it('unknown project, post, tag, person and page answer a real 404 page with links back', async () => {
    for (const url of ['/no-such-project/', '/info-sharing-taskforce/posts/no-such-post', '/info-sharing-taskforce/tags/nope', '/people/nobody', '/info-sharing-taskforce/pages/nope', '/a/b/c/d', '/info-sharing-taskforce/posts/<script>', '/x%ZZ', `/${'a'.repeat(300)}/`, `/info-sharing-taskforce/posts/${'a'.repeat(300)}`]) {
      const res = await get(t.app, url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('text/html');
      expect(res.body, url).toContain('href="/"');
      expect(res.body, url).not.toContain('<script>');
    }
  });

  it('trailing-slash and case variants redirect (301) to the canonical URL', async () => {
    const cases: Array<[string, string]> = [
      ['/info-sharing-taskforce', '/info-sharing-taskforce/'],
      ['/Info-Sharing-Taskforce/', '/info-sharing-taskforce/'],
      ['/info-sharing-taskforce/team/', '/info-sharing-taskforce/team'],
      ['/INFO-SHARING-TASKFORCE/TEAM', '/info-sharing-taskforce/team'],
      ['/people/Amira-Hassan', '/people/amira-hassan'],
      ['/info-sharing-taskforce?page=2', '/info-sharing-taskforce/?page=2'],
    ];
    for (const [from, to] of cases) {
      const res = await get(t.app, from);
      expect(res.statusCode, from).toBe(301);
      expect(res.headers.location, from).toBe(to);
    }
  });

  it('an unpublished post answers 410, a renamed one 301s, a draft or future post 404s', async () => {
    const post = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.id', 'posts.slug', 'posts.project_id', 'projects.slug as project']).orderBy('posts.id').executeTakeFirstOrThrow();
    // renamed
    await t.db.insertInto('slug_redirects').values({ project_id: post.project_id, old_slug: 'an-older-name', post_id: post.id }).execute();
    const moved = await get(t.app, `/${post.project}/posts/an-older-name`);
    expect(moved.statusCode).toBe(301);
    expect(moved.headers.location).toBe(`/${post.project}/posts/${post.slug}`);
    // future
    await t.db.updateTable('posts').set({ status: 'scheduled', published_at: new Date(t.clock.now().getTime() + 86_400_000) }).where('id', '=', post.id).execute();
    expect((await get(t.app, `/${post.project}/posts/${post.slug}`)).statusCode).toBe(404);
    t.clock.advance(2 * 86_400_000);
    expect((await get(t.app, `/${post.project}/posts/${post.slug}`)).statusCode).toBe(200);
    t.clock.advance(-2 * 86_400_000);
    // unpublished
    await t.db.updateTable('posts').set({ status: 'unpublished' }).where('id', '=', post.id).execute();
    const gone = await get(t.app, `/${post.project}/posts/${post.slug}`);
    expect(gone.statusCode).toBe(410);
    expect(gone.body).toContain('unpublished');
    // draft
    await t.db.updateTable('posts').set({ status: 'draft' }).where('id', '=', post.id).execute();
    expect((await get(t.app, `/${post.project}/posts/${post.slug}`)).statusCode).toBe(404);
    await t.db.updateTable('posts').set({ status: 'published' }).where('id', '=', post.id).execute();
  });

  it('sends strict security headers', async () => {
    const res = await get(t.app, '/');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('health checks answer', async () => {
    expect((await get(t.app, '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await get(t.app, '/readyz')).json()).toEqual({ status: 'ready' });
  });

  it('serves the stylesheet and demo images from static/', async () => {
    expect((await get(t.app, '/static/css/site.css')).statusCode).toBe(200);
    const img = await get(t.app, '/static/demo/timeline.svg');
    expect(img.statusCode).toBe(200);
    expect(img.headers['content-type']).toContain('image/svg+xml');
  });
});
