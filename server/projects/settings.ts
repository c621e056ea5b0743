// Per-project settings, stored in projects.settings (jsonb) and read through this one accessor, so a
// missing key always means its documented default.
export type CommentPolicy = 'hold-all' | 'hold-first-time' | 'approve-all';

export interface ProjectSettings {
  /** Pre-moderation by default. */
  commentPolicy: CommentPolicy;
  /** More links than this holds a comment for a person. */
  maxLinks: number;
  /** A match holds the comment (case-insensitive substrings). */
  moderationKeywords: string[];
  /** A match marks the comment as spam. */
  blocklist: string[];
  /** Comments one address may post per 10 minutes; 0 turns the limit off. */
  commentsPerTenMinutes: number;
  /** A form posted sooner than this after it was rendered is spam (a person cannot type that fast). */
  minSecondsToComment: number;
  /** Comments close this many days after publication; 0 = never. */
  autoCloseDays: number;
  /** "N comments were not published under the comment policy" on post pages. */
  showWithheldCount: boolean;
  maxNameLength: number;
  maxEmailLength: number;
  maxCommentLength: number;
  /** Reasons moderators pick from when rejecting. */
  moderationReasons: string[];
  /** Working days within which the team aims to decide on a comment. */
  responseTargetDays: number;
  /** Email updates carry the post's full text (true) or its summary and a link (false). */
  emailFullText: boolean;
  /** Items fetched by the listening desk are deleted this many days after they were fetched. */
  listeningKeepDays: number;
}

export const DEFAULT_SETTINGS: ProjectSettings = {
  commentPolicy: 'hold-all',
  maxLinks: 2,
  moderationKeywords: [],
  blocklist: [],
  commentsPerTenMinutes: 5,
  minSecondsToComment: 3,
  autoCloseDays: 0,
  showWithheldCount: true,
  maxNameLength: 100,
  maxEmailLength: 254,
  maxCommentLength: 5000,
  moderationReasons: ['Off-topic', 'Abusive', 'Personal information', 'Spam', 'Duplicate', 'Other'],
  responseTargetDays: 2,
  emailFullText: false,
  listeningKeepDays: 180,
};

/** Stored settings merged over the defaults; unknown or mistyped keys fall back to the default. */
export function readSettings(stored: unknown): ProjectSettings {
  const s = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [key, fallback] of Object.entries(DEFAULT_SETTINGS)) {
    const value = s[key];
    if (value === undefined) continue;
    if (Array.isArray(fallback) ? Array.isArray(value) && value.every((v) => typeof v === 'string') : typeof value === typeof fallback) {
      out[key] = value;
    }
  }
  return out as unknown as ProjectSettings;
}
