// One-time set-password links. The link carries a random token; the database keeps only its SHA-256.
// A link is valid for 72 hours and works once; issuing a new link for a person voids their older ones.
import { randomBytes } from 'node:crypto';
import type { Db, Tx } from '../db/create-db.js';
import { hashToken } from '../auth/sessions.js';
import { absoluteUrl } from '../urls.js';
import { SET_PASSWORD_TOKEN_PATTERN } from '../forms.js';

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
  await db.deleteFrom('password_tokens').where('person_id', '=', personId).where('used_at', 'is', null).execute();
  await db
    .insertInto('password_tokens')
    .values({ token_hash: hashToken(token), person_id: personId, created_by: createdBy, created_at: now, expires_at: expiresAt })
    .execute();
  return { token, expiresAt };
}

/** The person a valid (unused, unexpired) token belongs to. */
export async function findTokenPerson(db: Db, token: string, now: Date) {
  if (!SET_PASSWORD_TOKEN_PATTERN.test(token)) return undefined;
  return db
    .selectFrom('password_tokens')
    .innerJoin('people', 'people.id', 'password_tokens.person_id')
    .select(['people.id', 'people.email', 'people.display_name'])
    .where('password_tokens.token_hash', '=', hashToken(token))
    .where('password_tokens.used_at', 'is', null)
    .where('password_tokens.expires_at', '>', now)
    .where('people.disabled_at', 'is', null)
    .executeTakeFirst();
}

export type PasswordLinkState = 'used' | 'expired' | 'unknown';

/**
 * Why a token is not valid (findTokenPerson found nothing), so the page can say so: used, expired, or
 * unknown (mistyped, voided by a newer link, or its person disabled).
 */
export async function unusableTokenState(db: Db, token: string, now: Date): Promise<PasswordLinkState> {
  if (!SET_PASSWORD_TOKEN_PATTERN.test(token)) return 'unknown';
  const row = await db
    .selectFrom('password_tokens')
    .innerJoin('people', 'people.id', 'password_tokens.person_id')
    .select(['password_tokens.used_at', 'password_tokens.expires_at'])
    .where('password_tokens.token_hash', '=', hashToken(token))
    .where('people.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) return 'unknown';
  if (row.used_at) return 'used';
  return row.expires_at <= now ? 'expired' : 'unknown';
}

/** Marks the token used; returns the person id, or undefined when it was no longer valid (a race). */
export async function consumePasswordToken(tx: Tx, token: string, now: Date): Promise<number | undefined> {
  const row = await tx
    .updateTable('password_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', hashToken(token))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('person_id')
    .executeTakeFirst();
  return row?.person_id;
}
