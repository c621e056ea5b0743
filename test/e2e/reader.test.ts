// Journey 1: a reader opens the site, goes to a project, pages through posts, opens a post, follows a
// tag and an author, and finds the feed link from the post page — with JavaScript off, as some of our
// readers' browsers are.
import { expect, it } from 'vitest';
import { browserDescribe, follow, screenshot, textOf, useBrowserAndServer, WIDTHS } from './browser.js';

browserDescribe('a reader', () => {
  const fx = useBrowserAndServer();

  it('reads a project, pages through posts, follows a tag and an author, and finds the feed', async () => {
    const context = await fx.browser.newContext({ javaScriptEnabled: false, viewport: { width: WIDTHS.desktop, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${fx.server.baseUrl}/`);
    expect(await textOf(page.locator('h1'))).toBe('Projects working in the open');
    await screenshot(page, 'site-home-1280');

    await follow(page, page.getByRole('link', { name: 'Information Sharing Taskforce' }).first());
    expect(page.url()).toBe(`${fx.server.baseUrl}/info-sharing-taskforce/`);
    await screenshot(page, 'project-home-1280');
    await follow(page, page.getByRole('link', { name: /Older posts/ }));
    expect(page.url()).toMatch(/\?page=2$/);
    expect(await page.locator('.post-summary').count()).toBe(1);
    await follow(page, page.getByRole('link', { name: /Newer posts/ }));

    const firstPost = page.locator('.post-summary-title a').first();
    const title = await textOf(firstPost);
    await follow(page, firstPost);
    expect(await textOf(page.locator('h1'))).toBe(title);

    const feed = page.locator('link[rel="alternate"][type="application/atom+xml"]').first();
    expect(await feed.getAttribute('href')).toBe(`${fx.server.baseUrl}/info-sharing-taskforce/feed.atom`);
    expect(await page.getByRole('link', { name: 'Atom feed' }).first().isVisible()).toBe(true);

    const tag = page.locator('.post-header .tag').first();
    const tagName = await textOf(tag);
    await follow(page, tag);
    expect(await textOf(page.locator('h1'))).toContain(tagName);
    await follow(page, page.locator('.post-summary-title a').first());
    const author = page.locator('.post-header .meta a[href^="/people/"]').first();
    const authorName = await textOf(author);
    await follow(page, author);
    expect(await textOf(page.locator('h1'))).toBe(authorName);
    await context.close();
  });

  it('reads comfortably on a phone-sized screen without sideways scrolling', async () => {
    const context = await fx.browser.newContext({ javaScriptEnabled: false, viewport: { width: WIDTHS.phone, height: 800 } });
    const page = await context.newPage();
    for (const path of ['/', '/info-sharing-taskforce/']) {
      await page.goto(`${fx.server.baseUrl}${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await page.goto(`${fx.server.baseUrl}/`);
    await screenshot(page, 'site-home-375');
    await page.goto(`${fx.server.baseUrl}/info-sharing-taskforce/`);
    await screenshot(page, 'project-home-375');
    await context.close();
  });
});
