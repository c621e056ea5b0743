// Issue 18, the reader's side in real Chromium with JavaScript off: a reader subscribes from a project
// page, the confirmation email arrives at a real SMTP server in the test (smtp-server, parsed with
// mailparser), they confirm, a post is published and its email arrives, and they leave from the manage
// page that the email links to.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderPost } from '../../server/markdown/render.js';
import { queuePostChanged } from '../../server/posts/events.js';
import { SmtpSink } from '../email/smtp-sink.js';
import { browserDescribe, follow, launchBrowser, screenshot, startE2EServer, textOf, type E2EServer } from './browser.js';

const PROJECT = 'info-sharing-taskforce';
const READER = 'reader.journey@example.org';

browserDescribe('email updates (issue 18), JavaScript off', () => {
  let sink: SmtpSink;
  let server: E2EServer;
  let browser: Browser;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    server = await startE2EServer({ env: { SMTP_URL: sink.url, MAIL_FROM: 'updates@blogs.test' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await sink?.stop();
  });

  const runJobs = () => server.app.jobs.runUntilIdle();
  /** The first link in an email's text that starts with this path, made site-relative to the server. */
  const linkIn = (text: string, prefix: string) => {
    const match = new RegExp(`${server.baseUrl.replace(/\./g, '\\.')}(${prefix}[^\\s>"]+)`).exec(text);
    if (!match) throw new Error(`no ${prefix} link in:\n${text}`);
    return `${server.baseUrl}${match[1]}`;
  };

  async function publish(title: string) {
    const project = await server.db.selectFrom('projects').select('id').where('slug', '=', PROJECT).executeTakeFirstOrThrow();
    const author = await server.db.selectFrom('memberships').select('person_id').where('project_id', '=', project.id).orderBy('person_id').executeTakeFirstOrThrow();
    const publishedAt = new Date(server.clock.now().getTime() - 60_000);
    const body = `News from the taskforce: ${title}.`;
    const post = await server.db
      .insertInto('posts')
      .values({ project_id: project.id, slug: title.toLowerCase().replace(/[^a-z0-9]+/g, '-'), title, summary: `About ${title}.`, body_md: body, body_html: renderPost(body).html, status: 'published', published_at: publishedAt, first_published_at: publishedAt, created_by: author.person_id })
      .returning('id')
      .executeTakeFirstOrThrow();
    await server.db.insertInto('post_authors').values({ post_id: post.id, person_id: author.person_id, position: 0 }).execute();
    await queuePostChanged(server.db, post.id);
  }

  it('subscribes from a project page, confirms, gets a post, and unsubscribes from the manage page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/${PROJECT}/`);
    const form = page.locator('form.email-subscribe');
    await form.getByLabel('Email address').fill(READER);
    await form.getByLabel('How often').selectOption('each');
    await follow(page, form.getByRole('button', { name: 'Subscribe' }));
    expect(await textOf(page.locator('h1'))).toBe('Check your inbox');

    await runJobs();
    const confirmations = sink.to(READER);
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]!.mail.subject).toContain('Confirm your email updates');
    await page.goto(linkIn(confirmations[0]!.mail.text ?? '', '/email/confirm/'));
    expect(await textOf(page.locator('h1'))).toBe('Confirm your email updates');
    await follow(page, page.getByRole('button', { name: 'Confirm' }));
    expect(await textOf(page.locator('.notice'))).toBe('Your email updates are confirmed.');
    await screenshot(page, 'email-manage-confirmed');

    await publish('Spring survey results');
    await runJobs();
    await runJobs();
    const news = sink.to(READER).filter((r) => r.mail.subject === 'Spring survey results');
    expect(news).toHaveLength(1);
    expect(news[0]!.mail.text).toContain('About Spring survey results.');
    expect(news[0]!.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);

    await page.goto(linkIn(news[0]!.mail.text ?? '', '/email/manage/'));
    expect(await textOf(page.locator('h1'))).toBe('Your email updates');
    expect(await page.locator('.subscriptions li').count()).toBe(1);
    await follow(page, page.getByRole('button', { name: 'Unsubscribe from everything' }));
    expect(await textOf(page.locator('.notice'))).toContain('You are unsubscribed from everything');
    expect(await page.getByText('You get no email updates.').isVisible()).toBe(true);

    await publish('Summer plans');
    await runJobs();
    await runJobs();
    expect(sink.to(READER).filter((r) => r.mail.subject === 'Summer plans')).toHaveLength(0);
    await context.close();
  });
});
