// Issue 16, item 8: the moderation pages can be found. The queue and the dashboard link the log (and, for
// site admins, the site-wide pause); a moderator reads the log of the projects they moderate; each log entry
// links to its comment (the public page when published, the queue otherwise).
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createPerson, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let taskforce: number;
let post: { id: number; slug: string };

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  taskforce = (await t.db.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow()).id;
  post = await t.db.selectFrom('posts').select(['id', 'slug']).where('project_id', '=', taskforce).orderBy('id').executeTakeFirstOrThrow();
  await createPerson(t, { email: 'findmod@example.gov', handle: 'findmod' }, { projectId: taskforce, role: 'moderator' });
});

async function pending(body: string) {
  const row = await t.db.insertInto('comments').values({
    post_id: post.id, status: 'pending', author_name: 'Pat', author_email: 'pat@example.org',
    body_src: body, body_html: `<p>${body}</p>`, hold_reasons: ['policy'], ip_hash: 'abc', created_at: t.clock.now(),
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

describe('moderation pages people can find', () => {
  it('a moderator reads the log of a project they moderate, linked from the queue and the dashboard', async () => {
    const mod = await signInAs(t, 'findmod@example.gov');
    const log = await get(t.app, '/admin/projects/info-sharing-taskforce/moderation-log', { cookies: mod });
    expect(log.statusCode).toBe(200);
    const queue = await get(t.app, '/admin/moderation', { cookies: mod });
    expect(queue.body).toContain('href="/admin/projects/info-sharing-taskforce/moderation-log"');
    expect(queue.body).not.toContain('href="/admin/comments-pause"'); // not a site admin
    const dashboard = await get(t.app, '/admin', { cookies: mod });
    expect(dashboard.body).toContain('href="/admin/projects/info-sharing-taskforce/moderation-log"');
  });

  it('a site admin finds the site-wide pause from the queue and the dashboard', async () => {
    const admin = await signInAs(t, 'admin@example.gov');
    expect((await get(t.app, '/admin/moderation', { cookies: admin })).body).toContain('href="/admin/comments-pause"');
    expect((await get(t.app, '/admin', { cookies: admin })).body).toContain('href="/admin/comments-pause"');
  });

  it('each log entry links to its comment: the public page once published, else the queue', async () => {
    const mod = await signInAs(t, 'findmod@example.gov');
    const approved = await pending('Will be approved');
    const rejected = await pending('Will be rejected');
    await submitForm(t.app, '/admin/moderation', `/admin/moderation/${approved}/approve`, {}, mod);
    await submitForm(t.app, '/admin/moderation', `/admin/moderation/${rejected}/reject`, { reason: 'Off-topic' }, mod);
    const log = (await get(t.app, '/admin/projects/info-sharing-taskforce/moderation-log', { cookies: mod })).body;
    expect(log).toContain(`href="/info-sharing-taskforce/posts/${post.slug}#comment-${approved}"`);
    expect(log).toContain(`href="/admin/moderation?project=info-sharing-taskforce&amp;status=rejected#mod-${rejected}"`);
  });
});
