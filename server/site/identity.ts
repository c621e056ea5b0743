// The site's identity for feed ids: a tag: URI authority (RFC 4151) and the date it was taken, minted
// once at first start and stored in the database, so that every app server, every PUBLIC_URL the site is
// ever served under and every restart name feeds and entries the same way.
//
// The authority is PUBLIC_URL's host name when, at first start, that is a real domain name; otherwise
// (PUBLIC_URL unset, so 127.0.0.1, or localhost, an IP address, a single label) a random name under
// .invalid (RFC 2606), so that two default installs never mint the same ids. Entry ids already stored
// (posts.atom_id) are never changed; only new ones are minted from this.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Db } from '../db/create-db.js';
import { storeSiteSettingOnce } from './queries.js';

export interface SiteIdentity {
  /** A DNS name: the tagging entity's authority in every tag: URI this site mints. */
  authority: string;
  /** YYYY-MM-DD (UTC): when the authority was taken. */
  since: string;
  /** When the identity was minted: the site's beginning, e.g. for the date of a feed that has always been empty. */
  createdAt: Date;
}

const KEY = 'site_identity';

/** PUBLIC_URL's host when it names this site and no other; undefined for addresses every default install shares. */
export function uniqueHostOf(publicUrl: string): string | undefined {
  const host = new URL(publicUrl).hostname.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('[') || isIP(host) !== 0) return undefined;
  if (!host.includes('.') || host === 'localhost' || host.endsWith('.localhost')) return undefined;
  return host;
}

export function mintSiteIdentity(publicUrl: string, now: Date): SiteIdentity {
  return {
    authority: uniqueHostOf(publicUrl) ?? `${randomUUID()}.invalid`,
    since: now.toISOString().slice(0, 10),
    createdAt: new Date(Math.floor(now.getTime() / 1000) * 1000),
  };
}

/** The stored identity; minted and stored first if there is none (the first server to store it wins). */
export async function loadSiteIdentity(db: Db, publicUrl: string, now: Date): Promise<SiteIdentity> {
  const candidate = mintSiteIdentity(publicUrl, now);
  const value = JSON.stringify({ authority: candidate.authority, since: candidate.since, createdAt: candidate.createdAt.toISOString() });
  const stored = (await storeSiteSettingOnce(db, KEY, value, candidate.createdAt)) as { authority: string; since: string; createdAt: string };
  return { authority: stored.authority, since: stored.since, createdAt: new Date(stored.createdAt) };
}

/** A tag: URI under the site's authority: tag:<authority>,<date>:<specific>. */
export function siteTag(identity: Pick<SiteIdentity, 'authority' | 'since'>, specific: string): string {
  return `tag:${identity.authority},${identity.since}:${specific}`;
}
