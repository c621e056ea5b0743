// What becomes of a comment POST, as a value: accepted, refused with a reason, or (only when it was
// checked against a kept copy of its project and post, targets.ts) "decide again from a fresh read".
// The steps are plain functions of what was read and typed, so they can be tested without HTTP; the
// route (routes.ts) reads the request, asks for a decision and maps it to a response.
//
// Why "decide again": a kept copy saves a round trip, but it is never trusted to refuse. Whatever a copy
// would refuse is decided again from a fresh read; only a refusal the database itself made, in the same
// statement that checked the copy's stamp (the rate limit, a full disk), stands.
import type { Project } from '../db/schema.js';
import { isPostPublic } from '../db/sql-helpers.js';
import { readSettings, type ProjectSettings } from '../projects/settings.js';
import { readCommentsPause, type CommentTarget, type CommentTargetPost } from './queries.js';
import { validateComment, type CommentInput, type FieldErrors } from './rules.js';
import { closedStateWith, type SubmitResult } from './service.js';

/** Why a comment was not stored. */
export type RefusalReason =
  | { kind: 'no-project' }
  | { kind: 'no-post' }
  /** The form's token was not this post's, or the browser said it came from another site. */
  | { kind: 'forged' }
  /** The form was open for longer than FORM_MAX_AGE_MS. */
  | { kind: 'form-expired' }
  | { kind: 'closed'; message: string }
  | { kind: 'invalid'; errors: FieldErrors }
  /** The comment replied to is gone (or was never approved on this post). */
  | { kind: 'bad-parent' }
  | { kind: 'rate-limited'; perTenMinutes: number }
  | { kind: 'storage-full' };

export type CommentDecision =
  | { kind: 'accepted'; commentId: number }
  | { kind: 'refused'; reason: RefusalReason }
  /** Decided from a kept copy that no longer matched, or that would have refused: read afresh and decide again. */
  | { kind: 'decide-again' };

/** A target whose post may take a comment now, with its project's settings read. */
export interface OpenTarget {
  project: Project;
  post: CommentTargetPost;
  settings: ProjectSettings;
}

/** What can be decided before anything is stored. */
export interface FormChecks {
  input: CommentInput;
  /** The form's token is this post's and the browser says it is same-origin (form-cookies.ts: commentFormTrusted). */
  trustedFor: (postId: number) => boolean;
  /** The signed render time is genuine and too old (service.ts: formExpired). Not asked of the team. */
  expired: boolean;
  now: Date;
  /** The team comments as themselves: name and email are theirs, only the text is checked. */
  fromTeam?: boolean;
}

/** The refusals decided from the target and the form alone, in the order a commenter should hear them; else the open target. */
export function decideBeforeStoring(target: CommentTarget | undefined, form: FormChecks): { refused: RefusalReason } | { open: OpenTarget } {
  if (!target) return { refused: { kind: 'no-project' } };
  const { project, post } = target;
  if (!post || !isPostPublic(post, form.now)) return { refused: { kind: 'no-post' } };
  if (!form.trustedFor(post.id)) return { refused: { kind: 'forged' } };
  if (!form.fromTeam && form.expired) return { refused: { kind: 'form-expired' } };
  const settings = readSettings(project.settings);
  const closed = closedStateWith(form.now, project, post, settings, readCommentsPause(target.pause));
  if (closed) return { refused: { kind: 'closed', message: closed.message } };
  const errors = validateComment(form.input, settings);
  const shown: FieldErrors = form.fromTeam ? (errors.body ? { body: errors.body } : {}) : errors;
  if (Object.keys(shown).length > 0) return { refused: { kind: 'invalid', errors: shown } };
  return { open: { project, post, settings } };
}

/** What the database's answer means (service.ts: submitComment), or 'storage-full' when the disk was. */
export function decideAfterStoring(stored: SubmitResult | 'storage-full', settings: ProjectSettings): CommentDecision {
  if (stored === 'storage-full') return { kind: 'refused', reason: { kind: 'storage-full' } };
  switch (stored.kind) {
    case 'saved':
      return { kind: 'accepted', commentId: stored.id };
    case 'stale':
      return { kind: 'decide-again' }; // the kept copy's stamp no longer matched: nothing was stored
    case 'rate-limited':
      return { kind: 'refused', reason: { kind: 'rate-limited', perTenMinutes: settings.commentsPerTenMinutes } };
    case 'bad-parent':
      return { kind: 'refused', reason: { kind: 'bad-parent' } };
  }
}

/** Refusals the database made in the statement that checked the copy's stamp: they stand even from a kept copy. */
export function settledByDatabase(reason: RefusalReason): boolean {
  return reason.kind === 'rate-limited' || reason.kind === 'storage-full';
}

/** A decision made from a kept copy: any refusal the database did not make is decided again from a fresh read. */
export function fromKeptCopy(decision: CommentDecision): CommentDecision {
  if (decision.kind === 'refused' && !settledByDatabase(decision.reason)) return { kind: 'decide-again' };
  return decision;
}

/**
 * The whole decision for a public comment: the checks, then `store` (which applies the rules and
 * stores the comment in one statement, checking `target.stamp` when the target is a kept copy).
 */
export async function decidePublicComment(
  target: CommentTarget | undefined,
  form: FormChecks,
  store: (open: OpenTarget) => Promise<SubmitResult | 'storage-full'>,
): Promise<CommentDecision> {
  const before = decideBeforeStoring(target, form);
  if ('refused' in before) return { kind: 'refused', reason: before.refused };
  return decideAfterStoring(await store(before.open), before.open.settings);
}
