// Issue 16, item 7: who a comment is from. A signed-in member of the project's team comments as themselves
// (profile name, team badge, no email field, published at once); an anonymous comment using a member's
// name or email is held with its own reason; "known commenter" trust needs the earlier commenter's browser
// (its signed commenter cookie) as well as the email.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createPerson, get, signInAs, type TestApp } from '../helpers/test-app.js';
import { commentById, idFromLocation, openPost, postComment, setSettings } from './helpers.js';

let t: TestApp;
let post: Awaited<ReturnType<typeof openPost>>;
let ipSeq = 0;
const freshIp = () => `198.51.100.${++ipSeq}`;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  post = await openPost(t);
  await createPerson(t, { email: 'stranger@example.gov', handle: 'stranger', displayName: 'Sandy Stranger' });
});

describe('a signed-in team member comments as themselves', () => {
  it('the owner sees no name or email fields, and her comment is published at once with her name and the team badge', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'hold-all' });
    const owner = await signInAs(t, 'amira.hassan@example.gov');
    const page = await get(t.app, post.url, { cookies: owner });
    expect(page.body).toContain('You are commenting as');
    expect(page.body).not.toContain('name="email"');
    expect(page.body).not.toContain('id="comment-name"');
    const { response } = await postComment(t, post.url, { body: 'From the team: thanks for reading.' }, { cookies: owner, ip: freshIp() });
    expect(response.statusCode, /class="form-notice">([^<]*)/.exec(response.body)?.[1]).toBe(303);
    const row = await commentById(t, idFromLocation(response.headers.location));
    const amira = await t.db.selectFrom('people').select(['id', 'display_name', 'email']).where('email', '=', 'amira.hassan@example.gov').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'approved', is_team_reply: true, person_id: amira.id, author_name: amira.display_name, author_email: amira.email });
    const publicPage = (await get(t.app, post.url)).body;
    const at = publicPage.indexOf(`id="comment-${row.id}"`);
    expect(at).toBeGreaterThan(-1);
    expect(publicPage.slice(at, at + 1200)).toContain('Project team');
  });

  it('a signed-in person outside the team comments like anyone (name and email fields, the rules apply)', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'hold-all' });
    const stranger = await signInAs(t, 'stranger@example.gov');
    expect((await get(t.app, post.url, { cookies: stranger })).body).toContain('name="email"');
    const { response } = await postComment(t, post.url, { name: 'Sandy', email: 'sandy@example.org', body: 'Not on the team.' }, { cookies: stranger, ip: freshIp() });
    const row = await commentById(t, idFromLocation(response.headers.location));
    expect(row).toMatchObject({ status: 'pending', is_team_reply: false, person_id: null });
  });
});

describe('an anonymous comment using a team member’s identity', () => {
  it('is held with its own reason when it uses a member’s email or name, even where the project approves all', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all' });
    const byEmail = await postComment(t, post.url, { name: 'Someone', email: 'Amira.Hassan@example.gov', body: 'I am definitely the owner.' }, { ip: freshIp() });
    const amira = await t.db.selectFrom('people').select('display_name').where('email', '=', 'amira.hassan@example.gov').executeTakeFirstOrThrow();
    const byName = await postComment(t, post.url, { name: ` ${amira.display_name.toUpperCase()} `, email: 'other@example.org', body: 'Also the owner, honest.' }, { ip: freshIp() });
    const plain = await postComment(t, post.url, { name: 'Robin Reader', email: 'robin@example.org', body: 'Just a reader.' }, { ip: freshIp() });
    for (const r of [byEmail, byName]) {
      const row = await commentById(t, idFromLocation(r.response.headers.location));
      expect(row.status).toBe('pending');
      expect(row.hold_reasons).toContain('team-name');
    }
    expect((await commentById(t, idFromLocation(plain.response.headers.location))).status).toBe('approved');
    const queue = await get(t.app, '/admin/moderation', { cookies: await signInAs(t, 'amira.hassan@example.gov') });
    expect(queue.body).toContain('Uses the name or email of a project team member');
  });
});

describe('"previously approved" trust is bound to the browser', () => {
  it('typing an approved commenter’s email in another browser earns nothing; the same browser is known', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'hold-first-time' });
    const first = await postComment(t, post.url, { name: 'Kim', email: 'kim@example.org', body: 'My first comment.' }, { ip: freshIp() });
    const firstId = idFromLocation(first.response.headers.location);
    expect((await commentById(t, firstId)).status).toBe('pending');
    expect(first.cookies.pb_commenter).toBeTruthy();
    await t.db.updateTable('comments').set({ status: 'approved' }).where('id', '=', firstId).execute();

    const impostor = await postComment(t, post.url, { name: 'Kim', email: 'kim@example.org', body: 'Pretending to be Kim.' }, { ip: freshIp() });
    const impostorRow = await commentById(t, idFromLocation(impostor.response.headers.location));
    expect(impostorRow.status).toBe('pending');
    expect(impostorRow.hold_reasons).toEqual(['first-time']);

    const forged = await postComment(t, post.url, { name: 'Kim', email: 'kim@example.org', body: 'A forged cookie.' }, { ip: freshIp(), cookies: { pb_commenter: (await commentById(t, firstId)).commenter_id! } });
    expect((await commentById(t, idFromLocation(forged.response.headers.location))).status).toBe('pending');

    const again = await postComment(t, post.url, { name: 'Kim', email: 'kim@example.org', body: 'Kim again, same browser.' }, { ip: freshIp(), cookies: first.cookies });
    expect((await commentById(t, idFromLocation(again.response.headers.location))).status).toBe('approved');
  });
});
