// Issue 16, items 5 and 10, in real Chromium with JavaScript off (plain forms):
// a contributor uploads an image (asked for its description), submits; an editor sends it back with
// a note, which the contributor reads and answers; the editor back-dates, pins and publishes it, and
// the public page and its social preview show it; a scheduled post reads "Published" once its time has
// come; bulk actions unpublish from the list.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../../server/auth/passwords.js';
import { browserDescribe, follow, signInThroughForm, launchBrowser, screenshot, startE2EServer, textOf, type E2EServer } from './browser.js';

const PASSWORD = 'a long team password 2026';
// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const P = '/admin/projects/info-sharing-taskforce';

browserDescribe('writing (issue 16, items 5 and 10)', () => {
  let server: E2EServer;
  let browser: Browser;
  let contributor: BrowserContext;
  let editor: BrowserContext;
  let writer: Page;
  let ed: Page;
  let editUrl = '';

  beforeAll(async () => {
    server = await startE2EServer();
    browser = await launchBrowser();
    const projectId = (await server.db.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow()).id;
    const hash = await hashPassword(PASSWORD);
    for (const [handle, role] of [['wren-writer', 'contributor'], ['eve-editor', 'editor']] as const) {
      const person = await server.db.insertInto('people').values({ handle, display_name: handle === 'eve-editor' ? 'Eve Editor' : 'Wren Writer', email: `${handle}@example.gov`, password_hash: hash }).returning('id').executeTakeFirstOrThrow();
      await server.db.insertInto('memberships').values({ project_id: projectId, person_id: person.id, role }).execute();
    }
    contributor = await browser.newContext({ javaScriptEnabled: false });
    editor = await browser.newContext({ javaScriptEnabled: false });
    writer = await signIn(contributor, 'wren-writer');
    ed = await signIn(editor, 'eve-editor');
  });
  afterAll(async () => browser?.close());

  const signIn = (context: BrowserContext, handle: string) => signInThroughForm(context, server.baseUrl, `${handle}@example.gov`, PASSWORD);

  it('an upload asks what the image shows; the post goes for review and comes back with a note', async () => {
    await writer.goto(`${server.baseUrl}${P}/posts/new`);
    await writer.getByLabel('Title').fill('What we heard in the autumn workshops');
    await writer.getByLabel('Summary').fill('Five themes from three workshops.');
    await writer.getByLabel('Text (Markdown)').fill('We ran three workshops.\n');
    await follow(writer, writer.getByRole('button', { name: 'Save draft' }));
    editUrl = new URL(writer.url()).pathname;

    await writer.setInputFiles('#image-file', { name: 'themes.png', mimeType: 'image/png', buffer: PNG });
    await follow(writer, writer.getByRole('button', { name: 'Upload image' }));
    expect(await textOf(writer.locator('.error-summary'))).toContain('Describe the image');
    await writer.setInputFiles('#image-file', { name: 'themes.png', mimeType: 'image/png', buffer: PNG });
    await writer.getByLabel('Describe the image (alt text)').fill('Sticky notes grouped into five themes');
    await follow(writer, writer.getByRole('button', { name: 'Upload image' }));
    const markdown = await writer.inputValue('#image-markdown');
    expect(markdown).toMatch(/^!\[Sticky notes grouped into five themes\]\(\/media\/[0-9a-f]{64}\.png\)$/);
    await writer.getByLabel('Text (Markdown)').fill(`${await writer.inputValue('#post-body')}\n${markdown}\n`);
    await follow(writer, writer.getByRole('button', { name: 'Submit for review' }));

    await ed.goto(`${server.baseUrl}${editUrl}`);
    await ed.getByLabel('Note for the writer').fill('Please say when the workshops were.');
    await follow(ed, ed.getByRole('button', { name: 'Send back to the writer' }));
    expect(await textOf(ed.locator('.notice[role="status"]'))).toContain('Sent back to the writer');

    await writer.goto(`${server.baseUrl}/admin`);
    await follow(writer, writer.getByRole('link', { name: /sent back to you with a note/ }));
    await follow(writer, writer.getByRole('link', { name: 'What we heard in the autumn workshops' }));
    expect(await textOf(writer.locator('.review-note'))).toContain('Sent back for changes by Eve Editor Please say when the workshops were.');
    await screenshot(writer, 'editor-sent-back-1280');
    await writer.getByLabel('Text (Markdown)').fill(`The workshops were in November 2025.\n\n${await writer.inputValue('#post-body')}`);
    await follow(writer, writer.getByRole('button', { name: 'Submit for review' }));
    expect(await writer.locator('.review-note').count()).toBe(0);
  });

  it('the editor back-dates, pins and publishes it; the project page leads with it and shares its image', async () => {
    await ed.goto(`${server.baseUrl}${editUrl}`);
    await ed.getByLabel('Publication date').fill('2025-11-28T12:00');
    await ed.getByLabel('Pinned to the top of the project’s blog').check();
    await follow(ed, ed.getByRole('button', { name: 'Publish now' }));
    expect(await textOf(ed.locator('.notice[role="status"]'))).toContain('Published.');

    const reader = await browser.newContext({ javaScriptEnabled: false });
    const page = await reader.newPage();
    await page.goto(`${server.baseUrl}/info-sharing-taskforce/`);
    const first = page.locator('.post-summary').first();
    expect(await textOf(first.locator('.post-summary-title'))).toBe('What we heard in the autumn workshops');
    expect(await textOf(first.locator('.meta'))).toMatch(/^Pinned · 28 November 2025/);
    await follow(page, first.getByRole('link', { name: 'What we heard in the autumn workshops' }));
    expect(await page.locator('meta[property="og:image"]').getAttribute('content')).toMatch(/\/media\/[0-9a-f]{64}\.png$/);
    expect(await page.locator('meta[name="twitter:card"]').getAttribute('content')).toBe('summary_large_image');
    expect(await page.locator('.post-body img').getAttribute('alt')).toBe('Sticky notes grouped into five themes');
    await reader.close();
  });

  it('a scheduled post reads "Published" in the list and the filter once its time has come', async () => {
    await ed.goto(`${server.baseUrl}${P}/posts/new`);
    await ed.getByLabel('Title').fill('Our plan for the spring');
    await ed.getByLabel('Text (Markdown)').fill('Spring plans.');
    const inAnHour = new Date(server.clock.now().getTime() + 3_600_000);
    // The project's time zone is Europe/London; the test clock sits in summer (BST, UTC+1).
    const local = new Date(inAnHour.getTime() + 3_600_000).toISOString().slice(0, 16);
    await ed.getByLabel('Publication date').fill(local);
    await follow(ed, ed.getByRole('button', { name: 'Schedule' }));
    expect(await textOf(ed.locator('p.meta'))).toMatch(/^Status: Scheduled for/);

    await ed.goto(`${server.baseUrl}${P}/posts`);
    const row = () => ed.locator('tr', { hasText: 'Our plan for the spring' });
    expect(await textOf(row().locator('.status'))).toBe('Scheduled');

    server.clock.advance(2 * 3_600_000);
    await ed.reload();
    expect(await textOf(row().locator('.status'))).toBe('Published');
    await ed.getByLabel('Show').selectOption('published');
    await follow(ed, ed.getByRole('button', { name: 'Filter' }));
    expect(await row().count()).toBe(1);
    await follow(ed, row().getByRole('link', { name: 'Our plan for the spring', exact: true }));
    expect(await textOf(ed.locator('p.meta'))).toMatch(/^Status: Published/);
  });

  it('bulk actions unpublish the ticked posts from the list, without JavaScript', async () => {
    await ed.goto(`${server.baseUrl}${P}/posts`);
    await ed.getByLabel('Select “Our plan for the spring”').check();
    await ed.getByLabel('Select “What we heard in the autumn workshops”').check();
    await ed.getByLabel('Action').selectOption('unpublish');
    await follow(ed, ed.getByRole('button', { name: 'Apply to selected posts' }));
    expect(await textOf(ed.locator('.notice[role="status"]'))).toBe('2 posts unpublished.');
    expect(await textOf(ed.locator('tr', { hasText: 'Our plan for the spring' }).locator('.status'))).toBe('Unpublished');
    await screenshot(ed, 'editor-bulk-1280');
  });
});
