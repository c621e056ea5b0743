// SQL for site_settings, the one table of site-wide values (one JSON value per key): the site's name and
// description ('site', settings.ts), its tag: identity ('identity', identity.ts), its signing secret
// ('cookie_secret', secrets.ts), and other domains' site-wide settings ('email': server/email/settings.ts).
import type { Db } from '../db/create-db.js';

export async function readSiteSettingValue(db: Db, key: string): Promise<unknown> {
  const row = await db.selectFrom('site_settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function saveSiteSettingValue(db: Db, key: string, settings: unknown, now: Date): Promise<void> {
  const value = JSON.stringify(settings);
  await db
    .insertInto('site_settings')
    .values({ key, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}

/**
 * Stores `value` (already JSON) under `key` unless a value is there, and returns the stored one: the
 * first server to store it wins, and every server then reads the same.
 */
export async function storeSiteSettingOnce(db: Db, key: string, value: string, now?: Date): Promise<unknown> {
  await db
    .insertInto('site_settings')
    .values(now === undefined ? { key, value } : { key, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.selectFrom('site_settings').select('value').where('key', '=', key).executeTakeFirstOrThrow();
  return row.value;
}
