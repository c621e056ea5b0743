// Issue 16, item 14: a captured comment form (its signed render time and token) cannot be replayed for any
// number of instant comments. Each form takes one comment per address on a server (a second one is spam,
// 'form-reused', decided without a database round trip), and a form older than 12 hours is refused with
// the text kept and a fresh form.
import { beforeAll, describe, expect, it } from 'vitest';
import { UsedForms } from '../../server/comments/used-forms.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { commentById, commentForm, idFromLocation, openPost, setSettings } from './helpers.js';

let t: TestApp;
let post: Awaited<ReturnType<typeof openPost>>;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  post = await openPost(t);
  await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all', commentsPerTenMinutes: 100 });
});

describe('one comment per form and address', () => {
  it('a replayed form from the same address is spam; the same form from another address is taken once there too', async () => {
    const form = await commentForm(t, post.url);
    const first = await form.send({ name: 'Ada', email: 'ada@example.org', body: 'A real comment.' }, '192.0.2.10');
    expect((await commentById(t, idFromLocation(first.headers.location))).status).toBe('approved');
    for (const n of [1, 2, 3]) {
      const replay = await form.send({ name: 'Ada', email: `ada${n}@example.org`, body: `Replayed words ${n}.` }, '192.0.2.10');
      expect(replay.statusCode).toBe(303);
      const row = await commentById(t, idFromLocation(replay.headers.location));
      expect(row.status).toBe('spam');
      expect(row.hold_reasons).toContain('form-reused');
    }
    const elsewhere = await form.send({ name: 'Bo', email: 'bo@example.org', body: 'Same page, another address.' }, '192.0.2.11');
    expect((await commentById(t, idFromLocation(elsewhere.headers.location))).status).toBe('approved');
  });

  it('a form whose comment was refused (invalid) can be sent again once corrected', async () => {
    const form = await commentForm(t, post.url);
    expect((await form.send({ name: 'Cy', email: 'not-an-email', body: 'Oops.' }, '192.0.2.12')).statusCode).toBe(422);
    const fixed = await form.send({ name: 'Cy', email: 'cy@example.org', body: 'Oops.' }, '192.0.2.12');
    expect((await commentById(t, idFromLocation(fixed.headers.location))).status).toBe('approved');
  });
});

describe('a form expires', () => {
  it('after 12 hours the comment is refused, its text kept, with a fresh form that works', async () => {
    const form = await commentForm(t, post.url);
    t.clock.advance(12 * 3_600_000 + 60_000);
    const old = await form.send({ name: 'Di', email: 'di@example.org', body: 'Written overnight.' }, '192.0.2.13');
    expect(old.statusCode).toBe(403);
    expect(old.body).toContain('more than 12 hours');
    expect(old.body).toContain('Written overnight.');
    const before = await t.db.selectFrom('comments').select('id').where('body_src', '=', 'Written overnight.').execute();
    expect(before).toEqual([]);
  });
});

describe('UsedForms', () => {
  it('forgets expired entries and never holds more than its bound', () => {
    const used = new UsedForms(10);
    expect(used.claim('a', 1_000, 0)).toBe(true);
    expect(used.claim('a', 1_000, 500)).toBe(false);
    expect(used.claim('a', 3_000, 1_000)).toBe(true); // expired: a new form time would differ anyway
    for (let i = 0; i < 50; i++) used.claim(`k${i}`, 10_000, 1_500);
    expect(used.size).toBeLessThanOrEqual(10);
    used.release('k49');
    expect(used.claim('k49', 10_000, 1_600)).toBe(true);
  });
});
