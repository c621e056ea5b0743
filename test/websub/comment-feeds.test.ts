// WebSub for comment feeds, end to end on loopback: a comment that becomes public (the public form under
// "approve all", a moderator approving a held one) or stops being public (a moderator deleting it)
// changes its post's comment feed and its project's comment feed; the hub delivers each changed feed,
// signed, to that feed's subscribers, through the job queue. A burst of comments is one job per post
// (graphile-worker job key, queued by the comments trigger of migration 0020) and one delivery per
// subscriber. A held comment or a webmention changes no comment feed. With WEBSUB_HUB_URL the external
// hub is pinged for the comment feeds instead.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuePostChanged } from '../../server/posts/events.js';
import { WEBSUB_COMMENT_FEED } from '../../server/websub/hub.js';
import { commentForm, idFromLocation, openPost, setSettings } from '../comments/helpers.js';
import { buildTestApp, cookiesFrom, queuedJobs, runJobs, signInAs, type TestApp } from '../helpers/test-app.js';
import { startOtherSite, type OtherSite } from '../responses/other-site.js';

let t: TestApp;
let site: OtherSite;
let post: Awaited<ReturnType<typeof openPost>>;
let postFeed: string;
let projectFeed: string;
let otherPostFeed: string;

function callback(path: string) {
  site.set(path, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(url.searchParams.get('hub.challenge') ?? '');
    res.writeHead(204).end();
  });
  return `${site.base}${path}`;
}

function hub(app: TestApp, fields: Record<string, string>) {
  return app.app.inject({ method: 'POST', url: '/websub', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
}

const deliveries = (path: string) => site.received.filter((r) => r.method === 'POST' && r.path === path);
const commentFeedJobs = async (app: TestApp) => (await queuedJobs(app)).filter((j) => j.task === WEBSUB_COMMENT_FEED).map((j) => j.payload);
const signed = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

beforeAll(async () => {
  t = await buildTestApp({ seed: true, env: { ALLOW_PRIVATE_FETCH: '1' } });
  site = await startOtherSite();
  post = await openPost(t);
  const other = await openPost(t, 1);
  postFeed = `http://blogs.test${post.url}/comments.atom`;
  projectFeed = `http://blogs.test/${post.project}/comments.atom`;
  otherPostFeed = `http://blogs.test${other.url}/comments.atom`;
  await setSettings(t, post.project, { commentPolicy: 'approve-all', commentsPerTenMinutes: 0 });
  // The demo's comments are a back catalogue: seeding them announced nothing.
  expect(await commentFeedJobs(t)).toEqual([]);
  for (const [path, topic, secret] of [['/cb-post', postFeed, 'post-secret'], ['/cb-project', projectFeed, 'project-secret'], ['/cb-other', otherPostFeed, 'other-secret']] as const) {
    expect((await hub(t, { 'hub.mode': 'subscribe', 'hub.callback': callback(path), 'hub.topic': topic, 'hub.secret': secret })).statusCode).toBe(202);
  }
  await runJobs(t, { all: true });
  expect(await t.db.selectFrom('websub_subscriptions').select('topic').orderBy('id').execute()).toEqual([{ topic: postFeed }, { topic: projectFeed }, { topic: otherPostFeed }]);
  expect(site.received.filter((r) => r.method === 'POST')).toEqual([]);
});
afterAll(async () => site.close());

describe('comment feeds over WebSub', () => {
  it('a burst of approved comments is one job for the post and one signed delivery per subscriber', async () => {
    const form = await commentForm(t, post.url);
    for (let n = 1; n <= 5; n++) {
      const response = await form.send({ name: `Reader ${n}`, email: `reader${n}@example.org`, body: `Burst comment number ${n}, approved at once.` }, `203.0.113.${n}`);
      expect(response.statusCode).toBe(303);
    }
    // Coalesced by job key: one job for the post (its comment feed and its project's), not ten.
    expect(await commentFeedJobs(t)).toEqual([{ postId: post.id }]);
    await runJobs(t, { all: true });

    const [toPost, ...morePost] = deliveries('/cb-post');
    expect(morePost).toEqual([]);
    expect(toPost!.headers['content-type']).toContain('application/atom+xml');
    expect(toPost!.headers.link).toBe(`<http://blogs.test/websub>; rel="hub", <${postFeed}>; rel="self"`);
    expect(toPost!.headers['x-hub-signature']).toBe(signed('post-secret', toPost!.body));
    for (let n = 1; n <= 5; n++) expect(toPost!.body).toContain(`Burst comment number ${n}`);

    const [toProject, ...moreProject] = deliveries('/cb-project');
    expect(moreProject).toEqual([]);
    expect(toProject!.headers['x-hub-signature']).toBe(signed('project-secret', toProject!.body));
    expect(toProject!.body).toContain('Burst comment number 5');
    // Another post's comment feed did not change: its subscriber heard nothing.
    expect(deliveries('/cb-other')).toEqual([]);
  });

  it('a held comment changes no feed; approved by a moderator it goes out; deleted, the feed goes out without it', async () => {
    await setSettings(t, post.project, { commentPolicy: 'hold-all', commentsPerTenMinutes: 0 });
    const before = deliveries('/cb-post').length;
    const form = await commentForm(t, post.url);
    const sent = await form.send({ name: 'Held Reader', email: 'held@example.org', body: 'A held comment that a moderator will approve.' });
    expect(sent.statusCode).toBe(303);
    const id = idFromLocation(sent.headers.location);
    expect((await t.db.selectFrom('comments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('pending');
    expect(await commentFeedJobs(t)).toEqual([]);

    const amira = await signInAs(t, 'amira.hassan@example.gov');
    const queue = await t.app.inject({ url: '/admin/moderation', cookies: amira });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(queue.body)![1]!;
    const jar = { ...amira, ...cookiesFrom(queue) };
    const decide = (action: string, seen: string, more: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url: `/admin/moderation/${id}/${action}`,
        cookies: jar,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, back: '/admin/moderation', seen, ...more }).toString(),
      });

    expect((await decide('approve', 'pending')).statusCode).toBe(303);
    expect(await commentFeedJobs(t)).toEqual([{ postId: post.id }]);
    await runJobs(t, { all: true });
    const approved = deliveries('/cb-post').slice(before);
    expect(approved).toHaveLength(1);
    expect(approved[0]!.body).toContain('A held comment that a moderator will approve.');
    expect(approved[0]!.headers['x-hub-signature']).toBe(signed('post-secret', approved[0]!.body));

    // A delete asks first (its own page): nothing changes, nothing goes out, until it is confirmed.
    expect((await decide('delete', 'approved')).statusCode).toBe(200);
    expect(await commentFeedJobs(t)).toEqual([]);
    expect((await decide('delete', 'approved', { confirm: 'yes' })).statusCode).toBe(303);
    expect(await commentFeedJobs(t)).toEqual([{ postId: post.id }]);
    await runJobs(t, { all: true });
    const removed = deliveries('/cb-post').slice(before);
    expect(removed).toHaveLength(2);
    expect(removed[1]!.body).not.toContain('A held comment that a moderator will approve.');
    expect(removed[1]!.body).toContain('Burst comment number 1');
    expect(deliveries('/cb-project').at(-1)!.body).not.toContain('A held comment that a moderator will approve.');
    expect(deliveries('/cb-other')).toEqual([]);
  });

  it('a change to the post itself (its title is in every comment entry) goes out on its comment feeds too', async () => {
    const before = { post: deliveries('/cb-post').length, project: deliveries('/cb-project').length };
    await t.db.updateTable('posts').set((eb) => ({ title: 'A title changed under its comments', updated_at: t.clock.now(), version: eb('version', '+', 1) })).where('id', '=', post.id).execute();
    await queuePostChanged(t.db, post.id);
    await runJobs(t, { all: true });
    expect(deliveries('/cb-post').slice(before.post).map((d) => d.body.includes('A title changed under its comments'))).toEqual([true]);
    expect(deliveries('/cb-project').slice(before.project).map((d) => d.body.includes('A title changed under its comments'))).toEqual([true]);
    expect(deliveries('/cb-other')).toEqual([]);
  });

  it('a webmention shown under the post changes no comment feed', async () => {
    const mention = await t.db
      .insertInto('webmentions')
      .values({ token: 'comment-feed-test-token', source: 'https://elsewhere.example/reply', target: `http://blogs.test${post.url}`, post_id: post.id, received_at: t.clock.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('comments')
      .values({ post_id: post.id, status: 'approved', author_name: 'Elsewhere', author_email: '', body_src: 'A reply elsewhere.', body_html: '<p>A reply elsewhere.</p>', created_at: t.clock.now(), webmention_id: mention.id })
      .execute();
    expect(await commentFeedJobs(t)).toEqual([]);
  });
});

describe('with an external hub (WEBSUB_HUB_URL)', () => {
  it('the comment feeds a new comment changed are pinged, once each', async () => {
    const external = await buildTestApp({ seed: true, env: { ALLOW_PRIVATE_FETCH: '1', WEBSUB_HUB_URL: `${site.base}/hub` } });
    site.set('/hub', { status: 204 });
    const p = await openPost(external);
    await setSettings(external, p.project, { commentPolicy: 'approve-all', commentsPerTenMinutes: 0 });
    const from = site.received.length;
    const form = await commentForm(external, p.url);
    expect((await form.send({ name: 'Ping Reader', email: 'ping1@example.org', body: 'First comment for the external hub.' })).statusCode).toBe(303);
    expect((await form.send({ name: 'Ping Reader', email: 'ping2@example.org', body: 'Second comment for the external hub.' }, '203.0.113.99')).statusCode).toBe(303);
    await runJobs(external, { all: true });
    const pings = site.received.slice(from).filter((r) => r.path === '/hub' && r.method === 'POST').map((r) => new URLSearchParams(r.body));
    expect(pings.every((b) => b.get('hub.mode') === 'publish')).toBe(true);
    expect(pings.map((b) => b.get('hub.url')).sort()).toEqual([`http://blogs.test${p.url}/comments.atom`, `http://blogs.test/${p.project}/comments.atom`].sort());
  });
});
