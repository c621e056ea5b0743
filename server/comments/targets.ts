// Kept copies of what a comment POST looks up first (project, post, site-wide pause), one per post that
// accepted a comment lately, so that a comment costs one round trip to the database instead of two. A
// copy is never trusted: it carries a stamp (a digest of the rows, migration 0009) that the database
// checks in the statement that stores the comment, and anything the copy would refuse is decided again
// from a fresh read (decisions.ts: fromKeptCopy). Only a read that led to a stored comment is kept, so a
// visitor cannot fill this with refused posts; it is bounded in entries and in bytes, and a copy lives 60 s.
import type { Db } from '../db/create-db.js';
import { findCommentTarget, PAUSE_KEY, type CommentTarget } from './queries.js';

const MAX_ENTRIES = 2_000;
const MAX_AGE_MS = 60_000;

export class CommentTargets {
  /** Oldest first (a Map keeps insertion order; keep() re-inserts). */
  private readonly kept = new Map<string, { target: CommentTarget; keptAt: number; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly db: Db,
    /** Memory bound for kept copies (a project row with long lists of blocked words can be large). */
    private readonly maxBytes = 4 * 1024 * 1024,
  ) {}

  /** The kept copy for this post, if any and not too old. */
  copyOf(projectSlug: string, postSlug: string): CommentTarget | undefined {
    const key = keyOf(projectSlug, postSlug);
    const entry = this.kept.get(key);
    if (!entry) return undefined;
    if (performance.now() - entry.keptAt > MAX_AGE_MS) {
      this.forget(key);
      return undefined;
    }
    return entry.target;
  }

  /** Reads the target afresh (not kept: see keep). */
  read(projectSlug: string, postSlug: string): Promise<CommentTarget | undefined> {
    return findCommentTarget(this.db, projectSlug, postSlug, PAUSE_KEY);
  }

  /** Keeps a fresh read that has just led to a stored comment. */
  keep(projectSlug: string, postSlug: string, target: CommentTarget): void {
    const key = keyOf(projectSlug, postSlug);
    this.forget(key);
    // Strings take up to two bytes a character in memory; the rest of an entry is small.
    const bytes = 2 * JSON.stringify(target).length + 256;
    if (bytes > this.maxBytes / 8) return; // one huge project must not push out everything else
    const now = performance.now();
    for (const [oldest, entry] of this.kept) {
      const expired = now - entry.keptAt > MAX_AGE_MS;
      if (!expired && this.kept.size < MAX_ENTRIES && this.bytes + bytes <= this.maxBytes) break;
      this.forget(oldest);
    }
    this.kept.set(key, { target, keptAt: now, bytes });
    this.bytes += bytes;
  }

  /** Drops the copy of this post (it no longer matched). */
  drop(projectSlug: string, postSlug: string): void {
    this.forget(keyOf(projectSlug, postSlug));
  }

  private forget(key: string): void {
    const entry = this.kept.get(key);
    if (!entry) return;
    this.kept.delete(key);
    this.bytes -= entry.bytes;
  }
}

function keyOf(projectSlug: string, postSlug: string): string {
  return `${projectSlug}/${postSlug}`;
}
