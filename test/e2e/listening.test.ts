// The listening journey for issue 20, in real Chromium with JavaScript off: an editor adds a site to
// watch (its advertised feed is found) and a key term, sees the match highlighted in Conversations, and
// links it from a post (a team-added link, post_links). The list under the post ("Responses elsewhere")
// is built on another branch; it is checked here only when the post page shows that section.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../../server/auth/passwords.js';
import { atom } from '../listening/web.js';
import { browserDescribe, follow, launchBrowser, signInThroughForm, startE2EServer, textOf, type E2EServer } from './browser.js';

const PASSWORD = 'a long team password 2026';

browserDescribe('listening: from a watched site to a link under a post', () => {
  let server: E2EServer;
  let browser: Browser;
  let web: http.Server;
  let webBase: string;
  beforeAll(async () => {
    web = http.createServer((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><title>Neighbours</title><link rel="alternate" type="application/atom+xml" title="News" href="/feed.atom"></head><body>Hi</body></html>');
      else if (req.url === '/feed.atom')
        res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(
          atom('Neighbouring council', [
            { id: 'n1', title: 'We reused the taskforce’s open data', content: '<p>Thanks to their <em>open data</em> we built a map.</p>', link: 'https://neighbours.example/map' },
            { id: 'n2', title: 'Bin collection times', content: '<p>Tuesdays.</p>', link: 'https://neighbours.example/bins' },
          ]),
        );
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webBase = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    server = await startE2EServer({ env: { ALLOW_PRIVATE_FETCH: '1' } });
    browser = await launchBrowser();
    const project = await server.db.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow();
    const person = await server.db.insertInto('people').values({ handle: 'eddie-editor', display_name: 'Eddie Editor', email: 'eddie-editor@example.gov', password_hash: await hashPassword(PASSWORD) }).returning('id').executeTakeFirstOrThrow();
    await server.db.insertInto('memberships').values({ project_id: project.id, person_id: person.id, role: 'editor' }).execute();
  });
  afterAll(async () => {
    await browser?.close();
    web?.closeAllConnections();
    await new Promise((r) => web?.close(r));
  });

  it('adds a site and a term, sees the match, links it from a post', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await signInThroughForm(context, server.baseUrl, 'eddie-editor@example.gov', PASSWORD);
    await page.goto(`${server.baseUrl}/admin`);
    await follow(page, page.getByRole('link', { name: /^Watched feeds and key terms/ }).first());
    await page.getByLabel('Address of a feed, or of a site that has one').fill(webBase);
    await page.getByLabel('Only items that match a key term').check();
    await follow(page, page.getByRole('button', { name: 'Watch this feed' }));
    expect(await textOf(page.locator('.notice'))).toContain('Now watching “Neighbouring council”: 2 items fetched.');
    await page.getByLabel('Word or phrase to listen for').fill('"open data"');
    await follow(page, page.getByRole('button', { name: 'Listen for this term' }));
    expect(await textOf(page.locator('.notice'))).toContain('Listening for');

    await page.goto(`${server.baseUrl}/admin`);
    expect(await textOf(page.locator('[data-count="unread-conversations"]').first())).toBe('1');
    await follow(page, page.getByRole('link', { name: /^Conversations/ }).first());
    const item = page.locator('.inbox-item', { hasText: 'reused the taskforce' });
    expect(await item.count()).toBe(1);
    expect(await page.locator('.inbox-item', { hasText: 'Bin collection' }).count()).toBe(0);
    expect(await item.locator('mark').allTextContents()).toEqual(expect.arrayContaining(['open', 'data']));

    await follow(page, item.getByRole('link', { name: /Link from a post/ }));
    const post = await server.db.selectFrom('posts').select(['id', 'slug', 'title']).where('status', '=', 'published').orderBy('published_at', 'desc').executeTakeFirstOrThrow();
    await page.getByLabel('Post', { exact: true }).selectOption(String(post.id));
    await follow(page, page.getByRole('button', { name: 'Add the link to the post' }));
    expect(await textOf(page.locator('.notice'))).toContain('The link was added to the post');
    const links = await server.db.selectFrom('post_links').select(['post_id', 'url', 'title']).execute();
    expect(links).toEqual([{ post_id: post.id, url: 'https://neighbours.example/map', title: 'We reused the taskforce’s open data' }]);

    // Under the post, with JavaScript off — when the "Responses elsewhere" list is on this branch.
    const reader = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await reader.goto(`${server.baseUrl}/info-sharing-taskforce/posts/${post.slug}`);
    const body = await reader.content();
    if (/Responses elsewhere/i.test(body)) expect(await reader.locator('a[href="https://neighbours.example/map"]').count()).toBeGreaterThan(0);
    await context.close();
    await reader.context().close();
  });
});
