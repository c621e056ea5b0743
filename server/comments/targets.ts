// Kept copies of what a comment POST looks up first (project, post, site-wide pause), one per post that
// received comments lately, so that a comment costs one round trip to the database instead of two. A
// copy is never trusted: it carries a stamp (a digest of the rows, migration 0009) that the database
// checks in the statement that stores the comment, and anything the copy would refuse is decided again
// from a fresh read (see routes.ts). The age limit only bounds how long an unused copy takes memory.
import type { Db } from '../db/create-db.js';
import { findCommentTarget, type CommentTarget } from './queries.js';
import { PAUSE_KEY } from './service.js';

const MAX_ENTRIES = 2_000;
const MAX_AGE_MS = 60_000;

export class CommentTargets {
  private readonly kept = new Map<string, { target: CommentTarget; keptAt: number }>();

  constructor(private readonly db: Db) {}

  /** The kept copy for this post, if any. */
  copyOf(projectSlug: string, postSlug: string): CommentTarget | undefined {
    const key = `${projectSlug}/${postSlug}`;
    const entry = this.kept.get(key);
    if (!entry) return undefined;
    if (performance.now() - entry.keptAt > MAX_AGE_MS) {
      this.kept.delete(key);
      return undefined;
    }
    return entry.target;
  }

  /** Reads the target afresh and keeps it when the post exists (unknown addresses are not kept). */
  async read(projectSlug: string, postSlug: string): Promise<CommentTarget | undefined> {
    const key = `${projectSlug}/${postSlug}`;
    this.kept.delete(key);
    const target = await findCommentTarget(this.db, projectSlug, postSlug, PAUSE_KEY);
    if (target?.post) {
      // Oldest first in a Map: drop the oldest when full.
      if (this.kept.size >= MAX_ENTRIES) this.kept.delete(this.kept.keys().next().value!);
      this.kept.set(key, { target, keptAt: performance.now() });
    }
    return target;
  }
}
