// Issue 14, item 2: a refused comment lands on the form, not at the top of a long page. The form's action
// carries the fragment #comment-form, and on every refused page (invalid, 429, expired or forged form,
// closed) #comment-form is the element that says what went wrong, focusable (tabindex="-1"), so the
// browser scrolls to it and moves focus there without any script. The browser side is proven in
// test/e2e/accessibility.test.ts.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, get, type TestApp } from '../helpers/test-app.js';
import { commentForm, ok, openPost, postComment, setSettings } from './helpers.js';

let t: TestApp;
let post: Awaited<ReturnType<typeof openPost>>;
let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  post = await openPost(t);
});
beforeEach(async () => {
  await setSettings(t, 'info-sharing-taskforce', {});
  await t.db.updateTable('posts').set({ comments_open: true }).where('id', '=', post.id).execute();
});

/** The element the fragment #comment-form lands on: its opening tag and what follows it. */
function landing(html: string): { tag: string; after: string } {
  const at = html.search(/<[a-z0-9]+ [^>]*id="comment-form"/);
  expect(at, 'an element with id="comment-form"').toBeGreaterThanOrEqual(0);
  expect(html.match(/id="comment-form"/g), 'exactly one element with id="comment-form"').toHaveLength(1);
  const tag = html.slice(at, html.indexOf('>', at) + 1);
  return { tag, after: html.slice(at, at + 2000) };
}

function expectLandsOnTheProblem(html: string, message: string) {
  // The form sends the browser back to the same place.
  expect(html).toContain(`action="${post.url}/comments#comment-form"`);
  const { tag, after } = landing(html);
  expect(tag).toContain('tabindex="-1"');
  expect(after).toContain(message);
}

describe('a refused comment lands on the form with what went wrong', () => {
  it('the form on an ordinary post page is sent to #comment-form', async () => {
    const page = await get(t.app, post.url);
    expect(page.body).toContain(`action="${post.url}/comments#comment-form"`);
    expect(landing(page.body).tag).toMatch(/^<section /);
  });

  it('invalid (422): #comment-form is the error summary', async () => {
    const { response } = await postComment(t, post.url, { ...ok(1), name: '' }, { ip: freshIp() });
    expect(response.statusCode).toBe(422);
    expectLandsOnTheProblem(response.body, 'There is a problem');
    expect(landing(response.body).tag).toContain('class="error-summary"');
  });

  it('rate-limited (429): #comment-form is the error summary with the notice', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentsPerTenMinutes: 1 });
    const ip = freshIp();
    expect((await postComment(t, post.url, ok(2), { ip })).response.statusCode).toBe(303);
    const { response } = await postComment(t, post.url, ok(3), { ip });
    expect(response.statusCode).toBe(429);
    expectLandsOnTheProblem(response.body, 'as many as this project accepts');
    expect(landing(response.body).tag).toContain('class="error-summary"');
  });

  it('a form open for more than 12 hours (403): #comment-form is the error summary with the notice', async () => {
    const form = await commentForm(t, post.url);
    t.clock.advance(12 * 3_600_000 + 60_000);
    const response = await form.send(ok(4), freshIp());
    expect(response.statusCode).toBe(403);
    expectLandsOnTheProblem(response.body, 'more than 12 hours');
  });

  it('an expired or forged form token (403): #comment-form is the error summary with the notice', async () => {
    const page = await get(t.app, post.url);
    const renderedAt = /name="rendered_at" value="([^"]+)"/.exec(page.body)![1]!;
    const response = await t.app.inject({
      method: 'POST',
      url: `${post.url}/comments`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: 'stale', rendered_at: renderedAt, ...ok(5) }).toString(),
      remoteAddress: freshIp(),
    });
    expect(response.statusCode).toBe(403);
    expectLandsOnTheProblem(response.body, 'This form had expired');
  });

  it('comments closed meanwhile (409): #comment-form is the closed notice, focusable, with the text kept', async () => {
    const form = await commentForm(t, post.url);
    await t.db.updateTable('posts').set({ comments_open: false }).where('id', '=', post.id).execute();
    const response = await form.send({ ...ok(6), body: 'Closed while I typed.' }, freshIp());
    expect(response.statusCode).toBe(409);
    const { tag, after } = landing(response.body);
    expect(tag).toContain('tabindex="-1"');
    expect(after).toContain('Comments are closed');
    expect(after).toContain('Closed while I typed.');
  });
});
