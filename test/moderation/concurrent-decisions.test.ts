// Two moderators deciding the same comment: the second decision finds the first instead of overwriting
// it, is told what happened (the queue again, 409, naming who decided and what), and the log records
// only what was really done, each entry with the status the comment truly had before.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cookiesFrom, signInAs, TestClock, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let postId: number;
let amira: Record<string, string>; // owner of the taskforce project
let tom: Record<string, string>; // editor of the same project
let seq = 0;

beforeAll(async () => {
  t = await buildTestApp({ seed: true, clock: new TestClock(new Date('2026-03-11T12:00:00Z')) });
  postId = (await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id').select('posts.id').where('projects.slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow()).id;
  amira = await signInAs(t, 'amira.hassan@example.gov');
  tom = await signInAs(t, 'tom.okafor@example.gov');
});

async function pendingComment() {
  const n = ++seq;
  const row = await t.db
    .insertInto('comments')
    .values({ post_id: postId, status: 'pending', author_name: `Writer ${n}`, author_email: `w${n}@example.org`, body_src: `Comment ${n}`, body_html: `<p>Comment ${n}</p>`, created_at: t.clock.now() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Opens the queue as a moderator would (CSRF cookie and token), and returns a way to send its forms later. */
async function openQueue(cookies: Record<string, string>) {
  const page = await t.app.inject({ url: '/admin/moderation', cookies });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const jar = { ...cookies, ...cookiesFrom(page) };
  return {
    page: page.body,
    send: (url: string, fields: Record<string, string | string[]>) => {
      const body = new URLSearchParams({ _csrf: token, back: '/admin/moderation' });
      for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      return t.app.inject({ method: 'POST', url, cookies: jar, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
    },
  };
}

const statusOf = async (id: number) => (await t.db.selectFrom('comments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
const logOf = (id: number) =>
  t.db.selectFrom('moderation_log').select(['action', 'previous_status', 'new_status', 'actor_id']).where('comment_id', '=', id).orderBy('id').execute();

describe('two moderators deciding the same comment', () => {
  it('each decision form carries the status its moderator saw', async () => {
    const id = await pendingComment();
    const { page } = await openQueue(amira);
    const item = page.slice(page.indexOf(`id="mod-${id}"`));
    for (const action of ['approve', 'reject', 'spam', 'delete']) {
      expect(item).toMatch(new RegExp(`action="/admin/moderation/${id}/${action}">(<input [^>]+>)*<input type="hidden" name="seen" value="pending">`));
    }
    expect(page).toMatch(/id="bulk-form"[\s\S]*?<input type="hidden" name="seen" value="pending">/);
  });

  it('the later one is told who decided first and what, changes nothing, and writes no log entry', async () => {
    const id = await pendingComment();
    const [a, b] = [await openQueue(amira), await openQueue(tom)];
    expect((await a.send(`/admin/moderation/${id}/approve`, { seen: 'pending' })).statusCode).toBe(303);
    const late = await b.send(`/admin/moderation/${id}/reject`, { seen: 'pending', reason: 'Off-topic' });
    expect(late.statusCode).toBe(409);
    expect(late.headers['content-type']).toContain('text/html');
    expect(late.body).toContain('<h1>Comment moderation</h1>');
    expect(late.body).toMatch(/Another moderator, Amira[^,]*, already approved the comment by Writer \d+, so your rejection was not applied to it\./);
    expect(await statusOf(id)).toBe('approved');
    expect(await logOf(id)).toEqual([{ action: 'approve', previous_status: 'pending', new_status: 'approved', actor_id: expect.any(Number) }]);
  });

  it('at the same moment, exactly one decision is applied and logged, and the other is told', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await pendingComment();
      const [a, b] = [await openQueue(amira), await openQueue(tom)];
      const [approve, reject] = await Promise.all([
        a.send(`/admin/moderation/${id}/approve`, { seen: 'pending' }),
        b.send(`/admin/moderation/${id}/reject`, { seen: 'pending', reason: 'Off-topic' }),
      ]);
      const statuses = [approve.statusCode, reject.statusCode].sort();
      expect(statuses).toEqual([303, 409]);
      const winner = approve.statusCode === 303 ? 'approved' : 'rejected';
      const loser = approve.statusCode === 303 ? reject : approve;
      expect(await statusOf(id)).toBe(winner);
      const log = await logOf(id);
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ previous_status: 'pending', new_status: winner });
      expect(loser.body).toContain(`already ${winner} the comment by`);
    }
  });

  it('the same decision sent twice (a double click, or two moderators who agree) is applied and logged once', async () => {
    const id = await pendingComment();
    const [a, b] = [await openQueue(amira), await openQueue(tom)];
    const responses = await Promise.all([a.send(`/admin/moderation/${id}/approve`, { seen: 'pending' }), b.send(`/admin/moderation/${id}/approve`, { seen: 'pending' })]);
    expect(responses.map((r) => r.statusCode)).toEqual([303, 303]);
    expect(await logOf(id)).toHaveLength(1);
  });

  it('a decision on a stale page is refused even when the comment was changed before this request loaded it', async () => {
    const id = await pendingComment();
    const tomQueue = await openQueue(tom); // Tom's page shows it pending …
    await (await openQueue(amira)).send(`/admin/moderation/${id}/spam`, { seen: 'pending' }); // … Amira marks it spam …
    const res = await tomQueue.send(`/admin/moderation/${id}/approve`, { seen: 'pending' }); // … then Tom approves from his page.
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('already marked as spam the comment by');
    expect(await statusOf(id)).toBe('spam');
    expect(await logOf(id)).toHaveLength(1);
  });

  it('a form without the status seen (an old page) still logs the true previous status', async () => {
    const id = await pendingComment();
    const a = await openQueue(amira);
    await a.send(`/admin/moderation/${id}/approve`, {});
    expect((await a.send(`/admin/moderation/${id}/delete`, { confirm: 'yes' })).statusCode).toBe(303);
    expect((await logOf(id)).map((l) => [l.previous_status, l.new_status])).toEqual([
      ['pending', 'approved'],
      ['approved', 'deleted'],
    ]);
  });
});

describe('bulk decisions against another moderator', () => {
  it('apply to the comments still as seen; the others are named and left alone, and only real changes are logged', async () => {
    const ids = [await pendingComment(), await pendingComment(), await pendingComment()];
    const [a, b] = [await openQueue(amira), await openQueue(tom)];
    await b.send(`/admin/moderation/${ids[1]}/reject`, { seen: 'pending', reason: 'Off-topic' });
    const res = await a.send('/admin/moderation/bulk', { action: 'approve', ids: ids.map(String), seen: 'pending' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('2 comments approved.');
    expect(res.body).toMatch(/Another moderator, Tom[^,]*, already rejected the comment by Writer \d+, so your approval was not applied to it\./);
    expect([await statusOf(ids[0]!), await statusOf(ids[1]!), await statusOf(ids[2]!)]).toEqual(['approved', 'rejected', 'approved']);
    expect((await logOf(ids[1]!)).map((l) => l.new_status)).toEqual(['rejected']);
    expect((await logOf(ids[0]!)).map((l) => [l.previous_status, l.new_status])).toEqual([['pending', 'approved']]);
  });

  it('two overlapping selections decided at once in opposite orders: each comment decided once, no deadlock, no 500', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5, 6].map(() => pendingComment()));
    const [a, b] = [await openQueue(amira), await openQueue(tom)];
    const [first, second] = await Promise.all([
      a.send('/admin/moderation/bulk', { action: 'approve', ids: ids.map(String), seen: 'pending' }),
      b.send('/admin/moderation/bulk', { action: 'spam', ids: [...ids].reverse().map(String), seen: 'pending' }),
    ]);
    expect([first.statusCode, second.statusCode].every((s) => s === 303 || s === 409)).toBe(true);
    for (const id of ids) {
      const log = await logOf(id);
      expect(log).toHaveLength(1);
      expect(log[0]!.previous_status).toBe('pending');
      expect(await statusOf(id)).toBe(log[0]!.new_status);
    }
  });
});
