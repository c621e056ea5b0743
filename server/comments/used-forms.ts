// Which comment forms (a signed render time, for a post, from an address) this server has already taken a
// comment from. A captured form could otherwise be replayed for any number of instant comments (issue 16,
// item 14): the second use from the same address is marked as spam ('form-reused'), at no database cost.
//
// The trade-off: the set is per server and in memory. Behind N servers a form can be used once per server
// (and after a restart once more); identical text is still caught by the database's duplicate check, and
// the render time expires (FORM_MAX_AGE_MS), so a captured form is worth a handful of comments, not any
// number. A shared set (a table, or a unique index on the stamp) would close that gap but add a write to
// every comment's round trip. Two people behind one address who load the same post within the same second
// (the cached page's stamp changes once a second) share a form: the second comment is marked as spam for a
// moderator to rescue. Memory is bounded: entries expire with their form, and at most MAX_ENTRIES are kept.

/** A comment form older than this is refused (shown again with its text and a fresh form). */
export const FORM_MAX_AGE_MS = 12 * 3_600_000;
const MAX_ENTRIES = 100_000;
const PRUNE_PER_CALL = 100;

export class UsedForms {
  /** key → when the entry may be forgotten (ms); insertion order is roughly expiry order. */
  readonly #seen = new Map<string, number>();

  constructor(private readonly maxEntries = MAX_ENTRIES) {}

  /** Takes the form for one comment: true the first time, false when it was already used (and not expired). */
  claim(key: string, forgetAtMs: number, nowMs: number): boolean {
    this.#prune(nowMs);
    const until = this.#seen.get(key);
    if (until !== undefined && until > nowMs) return false;
    this.#seen.delete(key);
    this.#seen.set(key, forgetAtMs);
    return true;
  }

  /** Gives a claim back: the comment was not stored (rate limit, a stale copy decided again, a bad reply). */
  release(key: string): void {
    this.#seen.delete(key);
  }

  get size(): number {
    return this.#seen.size;
  }

  #prune(nowMs: number): void {
    let n = 0;
    for (const [key, until] of this.#seen) {
      if (n++ >= PRUNE_PER_CALL) break;
      if (until <= nowMs || this.#seen.size > this.maxEntries) this.#seen.delete(key);
      else break;
    }
    // Still full of live entries: forget the oldest (bounded, as the map cannot grow past maxEntries + 1).
    while (this.#seen.size >= this.maxEntries) {
      const oldest = this.#seen.keys().next();
      if (oldest.done) break;
      this.#seen.delete(oldest.value);
    }
  }
}
