// Receiving webmentions end to end on loopback: the endpoint's synchronous checks (400 with a reason),
// 202 with a status URL, verification by the job queue against a real "other site", mf2 reading, the
// comment moderation path (held, queue, approve, log), updates and removals, and the public section.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, runJobs, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';
import { openPost, setSettings } from '../comments/helpers.js';
import { startOtherSite, type OtherSite } from './other-site.js';

let t: TestApp;
let site: OtherSite;
let post: Awaited<ReturnType<typeof openPost>>;
let target: string;
let seq = 0;

beforeAll(async () => {
  t = await buildTestApp({ seed: true, env: { ALLOW_PRIVATE_FETCH: '1' } });
  site = await startOtherSite();
  post = await openPost(t);
  target = `http://blogs.test${post.url}`;
});
afterAll(async () => site.close());

function send(source: string, targetUrl: string = target, extra: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/webmention',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...extra },
    payload: new URLSearchParams({ source, target: targetUrl }).toString(),
  });
}

const reply = (to: string, text: string, name = 'Dana Council') => `<!doctype html><html><head><title>A reply</title></head><body>
  <article class="h-entry">
    <p class="p-author h-card"><a class="u-url p-name" href="/about">${name}</a></p>
    <p>In reply to <a class="u-in-reply-to" href="${to}">their post</a></p>
    <div class="e-content">${text}</div>
    <time class="dt-published" datetime="2026-06-16T09:00:00Z">16 June</time>
  </article></body></html>`;

async function statusOf(location: string) {
  const path = new URL(location).pathname;
  const page = await t.app.inject({ method: 'GET', url: path });
  return /id="webmention-status">([^<]*)</.exec(page.body)?.[1] ?? `(no status: ${page.statusCode})`;
}

async function commentOf(source: string) {
  return t.db
    .selectFrom('comments')
    .innerJoin('webmentions', 'webmentions.id', 'comments.webmention_id')
    .select(['comments.id', 'comments.status', 'comments.hold_reasons', 'comments.author_name', 'comments.body_src', 'webmentions.kind'])
    .where('webmentions.source', '=', source)
    .executeTakeFirst();
}

describe('the endpoint', () => {
  it('is advertised on a post by a Link header and a <link rel="webmention">', async () => {
    const page = await t.app.inject({ method: 'GET', url: post.url });
    expect(page.headers.link).toBe('<http://blogs.test/webmention>; rel="webmention"');
    expect(page.body).toContain('<link rel="webmention" href="http://blogs.test/webmention">');
  });

  it('is not advertised on a project page, and a page as target is refused with 400 and why', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/info-sharing-taskforce/pages/comment-policy' });
    expect(page.statusCode).toBe(200);
    expect(String(page.headers.link ?? '')).not.toContain('rel="webmention"');
    expect(page.body).not.toContain('rel="webmention"');
    for (const path of ['/info-sharing-taskforce/pages/comment-policy', '/info-sharing-taskforce/pages/no-such-page']) {
      const response = await send(`${site.base}/x`, `http://blogs.test${path}`);
      expect(response.statusCode).toBe(400);
      expect(response.body).toMatch(/is a page of this site, not a post/);
    }
  });

  it.each([
    [{}, /"source" parameter is missing/],
    [{ source: 'https://a.example/x' }, /"target" parameter is missing/],
    [{ source: 'ftp://a.example/x', target: 'T' }, /source must be an http/],
    [{ source: 'https://a.example/x', target: 'https://elsewhere.example/post' }, /not on this site/],
    [{ source: 'https://a.example/x', target: 'http://blogs.test/admin' }, /not a post on this site/],
    [{ source: 'https://a.example/x', target: 'http://blogs.test/info-sharing-taskforce/posts/no-such-post' }, /not a published post/],
    [{ source: 'T', target: 'T' }, /the same address/],
  ])('refuses %j with 400 and a reason', async (fields, reason) => {
    const payload = new URLSearchParams(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === 'T' ? target : v]))).toString();
    const response = await t.app.inject({ method: 'POST', url: '/webmention', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatch(reason);
  });

  it('refuses a draft as target and answers a JSON or empty body with 400, never 500', async () => {
    const draft = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id').select(['posts.slug', 'projects.slug as project']).where('posts.status', '=', 'draft').executeTakeFirst();
    if (draft) expect((await send(`${site.base}/x`, `http://blogs.test/${draft.project}/posts/${draft.slug}`)).statusCode).toBe(400);
    const json = await t.app.inject({ method: 'POST', url: '/webmention', headers: { 'content-type': 'application/json' }, payload: '{"source":1}' });
    expect([400, 415]).toContain(json.statusCode);
    expect((await t.app.inject({ method: 'POST', url: '/webmention' })).statusCode).toBe(400);
  });
});

describe('verification and moderation', () => {
  it('a reply is accepted (202 + status URL), verified, held by the comment policy, approved by a moderator and shown', async () => {
    const path = `/reply-${++seq}`;
    site.html(path, reply(target, 'We tried this at the <em>county</em> level &amp; it worked.'));
    const response = await send(`${site.base}${path}`);
    expect(response.statusCode).toBe(202);
    const location = String(response.headers.location);
    expect(location).toMatch(/^http:\/\/blogs\.test\/webmention\/status\//);
    expect(await statusOf(location)).toMatch(/^Received/);

    await runJobs(t);
    const held = await commentOf(`${site.base}${path}`);
    expect(held).toMatchObject({ status: 'pending', kind: 'reply', author_name: 'Dana Council' });
    expect(held!.body_src).toBe('We tried this at the county level & it worked.');
    expect(held!.hold_reasons).toContain('policy');
    expect(await statusOf(location)).toMatch(/waits for the project team/);

    // Nothing shows before a person decides; the queue shows it, as from another site.
    expect((await t.app.inject({ method: 'GET', url: post.url })).body).not.toContain('county level');
    const admin = await signInAs(t, 'admin@example.gov');
    const queue = await t.app.inject({ method: 'GET', url: '/admin/moderation', cookies: admin });
    expect(queue.body).toContain(`A webmention (reply) from <a href="${site.base}${path}"`);

    const { response: decided } = await submitForm(t.app, '/admin/moderation', `/admin/moderation/${held!.id}/approve`, { seen: 'pending' }, admin);
    expect(decided.statusCode).toBe(303);
    const page = await t.app.inject({ method: 'GET', url: post.url });
    const section = page.body.slice(page.body.indexOf('id="responses"'));
    expect(section).toContain('Dana Council');
    expect(section).toContain('replied on 127.0.0.1:');
    expect(section).toContain('county level &amp; it worked.');
    expect(section).toContain(`href="${site.base}${path}"`);
    // Not in the comment thread, not counted as a comment.
    const thread = page.body.slice(page.body.indexOf('id="comments"'), page.body.indexOf('id="responses"'));
    expect(thread).not.toContain('Dana Council');
    const log = await t.db.selectFrom('moderation_log').select(['action', 'new_status']).where('comment_id', '=', held!.id).orderBy('id').execute();
    expect(log.map((l) => l.action)).toEqual(['auto-hold', 'approve']);
    expect(await statusOf(location)).toMatch(/shown under the post/);
  });

  it('likes and reposts are counted, not listed', async () => {
    await setSettings(t, post.project, { commentPolicy: 'approve-all' });
    try {
      for (const cls of ['u-like-of', 'u-repost-of', 'u-like-of']) {
        const path = `/kind-${++seq}`;
        site.html(path, `<div class="h-entry"><a class="p-author h-card" href="/me">Lee</a> <a class="${cls}" href="${target}">this</a></div>`);
        expect((await send(`${site.base}${path}`)).statusCode).toBe(202);
      }
      await runJobs(t);
      const page = await t.app.inject({ method: 'GET', url: post.url });
      expect(page.body).toContain('2 likes · 1 repost on other sites.');
    } finally {
      await setSettings(t, post.project, {});
    }
  });

  it('a source that does not link to the target (only in a comment, a script or text) is rejected, with the reason', async () => {
    const path = `/fake-${++seq}`;
    site.html(path, `<html><body><!-- <a href="${target}">x</a> --><script>var a = '<a href="${target}">x</a>';</script><p>${target}</p>&lt;a href="${target}"&gt;</body></html>`);
    const location = String((await send(`${site.base}${path}`)).headers.location);
    await runJobs(t);
    expect(await statusOf(location)).toMatch(/^Rejected: The source does not link to the target/);
    expect(await commentOf(`${site.base}${path}`)).toBeUndefined();
  });

  it('a non-HTML or missing source is rejected', async () => {
    site.set('/json', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ link: target }) });
    const a = String((await send(`${site.base}/json`)).headers.location);
    const b = String((await send(`${site.base}/never-there`)).headers.location);
    await runJobs(t);
    expect(await statusOf(a)).toMatch(/not an HTML page/);
    expect(await statusOf(b)).toMatch(/^Rejected/);
  });

  it('a new webmention from the same source updates it; a 410 or a lost link removes it from the page', async () => {
    await setSettings(t, post.project, { commentPolicy: 'approve-all' });
    try {
      const path = `/living-${++seq}`;
      const source = `${site.base}${path}`;
      site.html(path, reply(target, 'First version of my answer.'));
      await send(source);
      await runJobs(t);
      expect((await commentOf(source))?.status).toBe('approved');
      expect((await t.app.inject({ method: 'GET', url: post.url })).body).toContain('First version of my answer.');

      site.html(path, reply(target, 'Second, corrected version.'));
      expect((await send(source)).statusCode).toBe(202);
      await runJobs(t);
      const updated = await commentOf(source);
      expect(updated?.body_src).toBe('Second, corrected version.');
      const body = (await t.app.inject({ method: 'GET', url: post.url })).body;
      expect(body).toContain('Second, corrected version.');
      expect(body).not.toContain('First version');
      expect(await t.db.selectFrom('webmentions').select('id').where('source', '=', source).execute()).toHaveLength(1);

      site.set(path, { status: 410, body: 'gone' });
      const location = String((await send(source)).headers.location);
      await runJobs(t);
      expect((await commentOf(source))?.status).toBe('deleted');
      expect(await statusOf(location)).toMatch(/^Removed: The source answered 410/);
      expect((await t.app.inject({ method: 'GET', url: post.url })).body).not.toContain('Second, corrected version.');

      // Back again, then no longer linking.
      site.html(path, reply(target, 'Back once more.'));
      await send(source);
      await runJobs(t);
      expect((await commentOf(source))?.status).toBe('approved');
      site.html(path, '<p>I took the link out.</p>');
      await send(source);
      await runJobs(t);
      expect((await commentOf(source))?.status).toBe('deleted');
      const actions = await t.db.selectFrom('moderation_log').select('action').where('comment_id', '=', (await commentOf(source))!.id).orderBy('id').execute();
      expect(actions.map((a) => a.action)).toEqual(['auto-approve', 'webmention-updated', 'webmention-removed', 'webmention-updated', 'webmention-removed']);
    } finally {
      await setSettings(t, post.project, {});
    }
  });

  it('the blocklist catches a source domain as spam', async () => {
    await setSettings(t, post.project, { blocklist: ['127.0.0.1'] });
    try {
      const path = `/blocked-${++seq}`;
      site.html(path, reply(target, 'Buy things'));
      await send(`${site.base}${path}`);
      await runJobs(t);
      expect(await commentOf(`${site.base}${path}`)).toMatchObject({ status: 'spam', hold_reasons: ['blocklist'] });
    } finally {
      await setSettings(t, post.project, {});
    }
  });
});
