// Two instances of the product on loopback: site A's listening desk watches a feed of site B, whose
// built-in WebSub hub (server/websub) declares itself in the feed. A subscribes at B's hub through the job
// queue, B verifies A's intent over real HTTP, then B delivers a new post's feed signed with A's secret,
// and A stores it; a delivery signed with another secret (A's stored secret changed) is dropped.
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderPost } from '../../server/markdown/render.js';
import { queuePostChanged } from '../../server/posts/events.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';
import { freePort } from '../helpers/server-process.js';
import { buildTestApp, createPerson, runJobs, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

let a: TestApp;
let b: LiveServer;
let editor: Record<string, string>;
let projectB: { id: number; slug: string; author: number };
const SOURCES = '/admin/projects/watchers/listening/sources';

beforeAll(async () => {
  const port = await freePort();
  a = await buildTestApp({ env: { ALLOW_PRIVATE_FETCH: '1', PUBLIC_URL: `http://127.0.0.1:${port}` } });
  await a.app.listen({ port, host: '127.0.0.1' });
  expect((a.app.server.address() as AddressInfo).port).toBe(port);
  b = await startLiveServer({ env: { ALLOW_PRIVATE_FETCH: '1' } });
  const row = await a.db.insertInto('projects').values({ slug: 'watchers', title: 'Watchers', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  await createPerson(a, { email: 'ed@example.org', handle: 'ed' }, { projectId: Number(row.id), role: 'editor' });
  editor = await signInAs(a, 'ed@example.org');
  const p = await b.db
    .selectFrom('posts')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select(['projects.id', 'projects.slug', 'posts.created_by'])
    .where('posts.status', '=', 'published')
    .orderBy('projects.id')
    .executeTakeFirstOrThrow();
  projectB = { id: Number(p.id), slug: p.slug, author: Number(p.created_by) };
});

let n = 0;
async function publishOnB(title: string) {
  n++;
  const rendered = renderPost(`Body ${n}`);
  const at = new Date(b.clock.now().getTime() - 60_000);
  const post = await b.db
    .insertInto('posts')
    .values({ project_id: projectB.id, slug: `pushed-${n}`, title, summary: '', body_md: `Body ${n}`, body_html: rendered.html, status: 'published', published_at: at, first_published_at: at, created_by: projectB.author })
    .returning('id')
    .executeTakeFirstOrThrow();
  await b.db.insertInto('post_authors').values({ post_id: post.id, person_id: projectB.author, position: 0 }).execute();
  await queuePostChanged(b.db, post.id);
  await b.app.jobs.runUntilIdle();
}

const titlesOnA = async () => (await a.db.selectFrom('listen_items').select('title').execute()).map((r) => r.title);

describe('subscribing at our own hub, on another instance', () => {
  it('subscribes, is verified by the hub, receives signed deliveries and refuses wrongly signed ones', async () => {
    const feedUrl = `${b.baseUrl}/${projectB.slug}/feed.atom`;
    const added = await submitForm(a.app, SOURCES, SOURCES, { address: feedUrl, mode: 'all' }, editor);
    expect(added.response.statusCode).toBe(200);
    const before = (await titlesOnA()).length;
    expect(before).toBeGreaterThan(0);

    await runJobs(a); // A asks B's hub
    await b.app.jobs.runUntilIdle(); // B verifies A's intent over HTTP
    const sub = await a.db.selectFrom('listen_websub').selectAll().executeTakeFirstOrThrow();
    expect(sub.state).toBe('subscribed');
    expect(sub.hub).toBe(`${b.baseUrl}/websub`);
    expect(sub.topic).toBe(feedUrl);
    const atHub = await b.db.selectFrom('websub_subscriptions').selectAll().execute();
    expect(atHub).toHaveLength(1);
    expect(atHub[0]!.callback).toBe(`${a.config.publicUrl}/listening/websub/${sub.token}`);
    expect(atHub[0]!.secret).toBe(sub.secret);

    await publishOnB('Pushed from the other site');
    await runJobs(a); // A reads the stored push (listen:websub-push)
    expect(await titlesOnA()).toContain('Pushed from the other site');
    const pushed = await a.db.selectFrom('listen_websub').select('last_push_at').executeTakeFirstOrThrow();
    expect(pushed.last_push_at).not.toBeNull();

    // The hub signs with the secret it was given; A now expects another: the delivery is dropped.
    await a.db.updateTable('listen_websub').set({ secret: 'x'.repeat(43) }).execute();
    await publishOnB('Signed with the wrong secret');
    await runJobs(a);
    expect(await titlesOnA()).not.toContain('Signed with the wrong secret');
  });
});
