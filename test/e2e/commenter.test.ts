// Journey 2: a member of the public comments with JavaScript disabled, makes a mistake (empty name),
// sees the error beside the field with their text kept, fixes it, and sees "awaiting moderation" —
// which nobody else sees.
import { expect, it } from 'vitest';
import { browserDescribe, follow, screenshot, textOf, useBrowserAndServer, WIDTHS } from './browser.js';

browserDescribe('a commenter with JavaScript off', () => {
  const fx = useBrowserAndServer();

  it('fixes a mistake without losing the text, then sees the comment awaiting moderation', async () => {
    const context = await fx.browser.newContext({ javaScriptEnabled: false, viewport: { width: WIDTHS.desktop, height: 900 } });
    const page = await context.newPage();
    const post = await fx.server.db.selectFrom('posts').select(['slug', 'title']).where('comments_open', '=', true)
      .where('project_id', '=', (eb) => eb.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce')).orderBy('published_at', 'desc').executeTakeFirstOrThrow();
    await page.goto(`${fx.server.baseUrl}/info-sharing-taskforce/posts/${post.slug}`);
    const text = 'Could the register also record when an agreement was last reviewed?\n\nIn our council nobody knows.';
    await page.getByLabel('Email').fill('sam.reader@example.com');
    await page.getByLabel('Comment', { exact: true }).fill(text);
    fx.server.clock.advance(30_000); // a person takes time to write; the form refuses instant posts
    await follow(page, page.getByRole('button', { name: 'Send comment' }));

    expect(await textOf(page.locator('.error-summary'))).toContain('name');
    const nameError = page.locator('#comment-name-error');
    expect(await nameError.isVisible()).toBe(true);
    expect(await page.getAttribute('#comment-name', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#comment-name', 'aria-describedby')).toContain('comment-name-error');
    expect(await page.inputValue('#comment-body')).toBe(text);
    expect(await page.inputValue('#comment-email')).toBe('sam.reader@example.com');
    await screenshot(page, 'comment-error-1280');

    await page.getByLabel('Name').fill('Sam Reader');
    fx.server.clock.advance(30_000);
    await follow(page, page.getByRole('button', { name: 'Send comment' }));
    const mine = page.locator('.comment', { hasText: 'last reviewed' });
    expect(await mine.count()).toBe(1);
    expect(await textOf(mine)).toMatch(/awaiting moderation/i);
    await screenshot(page, 'comment-awaiting-1280');

    // Another visitor (no cookie) does not see it.
    const other = await fx.browser.newContext({ javaScriptEnabled: false });
    const otherPage = await other.newPage();
    await otherPage.goto(`${fx.server.baseUrl}/info-sharing-taskforce/posts/${post.slug}`);
    expect(await otherPage.locator('.comment', { hasText: 'last reviewed' }).count()).toBe(0);
    await other.close();
    await context.close();
  });
});
