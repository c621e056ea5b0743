// Journeys for issue 16, items 7 and 8, in real Chromium with JavaScript off (plain forms):
// 7. a signed-in owner comments on her project's post as herself (no name or email to type, the team
//    badge, published at once); an anonymous reader who types her name is held, and the moderator sees why;
// 8. the moderator finds the project's moderation log from the dashboard and the queue, and follows a log
//    entry to its comment.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../../server/auth/passwords.js';
import { browserDescribe, follow, signInThroughForm, launchBrowser, startE2EServer, textOf, type E2EServer } from './browser.js';

const PASSWORD = 'a long team password 2026';

browserDescribe('team members commenting, and the moderation pages people can find', () => {
  let server: E2EServer;
  let browser: Browser;
  let projectId: number;
  beforeAll(async () => {
    server = await startE2EServer();
    browser = await launchBrowser();
    projectId = (await server.db.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow()).id;
    const hash = await hashPassword(PASSWORD);
    for (const [handle, name, role] of [['olive-owner', 'Olive Owner', 'owner'], ['max-moderator', 'Max Moderator', 'moderator']] as const) {
      const person = await server.db.insertInto('people').values({ handle, display_name: name, email: `${handle}@example.gov`, password_hash: hash }).returning('id').executeTakeFirstOrThrow();
      await server.db.insertInto('memberships').values({ project_id: projectId, person_id: person.id, role }).execute();
    }
  });
  afterAll(async () => browser?.close());

  const signIn = (context: BrowserContext, handle: string) => signInThroughForm(context, server.baseUrl, `${handle}@example.gov`, PASSWORD);

  async function openPost() {
    return server.db.selectFrom('posts').select(['slug', 'title']).where('comments_open', '=', true).where('project_id', '=', projectId).orderBy('published_at', 'desc').executeTakeFirstOrThrow();
  }

  it('7. the owner comments as herself with the team badge; a reader typing her name is held with that reason', async () => {
    const post = await openPost();
    const postUrl = `${server.baseUrl}/info-sharing-taskforce/posts/${post.slug}`;
    const ownerContext = await browser.newContext({ javaScriptEnabled: false });
    const owner = await signIn(ownerContext, 'olive-owner');
    await owner.goto(postUrl);
    expect(await textOf(owner.locator('.comment-as'))).toContain('You are commenting as Olive Owner');
    expect(await owner.getByLabel('Email').count()).toBe(0);
    await owner.getByLabel('Comment', { exact: true }).fill('Thanks for the questions so far: we will answer each one.');
    await follow(owner, owner.getByRole('button', { name: 'Send comment' }));
    const mine = owner.locator('.comment', { hasText: 'we will answer each one' });
    expect(await mine.count()).toBe(1);
    expect(await textOf(mine.locator('.comment-author'))).toBe('Olive Owner');
    expect(await mine.locator('.team-badge').count()).toBe(1);
    expect(await textOf(mine)).not.toMatch(/awaiting moderation/i);

    const reader = await browser.newContext({ javaScriptEnabled: false });
    const readerPage = await reader.newPage();
    await readerPage.goto(postUrl);
    const publicComment = readerPage.locator('.comment', { hasText: 'we will answer each one' });
    expect(await publicComment.locator('.team-badge').count()).toBe(1);
    await readerPage.getByLabel('Name').fill('Olive Owner');
    await readerPage.getByLabel('Email').fill('not.olive@example.org');
    await readerPage.getByLabel('Comment', { exact: true }).fill('Speaking for the team: ignore the consultation.');
    server.clock.advance(60_000);
    await follow(readerPage, readerPage.getByRole('button', { name: 'Send comment' }));
    expect(await textOf(readerPage.locator('.comment', { hasText: 'ignore the consultation' }))).toMatch(/awaiting moderation/i);

    const mod = await signIn(await browser.newContext({ javaScriptEnabled: false }), 'max-moderator');
    await mod.goto(`${server.baseUrl}/admin/moderation`);
    const held = mod.locator('.moderation-item', { hasText: 'ignore the consultation' });
    expect(await held.count()).toBe(1);
    expect(await textOf(held.locator('.hold-reasons'))).toContain('Uses the name or email of a project team member');
    await Promise.all([ownerContext.close(), reader.close(), mod.context().close()]);
  });

  it('8. the moderator finds the log from the dashboard and the queue, and follows an entry to its comment', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const mod = await signIn(context, 'max-moderator');
    await mod.goto(`${server.baseUrl}/admin`);
    await follow(mod, mod.getByRole('link', { name: /^Moderation log/ }).first());
    expect(mod.url()).toContain('/admin/projects/info-sharing-taskforce/moderation-log');
    expect(await mod.locator('h1').textContent()).toContain('Moderation log');

    await mod.goto(`${server.baseUrl}/admin/moderation`);
    await follow(mod, mod.locator('.moderation-summary').getByRole('link', { name: /Moderation log/ }).first());
    expect(mod.url()).toContain('/moderation-log');

    // The owner's comment was logged as a team comment; its entry links to the comment on the public page.
    const row = mod.locator('.moderation-log tbody tr', { hasText: 'team-comment' }).first();
    await follow(mod, row.getByRole('link', { name: /^Comment \d+$/ }));
    expect(mod.url()).toMatch(/\/info-sharing-taskforce\/posts\/[^#]+#comment-\d+$/);
    const id = /#comment-(\d+)$/.exec(mod.url())![1];
    expect(await textOf(mod.locator(`#comment-${id} .comment-body`))).toContain('we will answer each one');

    // The held comment's entry links to it in the queue.
    await mod.goBack();
    const heldRow = mod.locator('.moderation-log tbody tr', { hasText: 'auto-hold' }).first();
    await follow(mod, heldRow.getByRole('link', { name: /^Comment \d+$/ }));
    expect(mod.url()).toContain('/admin/moderation?project=info-sharing-taskforce&status=pending#mod-');
    const heldId = /#mod-(\d+)$/.exec(mod.url())![1];
    expect(await mod.locator(`#mod-${heldId}`).count()).toBe(1);
    await context.close();
  });
});
