// The site-wide email settings a site admin chooses: the hour digests go out, in which time zone, and
// the weekday of the weekly digest. One row of site_settings (key 'email'); a missing or bad value means
// the default (08:00 Europe/London, Monday).
import type { Db } from '../db/create-db.js';

export interface EmailSettings {
  /** 0–23, local to timeZone. */
  digestHour: number;
  timeZone: string;
  /** 0 = Sunday … 6 = Saturday. */
  weeklyDay: number;
}

export const DEFAULT_EMAIL_SETTINGS: EmailSettings = { digestHour: 8, timeZone: 'Europe/London', weeklyDay: 1 };

const KEY = 'email';

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export async function readEmailSettings(db: Db): Promise<EmailSettings> {
  const row = await db.selectFrom('site_settings').select('value').where('key', '=', KEY).executeTakeFirst();
  const v = (row?.value && typeof row.value === 'object' ? row.value : {}) as Record<string, unknown>;
  const hour = typeof v.digestHour === 'number' && Number.isInteger(v.digestHour) && v.digestHour >= 0 && v.digestHour <= 23 ? v.digestHour : DEFAULT_EMAIL_SETTINGS.digestHour;
  const day = typeof v.weeklyDay === 'number' && Number.isInteger(v.weeklyDay) && v.weeklyDay >= 0 && v.weeklyDay <= 6 ? v.weeklyDay : DEFAULT_EMAIL_SETTINGS.weeklyDay;
  const zone = typeof v.timeZone === 'string' && isTimeZone(v.timeZone) ? v.timeZone : DEFAULT_EMAIL_SETTINGS.timeZone;
  return { digestHour: hour, timeZone: zone, weeklyDay: day };
}

export async function saveEmailSettings(db: Db, settings: EmailSettings, now: Date): Promise<void> {
  const value = JSON.stringify(settings);
  await db
    .insertInto('site_settings')
    .values({ key: KEY, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The hour (0–23) and weekday (0 = Sunday) of an instant in a time zone. */
export function localHourAndDay(at: Date, timeZone: string): { hour: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23', weekday: 'short' }).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
  const weekday = WEEKDAYS.indexOf(parts.find((p) => p.type === 'weekday')?.value ?? 'Sun');
  return { hour, weekday };
}
