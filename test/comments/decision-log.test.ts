// What an operator reads when the rules hold a comment or mark it as spam: one structured event each
// (`comment_held`, `comment_spam`) with the rules' reasons and ids, never the commenter's name, email,
// address or text.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { idFromLocation, openPost, postComment, setSettings } from './helpers.js';

let t: TestApp;
let post: Awaited<ReturnType<typeof openPost>>;
const lines: Record<string, unknown>[] = [];
const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
const events = (name: string) => lines.filter((l) => l.event === name);

beforeAll(async () => {
  t = await buildTestApp({ seed: true, logger: { level: 'info', stream } });
  post = await openPost(t);
});

describe('comment decisions in the log', () => {
  it('a held comment is logged as comment_held with its reasons, and nothing personal', async () => {
    await setSettings(t, post.project, { commentPolicy: 'hold-all' });
    const { response } = await postComment(t, post.url, { name: 'Quiet Reader', email: 'quiet.reader@example.org', body: 'A thought for the team to read first.' }, { ip: '198.51.100.61' });
    expect(response.statusCode).toBe(303);
    const id = idFromLocation(response.headers.location);
    const held = events('comment_held').filter((e) => e.commentId === id);
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ project: post.project, postId: post.id, reasons: expect.arrayContaining([expect.any(String)]) });
    expect(events('comment_spam').filter((e) => e.commentId === id)).toHaveLength(0);
    // Nothing of the commenter in the whole log (the request log names the address, as for any request;
    // the decision's event does not).
    const all = JSON.stringify(lines);
    for (const secret of ['quiet.reader@example.org', 'Quiet Reader', 'A thought for the team']) expect(all).not.toContain(secret);
    expect(JSON.stringify(held[0])).not.toContain('198.51.100.61');
  });

  it('a comment the rules call spam is logged as comment_spam with the reason (honeypot)', async () => {
    await setSettings(t, post.project, { commentPolicy: 'approve-all' });
    const { response } = await postComment(t, post.url, { name: 'Bot', email: 'bot@example.org', body: 'Buy things.', website: 'http://spam.example' }, { ip: '198.51.100.62' });
    expect(response.statusCode).toBe(303);
    const id = idFromLocation(response.headers.location);
    const spam = events('comment_spam').filter((e) => e.commentId === id);
    expect(spam).toHaveLength(1);
    expect(spam[0]!.reasons).toContain('honeypot');
  });

  it('an approved comment is not logged as a decision', async () => {
    await setSettings(t, post.project, { commentPolicy: 'approve-all' });
    const before = events('comment_held').length + events('comment_spam').length;
    const { response } = await postComment(t, post.url, { name: 'Plain Reader', email: 'plain@example.org', body: 'Thanks for writing this up.' }, { ip: '198.51.100.63' });
    expect(response.statusCode).toBe(303);
    expect(events('comment_held').length + events('comment_spam').length).toBe(before);
  });
});
