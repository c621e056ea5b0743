// Journeys of the project team, in real Chromium with JavaScript off (plain forms):
// 3. a moderator signs in, finds a held comment with the reason it was held, approves it, and the
//    reader sees it with the count updated;
// 4. a contributor writes a draft with an image upload and submits it; an editor previews and
//    publishes it; it appears on the project page;
// 5. keyboard only: the sign-in form and the comment form are reached and sent with Tab and Enter,
//    with focus always visible.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../../server/auth/passwords.js';
import { browserDescribe, follow, signInThroughForm, launchBrowser, screenshot, startE2EServer, textOf, WIDTHS, type E2EServer } from './browser.js';

const PASSWORD = 'a long team password 2026';
// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

browserDescribe('the project team', () => {
  let server: E2EServer;
  let browser: Browser;
  let projectId: number;
  beforeAll(async () => {
    server = await startE2EServer();
    browser = await launchBrowser();
    projectId = (await server.db.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow()).id;
    const hash = await hashPassword(PASSWORD);
    for (const [handle, role] of [['mo-moderator', 'moderator'], ['cara-contributor', 'contributor'], ['ed-editor', 'editor']] as const) {
      const person = await server.db.insertInto('people').values({ handle, display_name: handle.replace('-', ' '), email: `${handle}@example.gov`, password_hash: hash }).returning('id').executeTakeFirstOrThrow();
      await server.db.insertInto('memberships').values({ project_id: projectId, person_id: person.id, role }).execute();
    }
  });
  afterAll(async () => browser?.close());

  const signIn = (context: BrowserContext, handle: string) => signInThroughForm(context, server.baseUrl, `${handle}@example.gov`, PASSWORD);

  async function openPost() {
    return server.db.selectFrom('posts').select(['slug', 'title']).where('comments_open', '=', true).where('project_id', '=', projectId).orderBy('published_at', 'desc').executeTakeFirstOrThrow();
  }

  it('3. a moderator finds a held comment with its reason and approves it; the reader then sees it', async () => {
    const post = await openPost();
    const reader = await browser.newContext({ javaScriptEnabled: false });
    const readerPage = await reader.newPage();
    await readerPage.goto(`${server.baseUrl}/info-sharing-taskforce/posts/${post.slug}`);
    const heading = await textOf(readerPage.locator('#comments-heading'));
    const before = Number(heading.split(' ')[0]);
    await readerPage.getByLabel('Name').fill('Jo Public');
    await readerPage.getByLabel('Email').fill('jo.public@example.org');
    await readerPage.getByLabel('Comment', { exact: true }).fill('Will the final recommendations be published in an accessible format?');
    server.clock.advance(60_000);
    await follow(readerPage, readerPage.getByRole('button', { name: 'Send comment' }));
    expect(await textOf(readerPage.locator('.comment', { hasText: 'accessible format' }))).toMatch(/awaiting moderation/i);

    const team = await browser.newContext({ javaScriptEnabled: false, viewport: { width: WIDTHS.desktop, height: 900 } });
    const mod = await signIn(team, 'mo-moderator');
    await mod.goto(`${server.baseUrl}/admin/moderation`);
    const item = mod.locator('.moderation-item', { hasText: 'accessible format' });
    expect(await item.count()).toBe(1);
    expect(await textOf(item.locator('.hold-reasons'))).not.toBe('');
    await screenshot(mod, 'moderation-queue-1280');
    await mod.setViewportSize({ width: WIDTHS.phone, height: 800 });
    await screenshot(mod, 'moderation-queue-375');
    await follow(mod, item.getByRole('button', { name: 'Approve comment by Jo Public' }));
    expect(await mod.locator('.moderation-item', { hasText: 'accessible format' }).count()).toBe(0);

    const fresh = await browser.newContext({ javaScriptEnabled: false });
    const freshPage = await fresh.newPage();
    await freshPage.goto(`${server.baseUrl}/info-sharing-taskforce/posts/${post.slug}`);
    const shown = freshPage.locator('.comment', { hasText: 'accessible format' });
    expect(await shown.count()).toBe(1);
    expect(await textOf(shown)).not.toMatch(/awaiting moderation/i);
    expect(await textOf(freshPage.locator('#comments-heading'))).toMatch(new RegExp(`^${before + 1} thoughts? on`));
    await freshPage.setViewportSize({ width: WIDTHS.desktop, height: 900 });
    await screenshot(freshPage, 'post-with-comments-1280');
    await freshPage.setViewportSize({ width: WIDTHS.phone, height: 800 });
    await screenshot(freshPage, 'post-with-comments-375');
    await Promise.all([reader.close(), team.close(), fresh.close()]);
  });

  it('4. a contributor drafts a post with an image; an editor previews and publishes it', async () => {
    const contributor = await browser.newContext({ javaScriptEnabled: false, viewport: { width: WIDTHS.desktop, height: 900 } });
    const page = await signIn(contributor, 'cara-contributor');
    await page.goto(`${server.baseUrl}/admin/projects/info-sharing-taskforce/posts/new`);
    await page.getByLabel('Title').fill('What we heard at the regional workshops');
    await page.getByLabel('Summary').fill('Three workshops, forty people, five themes.');
    await page.getByLabel('Text (Markdown)').fill('We ran three workshops in November.\n\n## Five themes\n\n1. Consent\n2. Trust\n');
    await follow(page, page.getByRole('button', { name: 'Save draft' }));
    expect(page.url()).toMatch(/\/posts\/\d+\/edit/);
    await screenshot(page, 'editor-1280');
    await page.setViewportSize({ width: WIDTHS.phone, height: 800 });
    await screenshot(page, 'editor-375');
    await page.setViewportSize({ width: WIDTHS.desktop, height: 900 });

    await page.setInputFiles('#image-file', { name: 'workshop.png', mimeType: 'image/png', buffer: PNG });
    await page.getByLabel('Describe the image (alt text)').fill('Sticky notes grouped into five themes');
    await follow(page, page.getByRole('button', { name: 'Upload image' }));
    const markdown = await page.inputValue('#image-markdown');
    expect(markdown).toMatch(/^!\[Sticky notes grouped into five themes\]\(\/media\/[0-9a-f]{64}\.png\)$/);
    const body = await page.inputValue('#post-body');
    await page.getByLabel('Text (Markdown)').fill(`${body}\n${markdown}\n`);
    expect(await page.getByRole('button', { name: 'Publish now' }).count()).toBe(0); // contributors cannot publish
    await follow(page, page.getByRole('button', { name: 'Submit for review' }));
    const editUrl = page.url().split('?')[0]!;
    await contributor.close();

    const editorContext = await browser.newContext({ javaScriptEnabled: false, viewport: { width: WIDTHS.desktop, height: 900 } });
    const editor = await signIn(editorContext, 'ed-editor');
    await editor.goto(editUrl);
    await follow(editor, editor.getByRole('button', { name: 'Preview' }));
    const preview = editor.locator('.preview');
    expect(await textOf(preview.locator('h2, h3').filter({ hasText: 'Five themes' }))).toContain('Five themes');
    expect(await preview.locator('img[alt="Sticky notes grouped into five themes"]').count()).toBe(1);
    await follow(editor, editor.getByRole('button', { name: 'Publish now' }));
    await editorContext.close();

    const readerContext = await browser.newContext({ javaScriptEnabled: false });
    const reader = await readerContext.newPage();
    await reader.goto(`${server.baseUrl}/info-sharing-taskforce/`);
    const link = reader.getByRole('link', { name: 'What we heard at the regional workshops' });
    expect(await link.count()).toBe(1);
    await follow(reader, link);
    const img = reader.locator('img[alt="Sticky notes grouped into five themes"]');
    expect(await img.count()).toBe(1);
    expect(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(1);
    await readerContext.close();
  });

  it('5. keyboard only: sign in, and send a comment, with Tab and Enter and visible focus', async () => {
    const context = await browser.newContext({ viewport: { width: WIDTHS.desktop, height: 900 } });
    const page = await context.newPage();

    async function tabTo(selector: string, limit = 60) {
      for (let i = 0; i < limit; i++) {
        await page.keyboard.press('Tab');
        const state = await page.evaluate((sel) => {
          const el = document.activeElement as HTMLElement | null;
          if (!el || el === document.body) return { match: false, visible: true };
          const style = getComputedStyle(el);
          return { match: el.matches(sel), visible: style.outlineStyle !== 'none' || style.boxShadow !== 'none' };
        }, selector);
        expect(state.visible, `focus visible while tabbing to ${selector}`).toBe(true);
        if (state.match) return;
      }
      throw new Error(`Tab never reached ${selector}`);
    }

    await page.goto(`${server.baseUrl}/login`);
    await tabTo('#email');
    await page.keyboard.type('ed-editor@example.gov');
    await tabTo('#password');
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForURL(/\/admin/), page.keyboard.press('Enter')]);
    await page.goto(`${server.baseUrl}/login`); // sign-in page still reachable; sign out for the comment
    await context.clearCookies();

    const post = await openPost();
    await page.goto(`${server.baseUrl}/info-sharing-taskforce/posts/${post.slug}`);
    await tabTo('#comment-name', 400);
    await page.keyboard.type('Kim Keyboard');
    await tabTo('#comment-email');
    await page.keyboard.type('kim@example.org');
    await tabTo('#comment-body');
    await page.keyboard.type('Sent without a mouse.');
    server.clock.advance(60_000);
    await tabTo('.comment-form button[type=submit]');
    await Promise.all([page.waitForURL(/#comment-\d+$/), page.keyboard.press('Enter')]);
    expect(await textOf(page.locator('.comment', { hasText: 'Sent without a mouse.' }))).toMatch(/awaiting moderation/i);
    await context.close();
  });
});
