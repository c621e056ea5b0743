// Issue 16, item 10: an editor sends a submitted post back to its contributor with a note; the
// contributor sees the note in the editor and on the dashboard, and submitting again clears it.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createPerson, get, signInAs, type TestApp } from '../helpers/test-app.js';
import { formFields, P, postAs, projectId } from './helpers.js';

let t: TestApp;
let editor: Record<string, string>;
let contributor: Record<string, string>;
let author: Record<string, string>;
let postId: number;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  const pid = await projectId(t);
  await createPerson(t, { email: 'casey.contributor@example.gov', handle: 'casey-contributor' }, { projectId: pid, role: 'contributor' });
  editor = await signInAs(t, 'tom.okafor@example.gov');
  author = await signInAs(t, 'priya.raman@example.gov');
  contributor = await signInAs(t, 'casey.contributor@example.gov');
  const res = await postAs(t, contributor, `${P}/posts`, { title: 'Notes from the workshop', slug: '', summary: '', body: 'First go.', tags: '', action: 'review' });
  expect(res.statusCode).toBe(303);
  postId = Number(/posts\/(\d+)/.exec(res.headers.location as string)![1]);
});

const editUrl = () => `${P}/posts/${postId}/edit`;
async function fieldsAs(jar: Record<string, string>) {
  return formFields((await get(t.app, editUrl(), { cookies: jar })).body);
}

describe('sending a post back to its writer', () => {
  it('offers editors a note and "Send back to the writer" on a post awaiting review, and refuses an empty note', async () => {
    const page = await get(t.app, editUrl(), { cookies: editor });
    expect(page.body).toContain('Send back to the writer');
    expect(page.body).toContain('id="post-review-note"');
    const res = await postAs(t, editor, `${P}/posts/${postId}`, { ...(await fieldsAs(editor)), action: 'send-back', review_note: '  ' }, editUrl());
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('href="#post-review-note"');
    expect((await t.db.selectFrom('posts').select('status').where('id', '=', postId).executeTakeFirstOrThrow()).status).toBe('review');
  });

  it('refuses authors, who may not publish other people\'s posts', async () => {
    const res = await postAs(t, author, `${P}/posts/${postId}`, { ...(await fieldsAs(editor)), action: 'send-back', review_note: 'No' }, '/');
    expect(res.statusCode).toBe(403);
  });

  it('makes it a draft again with the note, which the contributor sees in the editor and on the dashboard', async () => {
    const res = await postAs(t, editor, `${P}/posts/${postId}`, { ...(await fieldsAs(editor)), action: 'send-back', review_note: 'Please add the dates.\nAnd <who> came.' }, editUrl());
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('saved=sent-back');
    const row = await t.db.selectFrom('posts').select(['status', 'review_note']).where('id', '=', postId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'draft', review_note: 'Please add the dates.\nAnd <who> came.' });

    const page = await get(t.app, editUrl(), { cookies: contributor });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sent back for changes by Tom Okafor');
    expect(page.body).toContain('Please add the dates.\nAnd &lt;who&gt; came.');
    expect(page.body).not.toContain('Send back to the writer</button>');

    const dashboard = await get(t.app, '/admin', { cookies: contributor });
    expect(dashboard.body).toContain('1 of your posts was sent back to you with a note');
    const editorsDashboard = await get(t.app, '/admin', { cookies: editor });
    expect(editorsDashboard.body).not.toContain('sent back to you');
  });

  it('clears the note when the contributor submits it again', async () => {
    const res = await postAs(t, contributor, `${P}/posts/${postId}`, { ...(await fieldsAs(contributor)), body: 'Second go, with dates.', action: 'review' }, editUrl());
    expect(res.statusCode).toBe(303);
    const row = await t.db.selectFrom('posts').select(['status', 'review_note', 'review_note_by']).where('id', '=', postId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'review', review_note: null, review_note_by: null });
    expect((await get(t.app, '/admin', { cookies: contributor })).body).not.toContain('sent back to you');
  });
});
