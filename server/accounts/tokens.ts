// One-time set-password links. The link carries a random token; the database keeps only its SHA-256.
// A link is valid for 72 hours and works once; issuing a new link for a person voids their older ones.
import { randomBytes } from 'node:crypto';
import type { Db, Tx } from '../db/create-db.js';
import { hashToken } from '../auth/sessions.js';
import { absoluteUrl } from '../urls.js';
import { SET_PASSWORD_TOKEN_PATTERN } from '../forms.js';
import { deleteUnusedPasswordTokens, findPasswordTokenState, findValidPasswordTokenPerson, insertPasswordToken, markPasswordTokenUsed } from './queries.js';

export const PASSWORD_TOKEN_TTL_MS = 72 * 3_600_000;

export function setPasswordPath(token: string): string {
  return `/set-password/${token}`;
}

export function setPasswordUrl(publicUrl: string, token: string): string {
  return absoluteUrl(publicUrl, setPasswordPath(token));
}

/** Creates a link token for a person; returns the token (shown once, never stored). */
export async function issuePasswordToken(db: Db | Tx, personId: number, createdBy: number | null, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + PASSWORD_TOKEN_TTL_MS);
  await deleteUnusedPasswordTokens(db, personId);
  await insertPasswordToken(db, { tokenHash: hashToken(token), personId, createdBy, createdAt: now, expiresAt });
  return { token, expiresAt };
}

/** The person a valid (unused, unexpired) token belongs to. */
export async function findTokenPerson(db: Db, token: string, now: Date) {
  if (!SET_PASSWORD_TOKEN_PATTERN.test(token)) return undefined;
  return findValidPasswordTokenPerson(db, hashToken(token), now);
}

export type PasswordLinkState = 'used' | 'expired' | 'unknown';

/**
 * Why a token is not valid (findTokenPerson found nothing), so the page can say so: used, expired, or
 * unknown (mistyped, voided by a newer link, or its person disabled).
 */
export async function unusableTokenState(db: Db, token: string, now: Date): Promise<PasswordLinkState> {
  if (!SET_PASSWORD_TOKEN_PATTERN.test(token)) return 'unknown';
  const row = await findPasswordTokenState(db, hashToken(token));
  if (!row) return 'unknown';
  if (row.used_at) return 'used';
  return row.expires_at <= now ? 'expired' : 'unknown';
}

/** Marks the token used; returns the person id, or undefined when it was no longer valid (a race). */
export async function consumePasswordToken(tx: Tx, token: string, now: Date): Promise<number | undefined> {
  return markPasswordTokenUsed(tx, hashToken(token), now);
}
