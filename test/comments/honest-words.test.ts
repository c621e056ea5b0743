// Issue 16, item 9: what the post page says about comments is true. The form's words follow the project's
// policy; a comment a moderator edited says so; spam the rules caught by themselves is not counted in the
// public "N not published" (a person's rejection or spam mark is).
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';
import { idFromLocation, openPost, postComment, setSettings } from './helpers.js';

let t: TestApp;
let post: Awaited<ReturnType<typeof openPost>>;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  post = await openPost(t);
});

const withheld = (body: string) => Number(/(\d+) comments? (?:was|were) not published/.exec(body)?.[1] ?? 0);

describe('the comment form says what will happen', () => {
  it('approve-all: comments appear at once; hold-all: read first; hold-first-time: the first one is read first', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all' });
    let page = (await get(t.app, post.url)).body;
    expect(page).toContain('Comments appear as soon as they are sent');
    expect(page).not.toContain('Comments are read by the project team before they appear');
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'hold-all' });
    page = (await get(t.app, post.url)).body;
    expect(page).toContain('Comments are read by the project team before they appear');
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'hold-first-time' });
    page = (await get(t.app, post.url)).body;
    expect(page).toContain('Your first comment here is read by the project team before it appears');
  });
});

describe('edited by the team', () => {
  it('a comment a moderator edited is marked on the public page; an unedited one is not', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all' });
    const a = await postComment(t, post.url, { name: 'Edna', email: 'edna@example.org', body: 'My phone number is 0123 and I think this is good.' });
    const b = await postComment(t, post.url, { name: 'Norm', email: 'norm@example.org', body: 'A comment nobody edits.' }, { ip: '203.0.113.98' });
    const edited = idFromLocation(a.response.headers.location);
    const plain = idFromLocation(b.response.headers.location);
    const owner = await signInAs(t, 'amira.hassan@example.gov');
    await submitForm(t.app, '/admin/moderation?status=approved', `/admin/moderation/${edited}/edit`, { body: 'I think this is good.', reason: 'personal data removed' }, owner);
    const page = (await get(t.app, post.url)).body;
    const block = (id: number) => page.slice(page.indexOf(`id="comment-${id}"`), page.indexOf('</article>', page.indexOf(`id="comment-${id}"`)));
    expect(block(edited)).toContain('Edited by the team');
    expect(block(plain)).not.toContain('Edited by the team');
  });
});

describe('"N not published" counts what a person withheld', () => {
  it('spam caught by the rules (too fast, duplicate) is not counted; a moderator’s spam mark and a rejection are', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all' });
    const before = withheld((await get(t.app, post.url)).body);
    const fast = await postComment(t, post.url, { name: 'Bot', email: 'bot@example.org', body: 'Buy now' }, { wait: 0 });
    expect(fast.response.statusCode).toBe(303);
    const first = await postComment(t, post.url, { name: 'Dup', email: 'dup@example.org', body: 'Same words twice' }, { ip: '203.0.113.97' });
    await postComment(t, post.url, { name: 'Dup', email: 'dup@example.org', body: 'Same words twice' }, { ip: '203.0.113.97' });
    const rows = await t.db.selectFrom('comments').select(['status', 'hold_reasons']).where('post_id', '=', post.id).where('status', '=', 'spam').execute();
    expect(rows.map((r) => r.hold_reasons.join(','))).toEqual(expect.arrayContaining(['too-fast', 'duplicate']));
    expect(withheld((await get(t.app, post.url)).body)).toBe(before);

    const owner = await signInAs(t, 'amira.hassan@example.gov');
    const spammed = idFromLocation(first.response.headers.location);
    await submitForm(t.app, '/admin/moderation?status=approved', `/admin/moderation/${spammed}/spam`, {}, owner);
    const rejectMe = await postComment(t, post.url, { name: 'Rex', email: 'rex@example.org', body: 'Off topic words' }, { ip: '203.0.113.99' });
    await submitForm(t.app, '/admin/moderation?status=approved', `/admin/moderation/${idFromLocation(rejectMe.response.headers.location)}/reject`, { reason: 'Off-topic' }, owner);
    expect(withheld((await get(t.app, post.url)).body)).toBe(before + 2);
  });
});
