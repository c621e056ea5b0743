// Signed tokens in the links of emails: confirm a subscription (expires), manage an address's
// subscriptions, unsubscribe in one click (these two do not expire: an email read a year later must
// still let its reader leave). HMAC-SHA256 with the site secret (server/site/secrets.ts), so any server
// checks any token and nothing is stored per link. A token names one id (or, for the listening desk's
// daily email, one pair of ids: person and project) and one purpose only.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/create-db.js';
import { loadSiteSecret } from '../site/secrets.js';

export type TokenPurpose = 'confirm' | 'manage' | 'unsubscribe' | 'unsubscribe-daily' | 'unsubscribe-weekly' | 'listening-daily-off';

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

/**
 * A token naming two ids (a person and a project: the listening desk's daily email, turned off in one
 * click). Same MAC and rules as signToken, never expires; "7-12.<mac>".
 */
export function signPairToken(secret: string, purpose: TokenPurpose, first: number, second: number): string {
  const payload = `${first}-${second}`;
  return `${payload}.${mac(secret, purpose, payload)}`;
}

export type PairTokenCheck = { ok: true; ids: [number, number] } | { ok: false };

/** Reads a pair token of this purpose; anything malformed or forged is simply not ok. */
export function readPairToken(secret: string, purpose: TokenPurpose, token: unknown): PairTokenCheck {
  if (typeof token !== 'string' || token.length > 120) return { ok: false };
  const match = /^(\d{1,15})-(\d{1,15})\.([A-Za-z0-9_-]{32})$/.exec(token);
  if (!match) return { ok: false };
  const given = Buffer.from(match[3]!);
  const expected = Buffer.from(mac(secret, purpose, `${match[1]}-${match[2]}`));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false };
  return { ok: true, ids: [Number(match[1]), Number(match[2])] };
}
