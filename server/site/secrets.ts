// The site's signing secret (cookies, CSRF, commenter tokens) lives in the database, so every app server
// behind a load balancer signs and checks with the same key, and a fresh install needs no setting.
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/create-db.js';
import { storeSiteSettingOnce } from './queries.js';

export async function loadSiteSecret(db: Db): Promise<string> {
  const candidate = randomBytes(32).toString('base64url');
  return (await storeSiteSettingOnce(db, 'cookie_secret', JSON.stringify(candidate))) as string;
}
