// axe-core reports no WCAG 2.0/2.1/2.2 A or AA violation on any page type, at desktop and phone widths;
// and the checks axe cannot make: heading order, focus visible, the skip link, reflow at 400% zoom,
// the weight budget of a post page with 20 comments.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { axeViolations, browserDescribe, describeViolations, type E2EServer, follow, useBrowserAndServer, WIDTHS } from './browser.js';

/** Public page types; each resolves to a URL on the demo content. */
const PUBLIC_PAGES: Record<string, (s: E2EServer) => Promise<string>> = {
  'site home': async () => '/',
  'project home': async () => '/info-sharing-taskforce/',
  'project home, page 2': async () => '/info-sharing-taskforce/?page=2',
  'closed project': async () => '/community-health-review/',
  'post with comments': async (s) => `/info-sharing-taskforce/posts/${await busiestPost(s)}`,
  'tag listing': async () => '/info-sharing-taskforce/tags/weeknotes',
  team: async () => '/info-sharing-taskforce/team',
  person: async () => '/people/amira-hassan',
  'static page': async () => '/info-sharing-taskforce/pages/comment-policy',
  'not found': async () => '/no-such-project/',
  'accessibility statement': async () => '/accessibility',
  'search results': async () => '/search?q=sharing+agreement',
  'search, no query': async () => '/search',
  'sign in': async () => '/login',
};

/** Signed-in page types (as the site admin, who may see them all). */
const ADMIN_PAGES: Record<string, (s: E2EServer) => Promise<string>> = {
  dashboard: async () => '/admin',
  'post list': async () => '/admin/projects/info-sharing-taskforce/posts',
  'new post': async () => '/admin/projects/info-sharing-taskforce/posts/new',
  'edit post': async (s) => `/admin/projects/info-sharing-taskforce/posts/${await firstPostId(s)}/edit`,
  revisions: async (s) => `/admin/projects/info-sharing-taskforce/posts/${await firstPostId(s)}/revisions`,
  'page list': async () => '/admin/projects/info-sharing-taskforce/pages',
  'new page': async () => '/admin/projects/info-sharing-taskforce/pages/new',
  'image upload': async () => '/admin/projects/info-sharing-taskforce/images/new',
  team: async () => '/admin/projects/info-sharing-taskforce/team',
  settings: async () => '/admin/projects/info-sharing-taskforce/settings',
  'moderation queue': async () => '/admin/moderation',
  'moderation log': async () => '/admin/projects/info-sharing-taskforce/moderation-log',
  'comments pause': async () => '/admin/comments-pause',
  people: async () => '/admin/people',
  'new project': async () => '/admin/projects/new',
  profile: async () => '/admin/profile',
  'change password': async () => '/admin/password',
};

async function firstPostId(s: E2EServer): Promise<number> {
  return (await s.db.selectFrom('posts').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
}

async function busiestPost(s: E2EServer): Promise<string> {
  const row = await s.db
    .selectFrom('posts')
    .innerJoin('comments', 'comments.post_id', 'posts.id')
    .select(['posts.slug', (eb) => eb.fn.countAll<number>().as('n')])
    .where('comments.status', '=', 'approved')
    .where('posts.project_id', '=', (eb) => eb.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce'))
    .groupBy('posts.slug')
    .orderBy('n', 'desc')
    .executeTakeFirstOrThrow();
  return row.slug;
}

browserDescribe('accessibility', () => {
  const fx = useBrowserAndServer();

  for (const [name, width] of Object.entries(WIDTHS)) {
    it(`axe finds no WCAG A/AA violations on any public page at ${name} width (${width}px)`, async () => {
      const context = await fx.browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      const failures: string[] = [];
      for (const [type, url] of Object.entries(PUBLIC_PAGES)) {
        await page.goto(fx.server.baseUrl + (await url(fx.server)));
        const violations = await axeViolations(page);
        if (violations.length) failures.push(`${type}:\n${describeViolations(violations)}`);
        for (const scheme of ['dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          const dark = await axeViolations(page);
          if (dark.length) failures.push(`${type} (${scheme} mode):\n${describeViolations(dark)}`);
          await page.emulateMedia({ colorScheme: 'light' });
        }
      }
      await context.close();
      expect(failures.join('\n\n')).toBe('');
    });
  }

  for (const [name, width] of Object.entries(WIDTHS)) {
    it(`axe finds no WCAG A/AA violations on any signed-in page, or on forms showing errors, at ${name} width (${width}px)`, async () => {
      const context = await fx.browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      const failures: string[] = [];
      const check = async (type: string) => {
        const violations = await axeViolations(page);
        if (violations.length) failures.push(`${type}:\n${describeViolations(violations)}`);
      };
      // Forms in their error state, as people meet them.
      await page.goto(`${fx.server.baseUrl}/login`);
      await follow(page, page.getByRole('button', { name: 'Sign in' }));
      await check('sign in, with errors');
      await page.goto(`${fx.server.baseUrl}${await PUBLIC_PAGES['post with comments']!(fx.server)}`);
      await page.getByLabel('Comment', { exact: true }).fill('A comment without a name.');
      await follow(page, page.getByRole('button', { name: 'Send comment' }));
      await check('comment form, with errors');

      await page.goto(`${fx.server.baseUrl}/login`);
      await page.getByLabel('Email address').fill('admin@example.gov');
      await page.getByLabel('Password').fill(DEMO_PASSWORD);
      await follow(page, page.getByRole('button', { name: 'Sign in' }));
      for (const [type, url] of Object.entries(ADMIN_PAGES)) {
        const response = await page.goto(fx.server.baseUrl + (await url(fx.server)));
        expect(response?.status(), type).toBe(200);
        await check(type);
      }
      await page.goto(`${fx.server.baseUrl}/admin/projects/info-sharing-taskforce/posts/new`);
      await follow(page, page.getByRole('button', { name: 'Save draft' }));
      await check('new post, with errors');
      await context.close();
      expect(failures.join('\n\n')).toBe('');
    });
  }

  it('every public page has lang, one h1, headings that do not skip levels, and a working skip link', async () => {
    const context = await fx.browser.newContext({ viewport: { width: WIDTHS.desktop, height: 900 } });
    const page = await context.newPage();
    for (const [type, url] of Object.entries(PUBLIC_PAGES)) {
      await page.goto(fx.server.baseUrl + (await url(fx.server)));
      expect(await page.getAttribute('html', 'lang'), type).toBe('en');
      const levels = await page.$$eval('h1, h2, h3, h4, h5, h6', (hs) => hs.map((h) => Number(h.tagName[1])));
      expect(levels.filter((l) => l === 1), type).toHaveLength(1);
      for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!, `${type}: heading order ${levels.join(',')}`).toBeLessThanOrEqual(1);
    }
    // Keyboard: the first Tab reaches the skip link, visibly; Enter moves focus to the main content.
    await page.goto(`${fx.server.baseUrl}/info-sharing-taskforce/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to main content');
    const box = await page.locator('.skip-link').boundingBox();
    expect(box && box.x >= 0 && box.y >= 0).toBe(true);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await context.close();
  });

  it('text reflows at 400% zoom (320 CSS px) without sideways scrolling', async () => {
    const context = await fx.browser.newContext({ viewport: { width: 320, height: 256 } });
    const page: Page = await context.newPage();
    for (const [type, url] of Object.entries(PUBLIC_PAGES)) {
      await page.goto(fx.server.baseUrl + (await url(fx.server)));
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, type).toBeLessThanOrEqual(0);
    }
    await context.close();
  });

  it('a post page with 20 comments stays within the weight budget: HTML < 60 KB, CSS < 20 KB, no script', async () => {
    const slug = await busiestPost(fx.server);
    const post = await fx.server.db.selectFrom('posts').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
    const existing = await fx.server.db.selectFrom('comments').select((eb) => eb.fn.countAll<number>().as('n')).where('post_id', '=', post.id).where('status', '=', 'approved').executeTakeFirstOrThrow();
    for (let i = existing.n; i < 20; i++) {
      await fx.server.db.insertInto('comments').values({
        post_id: post.id, author_name: `Reader ${i}`, author_email: `reader${i}@example.com`, status: 'approved',
        body_src: 'A considered comment of ordinary length, asking a question about the work and offering an example from practice.',
        body_html: '<p>A considered comment of ordinary length, asking a question about the work and offering an example from practice.</p>',
        created_at: fx.server.clock.now(),
      }).execute();
    }
    const context = await fx.browser.newContext();
    const page = await context.newPage();
    const sizes: Record<string, number> = {};
    page.on('response', async (res) => {
      const type = res.request().resourceType();
      const body = await res.body().catch(() => Buffer.alloc(0));
      sizes[type] = (sizes[type] ?? 0) + body.length;
    });
    await page.goto(`${fx.server.baseUrl}/info-sharing-taskforce/posts/${slug}`, { waitUntil: 'networkidle' });
    expect(await page.locator('.comment').count()).toBeGreaterThanOrEqual(20);
    expect(sizes.document ?? 0).toBeLessThan(60 * 1024);
    expect(sizes.stylesheet ?? 0).toBeLessThan(20 * 1024);
    expect(sizes.script ?? 0).toBe(0);
    await context.close();
  });
});
