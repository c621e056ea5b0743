// The comment POST's decisions as values (server/comments/decisions.ts), without HTTP or a database:
// accepted, refused with a reason, and "decide again from a fresh read" for a kept copy. The same paths
// through the real app are in comments.test.ts, kept-target.test.ts and refusal-landing.test.ts.
import { describe, expect, it } from 'vitest';
import type { Project } from '../../server/db/schema.js';
import type { CommentTarget } from '../../server/comments/queries.js';
import type { SubmitResult } from '../../server/comments/service.js';
import {
  decideAfterStoring,
  decideBeforeStoring,
  decidePublicComment,
  fromKeptCopy,
  type CommentDecision,
  type FormChecks,
  type OpenTarget,
} from '../../server/comments/decisions.js';
import { DEFAULT_SETTINGS } from '../../server/projects/settings.js';
import { TEST_NOW } from '../helpers/test-app.js';

const day = 86_400_000;

function target(change: { project?: Partial<Project>; post?: Partial<NonNullable<CommentTarget['post']>> | null; pause?: unknown } = {}): CommentTarget {
  return {
    project: { id: 7, slug: 'plan', status: 'active', settings: { commentPolicy: 'approve-all', commentsPerTenMinutes: 3 }, ...change.project } as Project,
    post:
      change.post === null
        ? undefined
        : {
            id: 42,
            slug: 'the-plan',
            status: 'published',
            published_at: new Date(TEST_NOW.getTime() - day),
            first_published_at: new Date(TEST_NOW.getTime() - day),
            comments_open: true,
            deleted_at: null,
            ...change.post,
          },
    pause: change.pause ?? null,
    stamp: 'stamp-1',
  };
}

const form = (change: Partial<FormChecks> = {}): FormChecks => ({
  input: { name: 'Ann', email: 'ann@example.org', body: 'A useful remark.' },
  trustedFor: (postId) => postId === 42,
  expired: false,
  now: TEST_NOW,
  ...change,
});

const saved: SubmitResult = { kind: 'saved', id: 99, status: 'approved', reasons: [] };

describe('decideBeforeStoring', () => {
  it('opens a public, open post with its project settings read', () => {
    const before = decideBeforeStoring(target(), form());
    expect('open' in before && before.open.post.id).toBe(42);
    expect('open' in before && before.open.settings).toEqual({ ...DEFAULT_SETTINGS, commentPolicy: 'approve-all', commentsPerTenMinutes: 3 });
  });

  it.each([
    ['no project', undefined, form(), { kind: 'no-project' }],
    ['no post', target({ post: null }), form(), { kind: 'no-post' }],
    ['a draft', target({ post: { status: 'draft' } }), form(), { kind: 'no-post' }],
    ['a post scheduled later', target({ post: { published_at: new Date(TEST_NOW.getTime() + day) } }), form(), { kind: 'no-post' }],
    ['a form for another post', target(), form({ trustedFor: () => false }), { kind: 'forged' }],
    ['an expired form', target(), form({ expired: true }), { kind: 'form-expired' }],
    ['a post closed to comments', target({ post: { comments_open: false } }), form(), { kind: 'closed', message: 'Comments are closed on this post.' }],
    ['a site-wide pause', target({ pause: { message: 'Back soon.', since: '' } }), form(), { kind: 'closed', message: 'Back soon.' }],
    ['an archived project', target({ project: { status: 'archived' } }), form(), { kind: 'closed', message: 'Comments are closed: this project is archived.' }],
    ['an empty name and a bad email', target(), form({ input: { name: '', email: 'nope', body: 'Text.' } }), { kind: 'invalid', errors: { name: expect.any(String), email: expect.any(String) } }],
  ] as const)('refuses %s, with its reason', (_name, t, f, reason) => {
    expect(decideBeforeStoring(t, f)).toEqual({ refused: reason });
  });

  it('refuses a forged form before an expired one, and a closed post before invalid text', () => {
    expect(decideBeforeStoring(target(), form({ trustedFor: () => false, expired: true }))).toEqual({ refused: { kind: 'forged' } });
    expect(decideBeforeStoring(target({ post: { comments_open: false } }), form({ input: { name: '', email: '', body: '' } }))).toMatchObject({ refused: { kind: 'closed' } });
  });

  it('asks the team only for its text, and never about the form’s age', () => {
    const team = form({ fromTeam: true, expired: true, input: { name: '', email: '', body: 'Our answer.' } });
    expect('open' in decideBeforeStoring(target(), team)).toBe(true);
    expect(decideBeforeStoring(target(), { ...team, input: { name: '', email: '', body: ' ' } })).toEqual({ refused: { kind: 'invalid', errors: { body: expect.any(String) } } });
  });
});

describe('decideAfterStoring', () => {
  it.each([
    ['a stored comment is accepted', saved, { kind: 'accepted', commentId: 99 }],
    ['a stale stamp is decided again', { kind: 'stale' }, { kind: 'decide-again' }],
    ['the rate limit refuses, naming the limit', { kind: 'rate-limited' }, { kind: 'refused', reason: { kind: 'rate-limited', perTenMinutes: 5 } }],
    ['a vanished parent refuses', { kind: 'bad-parent' }, { kind: 'refused', reason: { kind: 'bad-parent' } }],
    ['a full disk refuses', 'storage-full', { kind: 'refused', reason: { kind: 'storage-full' } }],
  ] as const)('%s', (_name, stored, decision) => {
    expect(decideAfterStoring(stored, DEFAULT_SETTINGS)).toEqual(decision);
  });
});

describe('fromKeptCopy', () => {
  it('keeps an acceptance and the refusals the database made; decides every other refusal again', () => {
    const refused = (reason: Extract<CommentDecision, { kind: 'refused' }>['reason']): CommentDecision => ({ kind: 'refused', reason });
    expect(fromKeptCopy({ kind: 'accepted', commentId: 1 })).toEqual({ kind: 'accepted', commentId: 1 });
    expect(fromKeptCopy(refused({ kind: 'rate-limited', perTenMinutes: 5 }))).toEqual(refused({ kind: 'rate-limited', perTenMinutes: 5 }));
    expect(fromKeptCopy(refused({ kind: 'storage-full' }))).toEqual(refused({ kind: 'storage-full' }));
    for (const reason of [{ kind: 'no-post' }, { kind: 'forged' }, { kind: 'form-expired' }, { kind: 'closed', message: 'x' }, { kind: 'bad-parent' }] as const) {
      expect(fromKeptCopy(refused(reason))).toEqual({ kind: 'decide-again' });
    }
  });
});

describe('decidePublicComment', () => {
  it('stores only what passed the checks, and returns what storing decided', async () => {
    const asked: OpenTarget[] = [];
    const store = async (open: OpenTarget) => (asked.push(open), saved);
    expect(await decidePublicComment(target(), form({ expired: true }), store)).toEqual({ kind: 'refused', reason: { kind: 'form-expired' } });
    expect(asked).toEqual([]);
    expect(await decidePublicComment(target(), form(), store)).toEqual({ kind: 'accepted', commentId: 99 });
    expect(asked.map((open) => open.post.id)).toEqual([42]);
    expect(await decidePublicComment(target(), form(), async () => ({ kind: 'stale' }))).toEqual({ kind: 'decide-again' });
  });
});
