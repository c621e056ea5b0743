// The comment rules as pure functions: no database, no HTTP.
import { describe, expect, it } from 'vitest';
import { commentsClosed, countLinks, decideComment, isBlank, placeReply, validateComment, workingDaysBetween, type Signals } from '../../server/comments/rules.js';
import { DEFAULT_SETTINGS, type ProjectSettings } from '../../server/projects/settings.js';

const human: Signals = { honeypotFilled: false, secondsSinceRender: 60, duplicate: false, knownCommenter: false };
const input = { name: 'Ann', email: 'ann@example.org', body: 'Hello there.' };
const settings = (s: Partial<ProjectSettings> = {}) => ({ ...DEFAULT_SETTINGS, ...s });

describe('decideComment', () => {
  it.each([
    ['hold-all holds (policy)', settings(), human, 'pending', ['policy']],
    ['hold-first-time holds an unknown email', settings({ commentPolicy: 'hold-first-time' }), human, 'pending', ['first-time']],
    ['hold-first-time approves a known email', settings({ commentPolicy: 'hold-first-time' }), { ...human, knownCommenter: true }, 'approved', []],
    ['approve-all approves', settings({ commentPolicy: 'approve-all' }), human, 'approved', []],
    ['honeypot is spam', settings(), { ...human, honeypotFilled: true }, 'spam', ['honeypot']],
    ['too fast is spam', settings(), { ...human, secondsSinceRender: 1 }, 'spam', ['too-fast']],
    ['no timestamp is spam', settings(), { ...human, secondsSinceRender: undefined }, 'spam', ['no-timestamp']],
    ['duplicate is spam', settings(), { ...human, duplicate: true }, 'spam', ['duplicate']],
  ] as const)('%s', (_n, s, signals, status, reasons) => {
    expect(decideComment(input, s, signals)).toEqual({ status, reasons });
  });

  it('links and keywords hold whatever the policy; the blocklist is spam; every reason is kept', () => {
    const s = settings({ commentPolicy: 'approve-all', maxLinks: 1, moderationKeywords: ['budget'], blocklist: ['casino'] });
    expect(decideComment({ ...input, body: 'http://a.example http://b.example on the BUDGET' }, s, human)).toEqual({ status: 'pending', reasons: ['links', 'keyword'] });
    expect(decideComment({ ...input, name: 'Casino King' }, s, { ...human, honeypotFilled: true })).toEqual({ status: 'spam', reasons: ['blocklist', 'honeypot'] });
  });
});

describe('the other rules', () => {
  it('counts links', () => {
    expect(countLinks('no links')).toBe(0);
    expect(countLinks('https://a.example and www.b.example and [c](https://c.example) [d](/local)')).toBe(4);
  });

  it('validates name, email and length limits', () => {
    expect(validateComment(input, DEFAULT_SETTINGS)).toEqual({});
    expect(Object.keys(validateComment({ name: '', email: 'bad', body: '' }, DEFAULT_SETTINGS))).toEqual(['name', 'email', 'body']);
    expect(validateComment({ ...input, body: 'x'.repeat(11) }, settings({ maxCommentLength: 10 })).body).toMatch(/10 characters/);
  });

  it('counts text that shows nothing (spaces, zero-width and other invisible characters) as blank', () => {
    for (const blank of ['', ' \n\t', '\u200b', '\u200c\u200d', '\u2060', '\ufeff', '\u00a0\u3000', '\u00ad\u200e\u202e\u2066', '\u034f\ufe0f', '\u3164\u115f\u2800', '\u0085\u009f']) {
      expect(isBlank(blank), JSON.stringify(blank)).toBe(true);
    }
    for (const visible of ['a', '\u200bx\u200b', '\u{1F44D}', '\u{1F468}\u200d\u{1F469}', 'ا', '.']) expect(isBlank(visible), visible).toBe(false);
    expect(validateComment({ ...input, body: '\u200b\u200b', name: '\ufeff' }, DEFAULT_SETTINGS)).toMatchObject({ body: 'Enter your comment.', name: 'Enter your name.' });
  });

  it('places replies at most 3 levels deep', () => {
    expect(placeReply({ id: 1, depth: 1, parentId: null })).toEqual({ parentId: 1, depth: 2 });
    expect(placeReply({ id: 3, depth: 3, parentId: 2 })).toEqual({ parentId: 2, depth: 3 });
  });

  it('closes comments: pause first, then project, post, and the auto-close', () => {
    const base = { pauseMessage: undefined, projectStatus: 'active', postCommentsOpen: true, publishedAt: new Date('2026-01-01T00:00:00Z'), autoCloseDays: 0, now: new Date('2026-03-01T00:00:00Z') };
    expect(commentsClosed(base)).toBeUndefined();
    expect(commentsClosed({ ...base, pauseMessage: 'Election', projectStatus: 'closed' })?.code).toBe('paused');
    expect(commentsClosed({ ...base, projectStatus: 'archived' })?.code).toBe('project');
    expect(commentsClosed({ ...base, postCommentsOpen: false })?.code).toBe('post');
    expect(commentsClosed({ ...base, autoCloseDays: 30 })?.code).toBe('auto');
    expect(commentsClosed({ ...base, autoCloseDays: 90 })).toBeUndefined();
  });

  it('counts working days (Monday to Friday)', () => {
    // Friday 09:00 to the next Tuesday 10:00: Monday and Tuesday.
    expect(workingDaysBetween(new Date('2026-01-02T09:00:00Z'), new Date('2026-01-06T10:00:00Z'))).toBe(2);
    expect(workingDaysBetween(new Date('2026-01-06T10:00:00Z'), new Date('2026-01-02T09:00:00Z'))).toBe(0);
  });
});
