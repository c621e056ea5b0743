// The look of the pages (issue 14, items 7–9), measured in real Chromium: a compact phone header, the
// type scale and line length, large checkboxes, warning buttons for destructive actions, and deleting
// a comment from the moderation queue through its confirmation page with JavaScript off. Layout checks
// (sizes in CSS pixels), never timings.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { axeViolations, browserDescribe, describeViolations, follow, signInThroughForm, textOf, useBrowserAndServer, WIDTHS, type E2EServer } from './browser.js';

async function postWithComments(s: E2EServer): Promise<string> {
  const row = await s.db
    .selectFrom('posts')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select('posts.slug')
    .where('projects.slug', '=', 'info-sharing-taskforce')
    .orderBy('posts.published_at', 'desc')
    .executeTakeFirstOrThrow();
  return `/info-sharing-taskforce/posts/${row.slug}`;
}

/** The runner's limit for a test (not an assertion): a shared, busy machine is slow. */
const BROWSER_TEST_LIMIT = 180_000;

const headerHeight = (page: Page) => page.locator('.site-header').evaluate((el) => el.getBoundingClientRect().height);

/** Characters on the longest line of the element's text (lines found from the text's client rects). */
async function longestLine(page: Page, selector: string): Promise<number> {
  return page.locator(selector).first().evaluate((el) => {
    const text = el.firstChild?.nodeType === Node.TEXT_NODE ? el.firstChild : el;
    const walker = document.createTreeWalker(text.parentNode === el ? el : text, NodeFilter.SHOW_TEXT);
    const perLine = new Map<number, number>();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      for (let i = 0; i < (node.textContent ?? '').length; i++) {
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const top = Math.round(range.getBoundingClientRect().top);
        perLine.set(top, (perLine.get(top) ?? 0) + 1);
      }
    }
    return Math.max(...perLine.values());
  });
}

browserDescribe('the look of the pages', () => {
  const fx = useBrowserAndServer();

  it('the header is compact on a phone (375 px): the search fits on one row, for readers and for the team', async () => {
    const context = await fx.browser.newContext({ viewport: { width: WIDTHS.phone, height: 800 }, javaScriptEnabled: false });
    const page = await context.newPage();
    for (const url of ['/', '/info-sharing-taskforce/', await postWithComments(fx.server), '/search?q=data']) {
      await page.goto(fx.server.baseUrl + url);
      expect(await headerHeight(page), url).toBeLessThanOrEqual(120);
      // The search box and its button share one row, the full width of the header.
      const input = (await page.locator('#site-search').boundingBox())!;
      const button = (await page.locator('.search-form button').boundingBox())!;
      expect(Math.abs(input.y - button.y), url).toBeLessThan(2);
      expect(input.width + button.width, url).toBeGreaterThan(WIDTHS.phone * 0.8);
      expect(await page.getByRole('search').first().getByLabel('Search posts').count()).toBe(1);
    }
    const team = await signInThroughForm(context, fx.server.baseUrl, 'admin@example.gov', DEMO_PASSWORD);
    for (const url of ['/admin', '/admin/moderation', await postWithComments(fx.server)]) {
      await team.goto(fx.server.baseUrl + url);
      if (process.env.LOOK_SHOTS) await team.screenshot({ path: `${process.env.LOOK_SHOTS}/header-signed-in.png` });
      expect(await headerHeight(team), `${url}, signed in`).toBeLessThanOrEqual(120);
    }
    // Desktop: one row.
    await page.setViewportSize({ width: WIDTHS.desktop, height: 800 });
    await page.goto(fx.server.baseUrl + (await postWithComments(fx.server)));
    expect(await headerHeight(page)).toBeLessThanOrEqual(90);
    await context.close();
  }, BROWSER_TEST_LIMIT);

  it('type follows a responsive scale (16/32 px on phones, 19/48 px on desktops) and prose keeps a readable measure', async () => {
    const context = await fx.browser.newContext({ viewport: { width: WIDTHS.phone, height: 800 } });
    const page = await context.newPage();
    const sizes = () => page.evaluate(() => ({
      body: parseFloat(getComputedStyle(document.querySelector('.prose p')!).fontSize),
      h1: parseFloat(getComputedStyle(document.querySelector('h1')!).fontSize),
    }));
    const post = await postWithComments(fx.server);
    await page.goto(fx.server.baseUrl + post);
    expect(await sizes()).toEqual({ body: 16, h1: 32 });
    await page.setViewportSize({ width: WIDTHS.desktop, height: 800 });
    expect(await sizes()).toEqual({ body: 19, h1: 48 });
    const proseLine = await longestLine(page, '.prose p');
    expect(proseLine).toBeGreaterThanOrEqual(55);
    expect(proseLine).toBeLessThanOrEqual(80);
    await page.goto(`${fx.server.baseUrl}/search?q=sharing`);
    const excerpts = page.locator('.search-excerpt');
    expect(await excerpts.count()).toBeGreaterThan(0);
    expect(await longestLine(page, '.search-excerpt')).toBeLessThanOrEqual(80);
    for (const excerpt of await excerpts.allTextContents()) {
      // Short, and starting at a word boundary: either the start of the text, or an ellipsis before a whole word.
      expect(excerpt.length, excerpt).toBeLessThanOrEqual(320);
      expect(excerpt, excerpt).toMatch(/^(… [\p{L}\p{N}"“‘'(]|[\p{Lu}\p{N}"“‘'(#*])/u);
    }
    await context.close();
  }, BROWSER_TEST_LIMIT);

  it('the team side: large checkboxes, a red warning button for Delete, and the restyled forms reflow at 320 px', async () => {
    const context = await fx.browser.newContext({ viewport: { width: WIDTHS.desktop, height: 900 } });
    const page = await signInThroughForm(context, fx.server.baseUrl, 'admin@example.gov', DEMO_PASSWORD);
    await page.goto(`${fx.server.baseUrl}/admin/moderation`);
    const item = page.locator('.moderation-item').first();
    const box = (await item.locator('input[type=checkbox]').boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(40);
    expect(box.height).toBeGreaterThanOrEqual(40);
    const colours = async (name: RegExp) => item.getByRole('button', { name }).evaluate((b) => getComputedStyle(b).backgroundColor);
    const del = await colours(/^Delete/);
    expect(del).not.toBe(await colours(/^Approve/));
    expect(del).toBe('rgb(176, 0, 32)');
    await page.setViewportSize({ width: 320, height: 600 });
    // Pages whose wide tables scroll in their own region are checked by the accessibility suite.
    const post = await fx.server.db.selectFrom('posts').select('id').orderBy('id').executeTakeFirstOrThrow();
    const team = ['/admin', '/admin/projects/info-sharing-taskforce/settings', `/admin/projects/info-sharing-taskforce/posts/${post.id}/edit`, '/admin/projects/new', '/admin/profile'];
    for (const url of team) {
      await page.goto(fx.server.baseUrl + url);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, url).toBeLessThanOrEqual(0);
    }
    await context.close();
  }, BROWSER_TEST_LIMIT);

  for (const [name, width] of Object.entries(WIDTHS)) {
    it(`axe finds no WCAG A/AA violations on the restyled team pages and the confirmation pages, light and dark, at ${name} width`, async () => {
      const context = await fx.browser.newContext({ viewport: { width, height: 900 } });
      const page = await signInThroughForm(context, fx.server.baseUrl, 'admin@example.gov', DEMO_PASSWORD);
      const post = await fx.server.db.selectFrom('posts').select('id').orderBy('id').executeTakeFirstOrThrow();
      const P = `${fx.server.baseUrl}/admin/projects/info-sharing-taskforce`;
      const states: Array<[string, () => Promise<unknown>]> = [
        ['dashboard', () => page.goto(`${fx.server.baseUrl}/admin`)],
        ['moderation queue', () => page.goto(`${fx.server.baseUrl}/admin/moderation`)],
        ['delete a comment?', () => follow(page, page.locator('.moderation-item').first().getByRole('button', { name: /^Delete/ }))],
        ['post list', () => page.goto(`${P}/posts`)],
        ['editor', () => page.goto(`${P}/posts/${post.id}/edit`)],
        ['delete a post?', () => follow(page, page.getByRole('button', { name: 'Delete post' }))],
        ['settings', () => page.goto(`${P}/settings`)],
        ['team', () => page.goto(`${P}/team`)],
        ['remove from the team?', () => follow(page, page.getByRole('button', { name: /^Remove Tom Okafor/ }))],
        ['people', () => page.goto(`${fx.server.baseUrl}/admin/people`)],
      ];
      const failures: string[] = [];
      for (const [state, reach] of states) {
        await page.emulateMedia({ colorScheme: 'light' });
        await reach();
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          const violations = await axeViolations(page);
          if (violations.length) failures.push(`${state} (${scheme}):\n${describeViolations(violations)}`);
        }
      }
      await context.close();
      expect(failures.join('\n\n')).toBe('');
    }, BROWSER_TEST_LIMIT);
  }

  it('a moderator deletes a comment through the confirmation page, JavaScript off; "No" changes nothing', async () => {
    const post = await fx.server.db.selectFrom('posts').select('id').orderBy('id').executeTakeFirstOrThrow();
    const comment = await fx.server.db.insertInto('comments').values({
      post_id: post.id, status: 'pending', author_name: 'Dee Letion', author_email: 'dee@example.org',
      body_src: 'Please delete me carefully.', body_html: '<p>Please delete me carefully.</p>', created_at: fx.server.clock.now(),
    }).returning('id').executeTakeFirstOrThrow();
    const statusOf = async () => (await fx.server.db.selectFrom('comments').select('status').where('id', '=', comment.id).executeTakeFirstOrThrow()).status;
    const context = await fx.browser.newContext({ javaScriptEnabled: false, viewport: { width: WIDTHS.phone, height: 800 } });
    const page = await signInThroughForm(context, fx.server.baseUrl, 'admin@example.gov', DEMO_PASSWORD);
    await page.goto(`${fx.server.baseUrl}/admin/moderation`);
    const item = () => page.locator(`#mod-${comment.id}`);

    await follow(page, item().getByRole('button', { name: /^Delete/ }));
    expect(await textOf(page.locator('h1'))).toBe('Delete the comment by Dee Letion?');
    expect(await textOf(page.locator('main'))).toContain('Please delete me carefully.');
    expect(await statusOf()).toBe('pending');
    await follow(page, page.getByRole('link', { name: 'No, back to the queue' }));
    expect(new URL(page.url()).pathname).toBe('/admin/moderation');
    expect(await item().count()).toBe(1);
    expect(await statusOf()).toBe('pending');

    await follow(page, item().getByRole('button', { name: /^Delete/ }));
    const confirm = page.getByRole('button', { name: 'Yes, delete the comment' });
    expect(await confirm.evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(176, 0, 32)');
    await follow(page, confirm);
    expect(new URL(page.url()).pathname).toBe('/admin/moderation');
    expect(await item().count()).toBe(0);
    expect(await statusOf()).toBe('deleted');
    await context.close();
  }, BROWSER_TEST_LIMIT);
});
