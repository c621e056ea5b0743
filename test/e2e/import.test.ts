// Issue 17, the owner's side in real Chromium with JavaScript off: a project owner signs in, opens
// "Import from WordPress" from the dashboard, uploads the demo export (test/import/fixtures), watches the
// progress page refresh itself (a meta refresh, no script) until the background worker has finished, reads
// the report, finds the post and its comments on the public site, and an old WordPress address answers
// with a 301 to the new post.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProject } from '../../server/admin/projects.js';
import { hashPassword } from '../../server/auth/passwords.js';
import { browserDescribe, follow, launchBrowser, screenshot, signInThroughForm, startE2EServer, textOf, type E2EServer } from './browser.js';

const PASSWORD = 'a long owner password 2026';
const EXPORT = path.join(import.meta.dirname, '../import/fixtures/demo-export.xml');

browserDescribe('importing from WordPress (issue 17), JavaScript off', { timeout: 120_000 }, () => {
  let server: E2EServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startE2EServer();
    browser = await launchBrowser();
    const owner = await server.db
      .insertInto('people')
      .values({ handle: 'olga-owner', display_name: 'Olga Owner', email: 'olga@example.gov', password_hash: await hashPassword(PASSWORD) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await createProject(server.db, { slug: 'field-notes', title: 'Field notes', summary: '', ownerEmail: '' }, owner.id, server.clock.now());
  });
  afterAll(async () => browser?.close());

  /** The response of a navigation, and the responses of the redirects that led to it (first first). */
  async function redirectsOf(page: Page, url: string) {
    const response = await page.goto(url);
    const chain: Array<{ url: string; status: number }> = [];
    for (let request = response?.request().redirectedFrom(); request; request = request.redirectedFrom()) {
      const r = await request.response();
      chain.unshift({ url: request.url(), status: r?.status() ?? 0 });
    }
    return { final: response, chain };
  }

  it('an owner uploads an export, the page refreshes itself until the report, and the old addresses lead to the new post', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await signInThroughForm(context, server.baseUrl, 'olga@example.gov', PASSWORD);

    await follow(page, page.getByRole('link', { name: 'Import from WordPress (Field notes)' }));
    expect(new URL(page.url()).pathname).toBe('/admin/projects/field-notes/import');
    // A new user picks the wrong file (an image) with "Dry run" ticked: the form comes back saying what it
    // is, the box still ticked, and the error summary links to the file field.
    await page.getByLabel(/WordPress export file/).setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex') });
    await page.getByLabel(/Dry run/).check();
    await follow(page, page.getByRole('button', { name: 'Import' }));
    expect(await page.title()).toMatch(/^Error: /);
    expect(await textOf(page.locator('.error-summary'))).toContain('photo.png is a PNG image, not a WordPress export.');
    expect(await page.locator('.error-summary a').getAttribute('href')).toBe('#import-file');
    expect(await page.getByLabel(/Dry run/).isChecked()).toBe(true);
    await page.getByLabel(/Dry run/).uncheck();
    await page.getByLabel(/WordPress export file/).setInputFiles(EXPORT);
    await follow(page, page.getByRole('button', { name: 'Import' }));

    // Queued, with no worker running yet: the page says so and asks the browser to come back.
    const progressUrl = page.url();
    expect(new URL(progressUrl).pathname).toMatch(/^\/admin\/projects\/field-notes\/import\/\d+$/);
    expect(await textOf(page.getByRole('status'))).toContain('Waiting to start. The export’s items are counted when it starts.');
    expect(await page.title()).toMatch(/^Waiting: import \d+, Field notes/);
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('3');
    let loads = 0;
    page.on('load', () => loads++);

    // The server's background worker takes the job; the test only waits: the browser reloads by itself.
    await server.app.jobs.start();
    await page.getByText('Finished: 9 of 9 items.').waitFor({ timeout: 60_000 });
    expect(loads).toBeGreaterThan(0);
    expect(page.url()).toBe(progressUrl);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    // Each kind's row: new, updated, unchanged, skipped.
    const count = (kind: string) => page.locator('tr', { has: page.locator(`th[scope="row"]:text-is("${kind}")`) }).locator('td').allTextContents();
    expect(await count('posts')).toEqual(['6', '0', '0', '0']);
    expect(await count('comments')).toEqual(['6', '0', '0', '0']);
    expect(await textOf(page.locator('main'))).toContain('Ada Lovelace (ada): added without a password');
    await screenshot(page, 'import-report');

    // The public site: the post, and its published comments, threaded.
    const reader = await browser.newContext({ javaScriptEnabled: false });
    const visitor = await reader.newPage();
    const postPage = await visitor.goto(`${server.baseUrl}/field-notes/posts/hello-world`);
    expect(postPage?.status()).toBe(200);
    expect(await textOf(visitor.getByRole('heading', { level: 1 }))).toBe('Hello & welcome to the field');
    const comments = await textOf(visitor.locator('#comments'));
    expect(comments).toContain('Lovely photo!');
    expect(comments).toContain('Thank you, Grace.');
    expect(comments).not.toContain('Held for moderation.');
    expect(comments).not.toContain('Buy now');

    // Old addresses: ?p=ID and the date permalink answer 301 to the new post.
    for (const old of ['/field-notes/wp/?p=10', '/field-notes/wp/2020/06/01/hello-world/']) {
      const { final, chain } = await redirectsOf(visitor, `${server.baseUrl}${old}`);
      expect(chain, old).toEqual([{ url: `${server.baseUrl}${old}`, status: 301 }]);
      expect(final?.status()).toBe(200);
      expect(new URL(visitor.url()).pathname).toBe('/field-notes/posts/hello-world');
    }
    await reader.close();
    await context.close();
  });
});
