// The site's own settings that a site admin edits: its name, a one-line description and the
// organisation behind it, used in page titles and headers, feeds and OPML. Stored as one row of
// site_settings (key 'site'); each app server keeps them in memory (a cached page must not cost a
// query) and reads them again when told that site settings changed: at once after its own save, and
// on PostgreSQL's NOTIFY 'all' (migration 0005's trigger on site_settings) for a save on another server.
import { createHash } from 'node:crypto';
import type { Db } from '../db/create-db.js';
import { readSiteSettingValue, saveSiteSettingValue } from './queries.js';

export interface SiteSettings {
  name: string;
  description: string;
  organisation: string;
}

export const DEFAULT_SITE_SETTINGS: SiteSettings = {
  name: 'Project blogs',
  description: 'Project teams publishing their work in the open.',
  organisation: '',
};

export const SITE_SETTINGS_LIMITS = { name: 80, description: 200, organisation: 120 } as const;

const KEY = 'site';

function fromStored(value: unknown): SiteSettings {
  const v = (value && typeof value === 'object' ? value : {}) as Partial<Record<keyof SiteSettings, unknown>>;
  const pick = (k: keyof SiteSettings) => (typeof v[k] === 'string' ? (v[k] as string) : DEFAULT_SITE_SETTINGS[k]);
  return { name: pick('name') || DEFAULT_SITE_SETTINGS.name, description: pick('description'), organisation: pick('organisation') };
}

// The rows themselves are read and written by queries.ts; the 'email' settings (server/email/settings.ts)
// import these two from here.
export { readSiteSettingValue, saveSiteSettingValue };

export async function readSiteSettings(db: Db): Promise<SiteSettings> {
  return fromStored(await readSiteSettingValue(db, KEY));
}

export async function saveSiteSettings(db: Db, settings: SiteSettings, now: Date): Promise<void> {
  await saveSiteSettingValue(db, KEY, settings, now);
}

/** Field errors of a submitted form (keys: name, description, organisation). */
export function siteSettingsProblems(s: SiteSettings): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!s.name) errors.name = 'Enter the site’s name.';
  for (const k of Object.keys(SITE_SETTINGS_LIMITS) as (keyof SiteSettings)[]) {
    if (s[k].length > SITE_SETTINGS_LIMITS[k]) errors[k] ??= `Use at most ${SITE_SETTINGS_LIMITS[k]} characters.`;
    if (/[\u0000-\u001f\u007f]/.test(s[k])) errors[k] ??= 'Use one line of plain text.';
  }
  return errors;
}

/** The settings this server holds in memory, with a version that changes with them (for feed ETags). */
export class SiteSettingsHolder {
  current: SiteSettings;
  version: string;

  constructor(
    private readonly db: Db,
    initial: SiteSettings,
  ) {
    this.current = initial;
    this.version = versionOf(initial);
  }

  static async load(db: Db): Promise<SiteSettingsHolder> {
    return new SiteSettingsHolder(db, await readSiteSettings(db));
  }

  /** Reads them again; true when they changed. */
  async refresh(): Promise<boolean> {
    const next = await readSiteSettings(this.db);
    const version = versionOf(next);
    if (version === this.version) return false;
    this.current = next;
    this.version = version;
    return true;
  }
}

function versionOf(s: SiteSettings): string {
  return createHash('sha256').update(JSON.stringify([s.name, s.description, s.organisation])).digest('base64url').slice(0, 12);
}
