// The site-wide email settings a site admin chooses: the hour digests go out, in which time zone, and
// the weekday of the weekly digest. One row of site_settings (key 'email', read and written through
// server/site/settings.ts); a missing or bad value means the default (08:00 Europe/London, Monday).
// Also the calendar arithmetic of digests in that time zone (Intl only: no time-zone library, and
// nothing here depends on the machine's own zone).
import type { Db } from '../db/create-db.js';
import { readSiteSettingValue, saveSiteSettingValue } from '../site/settings.js';

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
  const stored = await readSiteSettingValue(db, KEY);
  const v = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  const hour = typeof v.digestHour === 'number' && Number.isInteger(v.digestHour) && v.digestHour >= 0 && v.digestHour <= 23 ? v.digestHour : DEFAULT_EMAIL_SETTINGS.digestHour;
  const day = typeof v.weeklyDay === 'number' && Number.isInteger(v.weeklyDay) && v.weeklyDay >= 0 && v.weeklyDay <= 6 ? v.weeklyDay : DEFAULT_EMAIL_SETTINGS.weeklyDay;
  const zone = typeof v.timeZone === 'string' && isTimeZone(v.timeZone) ? v.timeZone : DEFAULT_EMAIL_SETTINGS.timeZone;
  return { digestHour: hour, timeZone: zone, weeklyDay: day };
}

export async function saveEmailSettings(db: Db, settings: EmailSettings, now: Date): Promise<void> {
  await saveSiteSettingValue(db, KEY, settings, now);
}

/** A calendar date (no zone): month 1–12. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time of an instant in a zone, as if it were UTC (ms), whole seconds. */
function wallMs(at: Date, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The zone's offset from UTC at an instant (ms; +1 h for London in summer). */
function offsetMs(at: Date, timeZone: string): number {
  return wallMs(at, timeZone) - Math.floor(at.getTime() / 1000) * 1000;
}

/** The calendar date of an instant in a zone. */
export function localDate(at: Date, timeZone: string): LocalDate {
  const wall = new Date(wallMs(at, timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/** The date `days` calendar days after (or before) this one. */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

/**
 * The instant at which a zone's clocks show `hour`:00 on this date. A time shown twice (clocks going
 * back) is its first showing; a time never shown (clocks going forward over it) is the moment of the
 * change, when the clocks jump past it.
 */
export function zonedInstant(date: LocalDate, hour: number, timeZone: string): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour);
  const before = offsetMs(new Date(wall - 86_400_000), timeZone);
  const after = offsetMs(new Date(wall + 86_400_000), timeZone);
  const shown = [...new Set([before, after, offsetMs(new Date(wall), timeZone)])]
    .map((offset) => wall - offset)
    .filter((t) => wallMs(new Date(t), timeZone) === wall)
    .sort((a, b) => a - b);
  return new Date(shown[0] ?? wall - before);
}
