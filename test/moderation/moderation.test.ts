// Moderation: role checks on every action (table-driven), the queue, bulk actions, the log, team replies,
// edits, and the private Atom feed.
import { beforeAll, describe, expect, it } from 'vitest';
import { countPendingComments } from '../../server/comments/queries.js';
import { buildTestApp, createPerson, get, signInAs, submitForm, TestClock, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let taskforce: number;
let priyaPost: number; // a post by priya-raman (author)
let otherPost: number; // a taskforce post priya did not write
let reviewPost: number; // a post in the other project
let seq = 0;

beforeAll(async () => {
  // A Wednesday: a comment held 3 days (since Sunday) has waited 3 working days, over the 2-day target,
  // whatever day the suite runs on.
  t = await buildTestApp({ seed: true, clock: new TestClock(new Date('2026-06-17T10:00:00Z')) });
  taskforce = (await t.db.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow()).id;
  const priya = (await t.db.selectFrom('people').select('id').where('handle', '=', 'priya-raman').executeTakeFirstOrThrow()).id;
  const authored = await t.db.selectFrom('post_authors').innerJoin('posts', 'posts.id', 'post_authors.post_id').select('posts.id').where('posts.project_id', '=', taskforce).where('post_authors.person_id', '=', priya).executeTakeFirstOrThrow();
  priyaPost = authored.id;
  otherPost = (await t.db.selectFrom('posts').select('id').where('project_id', '=', taskforce)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('post_authors').select('post_id').whereRef('post_authors.post_id', '=', 'posts.id').where('person_id', '=', priya))))
    .executeTakeFirstOrThrow()).id;
  reviewPost = (await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id').select('posts.id').where('projects.slug', '=', 'community-health-review').executeTakeFirstOrThrow()).id;
  await createPerson(t, { email: 'contrib@example.gov', handle: 'contrib' }, { projectId: taskforce, role: 'contributor' });
  await createPerson(t, { email: 'mod@example.gov', handle: 'mod' }, { projectId: taskforce, role: 'moderator' });
  await createPerson(t, { email: 'outsider@example.gov', handle: 'outsider' });
});

async function pendingComment(postId: number, fields: Partial<{ body: string; name: string; email: string }> = {}) {
  const n = ++seq;
  const body = fields.body ?? `Pending comment ${n}`;
  const row = await t.db.insertInto('comments').values({
    post_id: postId, status: 'pending', author_name: fields.name ?? `Commenter ${n}`, author_email: fields.email ?? `c${n}@example.org`,
    body_src: body, body_html: `<p>${body}</p>`, hold_reasons: ['policy', 'links'], ip_hash: 'abc123', created_at: new Date(t.clock.now().getTime() - 3 * 86_400_000),
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

const ACTIONS: Array<[string, Record<string, string>, string]> = [
  ['approve', {}, 'approved'],
  ['reject', { reason: 'Off-topic' }, 'rejected'],
  ['spam', {}, 'spam'],
  ['delete', { confirm: 'yes' }, 'deleted'],
  ['edit', { body: 'Edited text' }, 'pending'],
  ['reply', { body: 'Thanks, from the team' }, 'pending'],
];
const PEOPLE: Array<[string, string, () => number, boolean]> = [
  ['owner', 'amira.hassan@example.gov', () => otherPost, true],
  ['editor', 'tom.okafor@example.gov', () => otherPost, true],
  ['moderator', 'mod@example.gov', () => otherPost, true],
  ['author on own post', 'priya.raman@example.gov', () => priyaPost, true],
  ['author on another post', 'priya.raman@example.gov', () => otherPost, false],
  ['contributor', 'contrib@example.gov', () => otherPost, false],
  ['moderator of another project', 'helen.mcbride@example.gov', () => otherPost, false],
  ['non-member', 'outsider@example.gov', () => otherPost, false],
  ['site admin', 'admin@example.gov', () => otherPost, true],
];
const CASES = PEOPLE.flatMap(([who, email, post, allowed]) => ACTIONS.map(([action, fields, status]) => [who, action, email, post, allowed, fields, status] as const));

describe('role checks on every moderation action', () => {
  it.each(CASES)('%s → %s', async (_who, action, email, post, allowed, fields, status) => {
    const id = await pendingComment(post());
    const cookies = await signInAs(t, email);
    const { response } = await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/${action}`, fields, cookies);
    const row = await t.db.selectFrom('comments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const logs = await t.db.selectFrom('moderation_log').selectAll().where('actor_id', 'is not', null).where((eb) => eb.or([eb('comment_id', '=', id), eb('reason', '=', `reply to comment ${id}`)])).execute();
    if (allowed) {
      expect(response.statusCode).toBe(303);
      expect(row.status).toBe(status);
      expect(logs).toHaveLength(1);
      expect(logs[0]!.action).toBe(action);
    } else {
      expect(response.statusCode).toBe(403);
      expect(row.status).toBe('pending');
      expect(row.body_src).not.toBe('Edited text');
      expect(logs).toHaveLength(0);
    }
  });

  it('the public cannot reach the queue or act', async () => {
    const queue = await get(t.app, '/admin/moderation');
    expect(queue.statusCode).toBe(303);
    expect(queue.headers.location).toContain('/login');
  });
});

describe('the queue', () => {
  it('lists what I may moderate, oldest first, with post, commenter, email, address hash, reasons and wait', async () => {
    const id = await pendingComment(otherPost, { name: 'Queue Person', email: 'queue.person@example.org', body: 'In the queue' });
    const res = await get(t.app, '/admin/moderation', { cookies: await signInAs(t, 'mod@example.gov') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('no-store');
    const item = res.body.slice(res.body.indexOf(`id="mod-${id}"`));
    expect(item).toContain('Queue Person');
    expect(item).toContain('queue.person@example.org');
    expect(item).toContain('abc123');
    expect(item).toContain('Project holds every comment');
    expect(item).toContain('Too many links');
    expect(item).toMatch(/waited 3 days/);
    expect(res.body).toMatch(/over target/);
    // Oldest first.
    const positions = [...res.body.matchAll(/id="mod-(\d+)"/g)].map((m) => m.index!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('an author sees only comments on their own posts; an outsider sees none; filters by project and status work', async () => {
    const own = await pendingComment(priyaPost);
    const notOwn = await pendingComment(otherPost);
    const priya = await get(t.app, '/admin/moderation', { cookies: await signInAs(t, 'priya.raman@example.gov') });
    expect(priya.body).toContain(`id="mod-${own}"`);
    expect(priya.body).not.toContain(`id="mod-${notOwn}"`);
    const outsider = await get(t.app, '/admin/moderation', { cookies: await signInAs(t, 'outsider@example.gov') });
    expect(outsider.body).not.toMatch(/id="mod-\d+"/);
    const admin = await signInAs(t, 'admin@example.gov');
    const review = await pendingComment(reviewPost);
    const filtered = await get(t.app, '/admin/moderation?project=community-health-review', { cookies: admin });
    expect(filtered.body).toContain(`id="mod-${review}"`);
    expect(filtered.body).not.toContain(`id="mod-${own}"`);
    const spamView = await get(t.app, '/admin/moderation?status=spam', { cookies: admin });
    expect(spamView.body).not.toContain(`id="mod-${own}"`);
    expect((await get(t.app, '/admin/moderation?project=nope', { cookies: admin })).statusCode).toBe(404);
  });

  it('countPendingComments gives counts and the oldest wait per project', async () => {
    const map = await countPendingComments(t.db, [taskforce, 999999]);
    expect(map.get(taskforce)!.pending).toBeGreaterThan(0);
    expect(map.get(taskforce)!.oldestAt).toBeInstanceOf(Date);
    expect(map.get(999999)).toEqual({ pending: 0, oldestAt: null });
  });
});

describe('bulk actions', () => {
  it.each([['approve', {}, 'approved'], ['reject', { reason: 'Abusive' }, 'rejected'], ['spam', {}, 'spam']] as const)(
    'bulk %s changes every selected comment and logs each',
    async (action, extra, status) => {
      const ids = [await pendingComment(otherPost), await pendingComment(otherPost), await pendingComment(otherPost)];
      const cookies = await signInAs(t, 'tom.okafor@example.gov');
      const { response } = await submitForm(t.app, '/admin/moderation', '/admin/moderation/bulk', { action, ids: ids.map(String), ...extra }, cookies);
      expect(response.statusCode).toBe(303);
      const rows = await t.db.selectFrom('comments').select('status').where('id', 'in', ids).execute();
      expect(rows.every((r) => r.status === status)).toBe(true);
      const logs = await t.db.selectFrom('moderation_log').selectAll().where('comment_id', 'in', ids).execute();
      expect(logs).toHaveLength(3);
      expect(logs.every((l) => l.action === action && l.previous_status === 'pending' && l.new_status === status)).toBe(true);
      if (action === 'reject') expect(logs.every((l) => l.reason === 'Abusive')).toBe(true);
    },
  );

  it('a selection with one comment I may not moderate changes nothing (403)', async () => {
    const mine = await pendingComment(priyaPost);
    const notMine = await pendingComment(otherPost);
    const { response } = await submitForm(t.app, '/admin/moderation', '/admin/moderation/bulk', { action: 'approve', ids: [String(mine), String(notMine)] }, await signInAs(t, 'priya.raman@example.gov'));
    expect(response.statusCode).toBe(403);
    const rows = await t.db.selectFrom('comments').select('status').where('id', 'in', [mine, notMine]).execute();
    expect(rows.every((r) => r.status === 'pending')).toBe(true);
  });

  it('reject needs a reason from the project list; nonsense input is a 400/404, never a 500', async () => {
    const id = await pendingComment(otherPost);
    const cookies = await signInAs(t, 'amira.hassan@example.gov');
    expect((await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/reject`, { reason: 'Because' }, cookies)).response.statusCode).toBe(400);
    expect((await submitForm(t.app, '/admin/moderation', '/admin/moderation/bulk', { action: 'reject', ids: String(id) }, cookies)).response.statusCode).toBe(400);
    expect((await submitForm(t.app, '/admin/moderation', '/admin/moderation/bulk', { action: 'approve', ids: 'abc' }, cookies)).response.statusCode).toBe(400);
    expect((await submitForm(t.app, '/admin/moderation', '/admin/moderation/bulk', { action: 'launch', ids: String(id) }, cookies)).response.statusCode).toBe(400);
    expect((await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/explode`, {}, cookies)).response.statusCode).toBe(404);
    expect((await submitForm(t.app, '/admin/moderation', '/admin/moderation/99999999/approve', {}, cookies)).response.statusCode).toBe(404);
    expect((await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/edit`, { body: '  ' }, cookies)).response.statusCode).toBe(400);
  });
});

describe('team replies, edits and the log', () => {
  it('a team reply is published at once with the Project team badge; an approved comment shows with the right count', async () => {
    const post = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id').select(['posts.slug', 'projects.slug as project']).where('posts.id', '=', otherPost).executeTakeFirstOrThrow();
    const url = `/${post.project}/posts/${post.slug}`;
    const before = Number(/(\d+) thoughts? on/.exec((await get(t.app, url)).body)![1]);
    const id = await pendingComment(otherPost, { body: 'Please approve me' });
    const cookies = await signInAs(t, 'amira.hassan@example.gov');
    await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/approve`, {}, cookies);
    await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/reply`, { body: 'Team answer here' }, cookies);
    const page = await get(t.app, url);
    expect(page.body).toContain('Please approve me');
    expect(page.body).toContain(`${before + 2} thoughts on`);
    const reply = await t.db.selectFrom('comments').selectAll().where('body_src', '=', 'Team answer here').executeTakeFirstOrThrow();
    expect(reply.is_team_reply).toBe(true);
    expect(reply.person_id).not.toBeNull();
    expect(reply.parent_id).toBe(id);
    const li = page.body.slice(page.body.indexOf(`id="comment-${reply.id}"`));
    expect(li.slice(0, 800)).toContain('Project team');
  });

  it('an edit keeps the previous text in the log; whoever moderates the project reads the log, others may not', async () => {
    const id = await pendingComment(otherPost, { body: 'Original words' });
    const owner = await signInAs(t, 'amira.hassan@example.gov');
    await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/edit`, { body: 'Corrected words', reason: 'personal data removed' }, owner);
    const row = await t.db.selectFrom('comments').select(['body_src', 'body_html']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.body_src).toBe('Corrected words');
    expect(row.body_html).toContain('Corrected words');
    const log = await t.db.selectFrom('moderation_log').selectAll().where('comment_id', '=', id).executeTakeFirstOrThrow();
    expect(log.previous_body).toBe('Original words');
    const page = await get(t.app, '/admin/projects/info-sharing-taskforce/moderation-log', { cookies: owner });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Original words');
    expect(page.body).toContain('personal data removed');
    expect(page.body).toContain('Amira');
    expect((await get(t.app, '/admin/projects/info-sharing-taskforce/moderation-log', { cookies: await signInAs(t, 'tom.okafor@example.gov') })).statusCode).toBe(200);
    expect((await get(t.app, '/admin/projects/info-sharing-taskforce/moderation-log', { cookies: await signInAs(t, 'mod@example.gov') })).statusCode).toBe(200);
    expect((await get(t.app, '/admin/projects/info-sharing-taskforce/moderation-log', { cookies: await signInAs(t, 'contrib@example.gov') })).statusCode).toBe(403);
    expect((await get(t.app, '/admin/projects/info-sharing-taskforce/moderation-log', { cookies: await signInAs(t, 'helen.mcbride@example.gov') })).statusCode).toBe(403);
    expect((await get(t.app, '/admin/projects/info-sharing-taskforce/moderation-log', { cookies: await signInAs(t, 'admin@example.gov') })).statusCode).toBe(200);
    expect((await get(t.app, '/admin/projects/nope/moderation-log', { cookies: owner })).statusCode).toBe(404);
  });

  it('deleting a comment is soft and the log keeps every entry', async () => {
    const id = await pendingComment(otherPost);
    const owner = await signInAs(t, 'amira.hassan@example.gov');
    await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/approve`, {}, owner);
    await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/delete`, { confirm: 'yes' }, owner);
    expect((await t.db.selectFrom('comments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('deleted');
    const logs = await t.db.selectFrom('moderation_log').select(['action', 'previous_status', 'new_status']).where('comment_id', '=', id).orderBy('id').execute();
    expect(logs).toEqual([
      { action: 'approve', previous_status: 'pending', new_status: 'approved' },
      { action: 'delete', previous_status: 'approved', new_status: 'deleted' },
    ]);
  });
});

describe('deleting from the queue asks first', () => {
  it('a delete without confirmation shows a confirmation page and changes nothing; confirming deletes and goes back to the queue', async () => {
    const id = await pendingComment(otherPost, { name: 'Careful <Commenter>', body: 'Please keep this one' });
    const owner = await signInAs(t, 'amira.hassan@example.gov');
    const back = '/admin/moderation?status=pending';
    const asked = await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/delete`, { back, seen: 'pending' }, owner);
    expect(asked.response.statusCode).toBe(200);
    expect(asked.response.body).toContain('<h1>Delete the comment by Careful &lt;Commenter&gt;?</h1>');
    expect(asked.response.body).toContain('Please keep this one');
    // The page's form posts the delete again, confirmed, with the queue it came from and the status seen.
    const form = /<form method="post" action="([^"]+)" class="confirm-form">([^]*?)<\/form>/.exec(asked.response.body);
    expect(form?.[1]).toBe(`/admin/moderation/${id}/delete`);
    expect(form?.[2]).toContain('name="confirm" value="yes"');
    expect(form?.[2]).toContain(`name="back" value="${back}"`);
    expect(form?.[2]).toContain('name="seen" value="pending"');
    expect(asked.response.body).toMatch(/<a href="\/admin\/moderation\?status=pending#mod-\d+">No, back to the queue<\/a>/);
    expect((await t.db.selectFrom('comments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('pending');
    expect(await t.db.selectFrom('moderation_log').select('id').where('comment_id', '=', id).execute()).toEqual([]);

    const confirmed = await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/delete`, { back, seen: 'pending', confirm: 'yes' }, owner);
    expect(confirmed.response.statusCode).toBe(303);
    expect(confirmed.response.headers.location).toBe(back);
    expect((await t.db.selectFrom('comments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('deleted');
  });

  it('the confirmation page is only for people who may moderate the comment', async () => {
    const id = await pendingComment(otherPost);
    const outsider = await signInAs(t, 'outsider@example.gov');
    const { response } = await submitForm(t.app, '/admin/moderation', `/admin/moderation/${id}/delete`, {}, outsider);
    expect(response.statusCode).toBe(403);
    expect(response.body).not.toContain('Delete the comment by');
  });
});

describe('the private moderation feed', () => {
  it('a valid token gives the pending comments as private Atom; a new token replaces the old; revoked or missing tokens 404', async () => {
    const id = await pendingComment(otherPost, { name: 'Feed <b>Name</b>', body: 'In the feed' });
    const cookies = await signInAs(t, 'mod@example.gov');
    const created = await submitForm(t.app, '/admin/moderation', '/admin/moderation/feed-token', {}, cookies);
    expect(created.response.statusCode).toBe(200);
    const feedUrl = /value="http:\/\/blogs\.test(\/moderation\/feed\/[A-Za-z0-9_-]+)"/.exec(created.response.body)![1]!;
    const token = feedUrl.split('/').pop()!;
    const stored = await t.db.selectFrom('moderator_feed_tokens').selectAll().execute();
    expect(stored.some((r) => r.token_hash === token)).toBe(false);
    expect(stored.some((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);

    const feed = await get(t.app, feedUrl);
    expect(feed.statusCode).toBe(200);
    expect(feed.headers['content-type']).toContain('application/atom+xml');
    // Private (no shared cache), but a reader may keep it and revalidate (ETag, Last-Modified).
    expect(feed.headers['cache-control']).toBe('private, no-cache');
    expect(feed.body).toContain('In the feed');
    expect(feed.body).toContain(`#mod-${id}`);
    expect(feed.body).toContain('<title type="text">Feed &lt;b&gt;Name&lt;/b&gt; on');
    expect(feed.body).not.toContain('c' + seq + '@example.org'); // no emails in the feed

    const page = await get(t.app, '/admin/moderation', { cookies });
    expect(page.body).toContain('Stop my feed');

    const again = await submitForm(t.app, '/admin/moderation', '/admin/moderation/feed-token', {}, cookies);
    const newUrl = /value="http:\/\/blogs\.test(\/moderation\/feed\/[A-Za-z0-9_-]+)"/.exec(again.response.body)![1]!;
    expect((await get(t.app, feedUrl)).statusCode).toBe(404);
    expect((await get(t.app, newUrl)).statusCode).toBe(200);

    await submitForm(t.app, '/admin/moderation', '/admin/moderation/feed-token/revoke', {}, cookies);
    expect((await get(t.app, newUrl)).statusCode).toBe(404);
    expect((await get(t.app, '/moderation/feed')).statusCode).toBe(404);
    expect((await get(t.app, '/moderation/feed/not-a-token-at-all-xxxxxxxx')).statusCode).toBe(404);
  });

  it('an outsider’s feed lists nothing of projects they do not moderate', async () => {
    await pendingComment(otherPost, { body: 'Secret pending text' });
    const cookies = await signInAs(t, 'outsider@example.gov');
    const created = await submitForm(t.app, '/admin/moderation', '/admin/moderation/feed-token', {}, cookies);
    const feedUrl = /value="http:\/\/blogs\.test(\/moderation\/feed\/[A-Za-z0-9_-]+)"/.exec(created.response.body)![1]!;
    const feed = await get(t.app, feedUrl);
    expect(feed.statusCode).toBe(200);
    expect(feed.body).not.toContain('Secret pending text');
  });
});
