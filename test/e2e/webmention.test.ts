// Journey for issue 19: a webmention arrives from another site (a local one on loopback), a moderator
// finds it in the queue and approves it, and a reader sees it under the post in "Responses elsewhere",
// all in real Chromium with JavaScript off.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { fetchOutbound } from '../../server/outbound/http.js';
import { startOtherSite, type OtherSite } from '../responses/other-site.js';
import { browserDescribe, follow, launchBrowser, screenshot, signInThroughForm, startE2EServer, textOf, type E2EServer } from './browser.js';

browserDescribe('a response from another site', () => {
  let server: E2EServer;
  let browser: Browser;
  let site: OtherSite;
  beforeAll(async () => {
    server = await startE2EServer({ env: { ALLOW_PRIVATE_FETCH: '1' } });
    browser = await launchBrowser();
    site = await startOtherSite();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('arrives, is approved by a moderator, and shows under the post with JavaScript off', { timeout: 120_000 }, async () => {
    const post = await server.db
      .selectFrom('posts')
      .innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['posts.slug', 'projects.slug as project'])
      .where('projects.slug', '=', 'info-sharing-taskforce')
      .where('posts.status', '=', 'published')
      .orderBy('posts.published_at', 'desc')
      .executeTakeFirstOrThrow();
    const postUrl = `${server.baseUrl}/${post.project}/posts/${post.slug}`;
    site.html('/notes/county-reply', `<!doctype html><html><head><title>Our county's answer</title></head><body>
      <article class="h-entry"><a class="p-author h-card" href="/">Dana at the County</a>
      <p>In reply to <a class="u-in-reply-to" href="${postUrl}">the taskforce</a>.</p>
      <div class="e-content">We ran the same survey last spring; happy to share the results.</div></article></body></html>`);

    // The other site discovers the endpoint on the post page and sends the webmention.
    const page = await fetchOutbound(postUrl, { allowPrivate: true });
    const endpoint = /<([^>]+)>;\s*rel="webmention"/.exec(String(page.headers.link))?.[1];
    expect(endpoint).toBe(`${server.baseUrl}/webmention`);
    const sent = await fetchOutbound(endpoint!, { method: 'POST', body: new URLSearchParams({ source: `${site.base}/notes/county-reply`, target: postUrl }), allowPrivate: true, maxRedirects: 0 });
    expect(sent.status).toBe(202);
    await server.app.jobs.runUntilIdle();

    // Not shown before a moderator decides.
    const reader = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await reader.goto(postUrl);
    expect(await textOf(reader.locator('#responses'))).not.toContain('Dana at the County');

    const moderatorContext = await browser.newContext({ javaScriptEnabled: false });
    const moderator = await signInThroughForm(moderatorContext, server.baseUrl, 'admin@example.gov', DEMO_PASSWORD);
    await moderator.goto(`${server.baseUrl}/admin/moderation`);
    const item = moderator.locator('.moderation-item', { hasText: 'A webmention (reply) from' });
    expect(await item.count()).toBe(1);
    expect(await textOf(item)).toContain('happy to share the results');
    await screenshot(moderator, 'webmention-in-moderation-queue');
    await follow(moderator, item.getByRole('button', { name: /^Approve/ }));
    expect(await moderator.locator('.moderation-item', { hasText: 'A webmention (reply) from' }).count()).toBe(0);

    // A fresh reader (the first one's browser may keep the page for its max-age of 60 s).
    const later = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await later.goto(postUrl);
    const responses = later.locator('#responses');
    expect(await textOf(responses.locator('.response-author'))).toBe('Dana at the County');
    expect(await textOf(responses)).toContain('We ran the same survey last spring; happy to share the results.');
    expect(await responses.getByRole('link', { name: /Read it on 127\.0\.0\.1/ }).getAttribute('href')).toBe(`${site.base}/notes/county-reply`);
    await screenshot(later, 'post-with-responses-elsewhere');
  });
});
