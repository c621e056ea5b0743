// The comment rules as pure functions: validation, the automatic decision (approve / hold / spam, with
// reasons), when comments are closed, reply depth and working days. No database, no clock: callers pass
// what they looked up, so every rule is tested in milliseconds.
import type { CommentStatus } from '../db/schema.js';
import { EMAIL_PATTERN, formText } from '../forms.js';
import type { ProjectSettings } from '../projects/settings.js';

export const MAX_DEPTH = 3;

export interface CommentInput {
  name: string;
  email: string;
  body: string;
}

export type FieldErrors = Partial<Record<'name' | 'email' | 'body', string>>;

// Deliberately simple: something@something.tld, no spaces. The address is never mailed automatically.


// What shows nothing on a page: whitespace (any Unicode space), control and format characters (zero-width
// space, joiners U+200B–U+200D, word joiner U+2060, BOM U+FEFF, soft hyphen, bidi marks), the combining
// grapheme joiner, variation selectors, Hangul fillers, the Khmer inherent vowels and the blank Braille cell.
const INVISIBLE = /[\s\p{Cc}\p{Cf}\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/gu;

/** True when the text would show nothing at all: empty, or only spaces and invisible characters. */
export function isBlank(text: string): boolean {
  return text.replace(INVISIBLE, '') === '';
}

/** Trims raw form values; anything that is not a string becomes ''. */
export function readCommentInput(body: Record<string, unknown>): CommentInput {
  const text = formText;
  return { name: text(body.name).trim(), email: text(body.email).trim(), body: text(body.body).replace(/\r\n?/g, '\n').trim() };
}

export function validateComment(input: CommentInput, settings: ProjectSettings): FieldErrors {
  const errors: FieldErrors = {};
  const len = (s: string) => Array.from(s).length;
  if (isBlank(input.name)) errors.name = 'Enter your name.';
  else if (len(input.name) > settings.maxNameLength) errors.name = `Your name must be ${settings.maxNameLength} characters or fewer.`;
  if (!input.email) errors.email = 'Enter your email address.';
  else if (len(input.email) > settings.maxEmailLength) errors.email = `Your email address must be ${settings.maxEmailLength} characters or fewer.`;
  else if (!EMAIL_PATTERN.test(input.email)) errors.email = 'Enter an email address in the right format, like name@example.org.';
  if (isBlank(input.body)) errors.body = 'Enter your comment.';
  else if (len(input.body) > settings.maxCommentLength) {
    errors.body = `Your comment must be ${settings.maxCommentLength.toLocaleString('en-GB')} characters or fewer (it has ${len(input.body).toLocaleString('en-GB')}).`;
  }
  return errors;
}

/** Links in the comment text: URLs and Markdown links (a Markdown link with a URL text counts once). */
export function countLinks(text: string): number {
  const urls = text.match(/\b(?:https?:\/\/|www\.)[^\s<>()\]]+/gi)?.length ?? 0;
  const mdWithoutUrl = text.match(/\]\((?!\s*(?:https?:\/\/|www\.))[^)\s]+[^)]*\)/gi)?.length ?? 0;
  return urls + mdWithoutUrl;
}

function firstMatch(haystack: string, needles: string[]): string | undefined {
  const lower = haystack.toLowerCase();
  return needles.find((n) => n.trim() !== '' && lower.includes(n.trim().toLowerCase()));
}

export interface Signals {
  /** The honeypot field had something in it. */
  honeypotFilled: boolean;
  /** Seconds between rendering the form and posting it; undefined when the signed timestamp is missing or forged. */
  secondsSinceRender: number | undefined;
  /** The same email already sent the same text on this post. */
  duplicate: boolean;
  /** The email has an approved comment in this project, sent from this browser (its commenter id). */
  knownCommenter: boolean;
  /** This server already took a comment from this form (render time, post) from this address. */
  formReused?: boolean;
  /** The name or email is that of a member of the project's team (and the writer is not signed in as them). */
  usesTeamIdentity?: boolean;
}

export interface Decision {
  status: Extract<CommentStatus, 'approved' | 'pending' | 'spam'>;
  reasons: string[];
}

/**
 * What the rules decide before any person looks. Spam signals win over holds; holds over the policy's
 * approval. Every reason that applied is returned, so a moderator sees all of them.
 */
export function decideComment(input: CommentInput, settings: ProjectSettings, signals: Signals): Decision {
  const spam: string[] = [];
  const all = `${input.name}\n${input.email}\n${input.body}`;
  if (firstMatch(all, settings.blocklist) !== undefined) spam.push('blocklist');
  if (signals.honeypotFilled) spam.push('honeypot');
  if (signals.secondsSinceRender === undefined) spam.push('no-timestamp');
  else if (signals.secondsSinceRender < settings.minSecondsToComment) spam.push('too-fast');
  if (signals.duplicate) spam.push('duplicate');
  if (signals.formReused) spam.push('form-reused');
  if (spam.length > 0) return { status: 'spam', reasons: spam };

  const hold: string[] = [];
  if (settings.commentPolicy === 'hold-all') hold.push('policy');
  else if (settings.commentPolicy === 'hold-first-time' && !signals.knownCommenter) hold.push('first-time');
  if (signals.usesTeamIdentity) hold.push('team-name');
  if (countLinks(input.body) > settings.maxLinks) hold.push('links');
  if (firstMatch(all, settings.moderationKeywords) !== undefined) hold.push('keyword');
  return hold.length > 0 ? { status: 'pending', reasons: hold } : { status: 'approved', reasons: [] };
}

/** Words a moderator reads for each reason code. */
export const REASON_LABELS: Record<string, string> = {
  policy: 'Project holds every comment',
  'first-time': 'First comment from this email and browser in the project',
  'team-name': 'Uses the name or email of a project team member, without signing in',
  links: 'Too many links',
  keyword: 'Matches a moderation keyword',
  blocklist: 'Matches the blocklist',
  honeypot: 'Hidden field filled (a bot)',
  'too-fast': 'Sent faster than a person types',
  'no-timestamp': 'Form timestamp missing or forged',
  duplicate: 'Duplicate of an earlier comment',
  'form-reused': 'Sent again with a form already used from this address',
  // Webmentions (server/responses) take these rules too.
  'other-site': 'A response from another site (held like a first-time commenter)',
  'changed-at-source': 'Changed on the other site since it was last decided',
};

export interface ClosedState {
  code: 'paused' | 'project' | 'post' | 'auto';
  message: string;
}

/** Why comments on a post are closed, or undefined when they are open. The site pause comes first. */
export function commentsClosed(args: {
  pauseMessage: string | undefined;
  projectStatus: string;
  postCommentsOpen: boolean;
  publishedAt: Date | null;
  autoCloseDays: number;
  now: Date;
}): ClosedState | undefined {
  if (args.pauseMessage !== undefined) return { code: 'paused', message: args.pauseMessage || 'Comments are paused across the site.' };
  if (args.projectStatus !== 'active') {
    return { code: 'project', message: `Comments are closed: this project is ${args.projectStatus === 'archived' ? 'archived' : 'closed'}.` };
  }
  if (!args.postCommentsOpen) return { code: 'post', message: 'Comments are closed on this post.' };
  if (args.autoCloseDays > 0 && args.publishedAt) {
    const closesAt = args.publishedAt.getTime() + args.autoCloseDays * 86_400_000;
    if (args.now.getTime() >= closesAt) {
      return { code: 'auto', message: `Comments closed ${args.autoCloseDays} ${args.autoCloseDays === 1 ? 'day' : 'days'} after this post was published.` };
    }
  }
  return undefined;
}

/** Where a reply goes: below its parent, but never deeper than level 3 (then beside the parent). */
export function placeReply(parent: { id: number; depth: number; parentId: number | null }): { parentId: number; depth: number } {
  if (parent.depth >= MAX_DEPTH) return { parentId: parent.parentId ?? parent.id, depth: MAX_DEPTH };
  return { parentId: parent.id, depth: parent.depth + 1 };
}

/** Whole working days (Monday to Friday, UTC) that have passed between two instants. */
export function workingDaysBetween(from: Date, to: Date): number {
  if (to <= from) return 0;
  let days = 0;
  const cursor = new Date(from.getTime());
  for (;;) {
    cursor.setUTCDate(cursor.getUTCDate() + 1);
    if (cursor > to) break;
    const weekday = cursor.getUTCDay();
    if (weekday !== 0 && weekday !== 6) days++;
    if (days > 10_000) break;
  }
  return days;
}

/** "3 days", "5 hours", "12 minutes": how long a comment has waited. */
export function describeWait(from: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 60_000));
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return plural(hours, 'hour');
  return plural(Math.floor(hours / 24), 'day');
}
