// Signed tokens in the links of emails: confirm a subscription (expires), manage an address's
// subscriptions, unsubscribe in one click (these two do not expire: an email read a year later must
// still let its reader leave). HMAC-SHA256 with the site secret (server/site/secrets.ts), so any server
// checks any token and nothing is stored per link. A token names one id and one purpose only.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/create-db.js';
import { loadSiteSecret } from '../site/secrets.js';

export type TokenPurpose = 'confirm' | 'manage' | 'unsubscribe' | 'unsubscribe-daily' | 'unsubscribe-weekly';

/** A confirmation link works this long after the form was sent. */
export const CONFIRM_LINK_HOURS = 72;

const secrets = new WeakMap<Db, Promise<string>>();

/** The site secret, read once per database handle. */
export function siteSecretOf(db: Db): Promise<string> {
  let secret = secrets.get(db);
  if (!secret) {
    secret = loadSiteSecret(db);
    secrets.set(db, secret);
    secret.catch(() => secrets.delete(db));
  }
  return secret;
}

function mac(secret: string, purpose: TokenPurpose, payload: string): string {
  return createHmac('sha256', secret).update(`email:${purpose}:${payload}`).digest('base64url').slice(0, 32);
}

export function signToken(secret: string, purpose: TokenPurpose, id: number, expiresAt?: Date): string {
  const payload = expiresAt ? `${id}.${Math.floor(expiresAt.getTime() / 1000)}` : `${id}`;
  return `${payload}.${mac(secret, purpose, payload)}`;
}

export type TokenCheck = { ok: true; id: number } | { ok: false; expired: boolean };

/** Reads a token of this purpose; anything malformed or forged is simply not ok. */
export function readToken(secret: string, purpose: TokenPurpose, token: unknown, now: Date): TokenCheck {
  if (typeof token !== 'string' || token.length > 120) return { ok: false, expired: false };
  const parts = token.split('.');
  const withExpiry = purpose === 'confirm';
  if (parts.length !== (withExpiry ? 3 : 2)) return { ok: false, expired: false };
  const given = parts.pop()!;
  const payload = parts.join('.');
  const expected = mac(secret, purpose, payload);
  // Compared as bytes: a token of the right length in characters may hold multi-byte characters
  // (a tampered link), which timingSafeEqual would refuse with a throw.
  const givenBytes = Buffer.from(given);
  const expectedBytes = Buffer.from(expected);
  if (givenBytes.length !== expectedBytes.length || !timingSafeEqual(givenBytes, expectedBytes)) return { ok: false, expired: false };
  if (!/^\d{1,15}$/.test(parts[0]!)) return { ok: false, expired: false };
  if (withExpiry && Number(parts[1]) * 1000 < now.getTime()) return { ok: false, expired: true };
  return { ok: true, id: Number(parts[0]) };
}
