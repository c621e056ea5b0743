// The site's signing secret (cookies, CSRF, commenter tokens) lives in the database, so every app server
// behind a load balancer signs and checks with the same key, and a fresh install needs no setting.
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/create-db.js';

export async function loadSiteSecret(db: Db): Promise<string> {
  const candidate = randomBytes(32).toString('base64url');
  await db
    .insertInto('site_settings')
    .values({ key: 'cookie_secret', value: JSON.stringify(candidate) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.selectFrom('site_settings').select('value').where('key', '=', 'cookie_secret').executeTakeFirstOrThrow();
  return row.value as string;
}
