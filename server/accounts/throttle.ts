// Login throttling, in the database so that every app server sees the same counts. Keyed by account
// and address together (a guesser at one address is slowed at once, without locking the account's
// owner out from their own address), plus a much looser bound per account (guessing spread over many
// addresses) and one per address (one address guessing at many accounts). A few failures are free; after that each failure blocks the key for twice as long as
// the last (30 s, 1 min, 2 min … capped at 15 min). Counts start again a day after the last failure.
// A blocked attempt is refused before the password is checked.
import type { Db } from '../db/create-db.js';
import { blockThrottleKey, countThrottleFailure, deleteThrottleKeys, listBlockedThrottleKeys } from './queries.js';

export interface ThrottleKey {
  key: string;
  /** Failures allowed before delays start. */
  free: number;
}

const FIRST_DELAY_MS = 30_000;
const MAX_DELAY_MS = 15 * 60_000;
const RESET_AFTER_MS = 24 * 3_600_000;

export function loginThrottleKeys(email: string, ip: string): ThrottleKey[] {
  const account = email.trim().toLowerCase();
  return [
    { key: `account-ip:${account}|${ip}`, free: 5 },
    // Many addresses guessing one account: enough room that nobody locks an owner out for long by
    // failing on purpose, still far too little for guessing a password.
    { key: `account:${account}`, free: 50 },
    // An office behind one address has many people: more room before delays.
    { key: `ip:${ip}`, free: 20 },
  ];
}

export function delayAfter(failures: number, free: number): number {
  if (failures <= free) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(failures - free - 1, 20));
}

/** The time until which any of the keys is blocked, or undefined when none is. */
export async function blockedUntil(db: Db, keys: ThrottleKey[], now: Date): Promise<Date | undefined> {
  const rows = await listBlockedThrottleKeys(db, keys.map((k) => k.key), now);
  let latest: Date | undefined;
  for (const r of rows) if (r.blocked_until && (!latest || r.blocked_until > latest)) latest = r.blocked_until;
  return latest;
}

export async function recordLoginFailure(db: Db, keys: ThrottleKey[], now: Date): Promise<void> {
  const resetBefore = new Date(now.getTime() - RESET_AFTER_MS);
  for (const { key, free } of keys) {
    const failures = await countThrottleFailure(db, key, now, resetBefore);
    const delay = delayAfter(failures, free);
    if (delay > 0) await blockThrottleKey(db, key, new Date(now.getTime() + delay));
  }
}

/** A successful sign-in clears the account's counts (not the address's: one good account must not
 * reset the count of an address that is guessing at others). */
export async function clearLoginFailures(db: Db, keys: ThrottleKey[]): Promise<void> {
  const accountKeys = keys.map((k) => k.key).filter((k) => !k.startsWith('ip:'));
  await deleteThrottleKeys(db, accountKeys);
}
