// One schema for the environment → the Config type. The server refuses to start on a bad value
// rather than guessing: each message names the variable, what was given and what is expected.
import path from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  PORT: z.coerce
    .number({ message: 'must be a whole number from 0 to 65535' })
    .int('must be a whole number from 0 to 65535')
    .min(0, 'must be a whole number from 0 to 65535')
    .max(65535, 'must be a whole number from 0 to 65535')
    .default(3000),
  HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .trim()
    .refine((v) => v === '' || /^postgres(ql)?:\/\/[^\s]+$/.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_READ_URL: z
    .string()
    .trim()
    .refine((v) => v === '' || /^postgres(ql)?:\/\/[^\s]+$/.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().trim().min(1, 'must not be empty').default('./data'),
  PUBLIC_URL: z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash;
      } catch {
        return false;
      }
    }, 'must be an absolute http:// or https:// URL without query or fragment, e.g. https://blogs.example.gov')
    .optional(),
  SEED_DEMO: z.enum(['auto', 'never', 'always'], { message: 'must be one of auto, never, always' }).default('auto'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ message: 'must be a whole number of requests (0 turns the limit off)' })
    .int('must be a whole number of requests (0 turns the limit off)')
    .min(0, 'must be a whole number of requests (0 turns the limit off)')
    .default(600),
  REQUEST_TIMEOUT_MS: z.coerce
    .number({ message: 'must be a whole number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(100, 'must be at least 100 milliseconds')
    .default(30_000),
  HEADERS_TIMEOUT_MS: z.coerce
    .number({ message: 'must be a whole number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(100, 'must be at least 100 milliseconds')
    .default(10_000),
  DATABASE_READ_MAX_LAG_MS: z.coerce
    .number({ message: 'must be a whole number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(100, 'must be at least 100 milliseconds')
    .default(5_000),
  MAX_CONNECTIONS: z.coerce
    .number({ message: 'must be a whole number of connections' })
    .int('must be a whole number of connections')
    .min(1, 'must be at least 1')
    .default(1_000),
  TRUST_PROXY: z
    .enum(['1', 'true', '0', 'false'], { message: 'must be 1 (behind a proxy or load balancer that sets X-Forwarded-For) or 0' })
    .default('0'),
  WP_OLD_SITES: z
    .string()
    .default('')
    .refine((v) => v.split(',').map((r) => r.trim()).filter(Boolean).every((r) => /^(https?:\/\/)?[a-z0-9.-]+(:\d+)?(\/[^=,\s]*)?=[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/i.test(r)), {
      message: 'must be old-host[/path]=project-slug pairs separated by commas, e.g. blog.example.org=field-notes',
    }),
  IMPORT_UPLOAD_MAX_MB: z.coerce
    .number({ message: 'must be a whole number of megabytes' })
    .int('must be a whole number of megabytes')
    .min(1, 'must be at least 1')
    .max(10_000, 'must be at most 10000')
    .default(500),
  ALLOW_PRIVATE_FETCH: z
    .enum(['1', 'true', '0', 'false'], { message: 'must be 1 (let outbound requests reach private and loopback addresses: tests, closed networks) or 0' })
    .default('0'),
  WEBSUB_HUB_URL: z
    .string()
    .trim()
    .refine((v) => v === '' || /^https?:\/\/[^\s]+$/.test(v), { message: 'must be the full http(s) address of a WebSub hub, or empty for the built-in hub at /websub' })
    .default(''),
  WEBMENTIONS_PER_HOUR: z.coerce
    .number({ message: 'must be a whole number from 1 to 10000 (webmentions accepted per source site and per sender each hour)' })
    .int('must be a whole number from 1 to 10000')
    .min(1, 'must be a whole number from 1 to 10000')
    .max(10000, 'must be a whole number from 1 to 10000')
    .default(30),
  JOB_CONCURRENCY: z.coerce
    .number({ message: 'must be a whole number of jobs from 1 to 50' })
    .int('must be a whole number of jobs from 1 to 50')
    .min(1, 'must be a whole number of jobs from 1 to 50')
    .max(50, 'must be a whole number of jobs from 1 to 50')
    .default(4),
  SMTP_URL: z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'smtp:' || u.protocol === 'smtps:') && u.hostname !== '';
      } catch {
        return false;
      }
    }, 'must be an smtp:// or smtps:// URL, e.g. smtp://user:password@mail.example.gov:587 (leave unset to keep emails in the outbox at /admin/outbox)')
    .optional(),
  MAIL_FROM: z
    .string()
    .trim()
    .refine((v) => isPlainAddress(v), 'must be one plain email address, e.g. updates@blogs.example.gov (the project’s name is added as the display name)')
    .optional(),
  LISTEN_MAX_CONCURRENT_FETCHES: z.coerce
    .number({ message: 'must be a whole number of fetches from 1 to 100' })
    .int('must be a whole number of fetches from 1 to 100')
    .min(1, 'must be a whole number of fetches from 1 to 100')
    .max(100, 'must be a whole number of fetches from 1 to 100')
    .default(4),
  LISTEN_POLL_MINUTES: z.coerce
    .number({ message: 'must be a whole number of minutes from 5 to 1440' })
    .int('must be a whole number of minutes from 5 to 1440')
    .min(5, 'must be a whole number of minutes from 5 to 1440')
    .max(1440, 'must be a whole number of minutes from 5 to 1440')
    .default(30),
  FEED_MAX_AGE: z.coerce
    .number({ message: 'must be a whole number of seconds' })
    .int('must be a whole number of seconds')
    .min(0, 'must be a whole number of seconds')
    .default(300),
});

export interface Config {
  port: number;
  host: string;
  /** Unset: the app starts an embedded PostgreSQL with its data in dataDir. */
  databaseUrl: string | undefined;
  /** Optional replica for the public read path; defaults to databaseUrl. */
  databaseReadUrl: string | undefined;
  /** Replica replay lag beyond which public reads go to the primary. */
  databaseReadMaxLagMs: number;
  dataDir: string;
  /** DATA_DIR was set by the operator (not the default ./data). */
  dataDirExplicit: boolean;
  /** Absolute base URL without a trailing slash, e.g. https://blogs.example.gov */
  publicUrl: string;
  seedDemo: 'auto' | 'never' | 'always';
  logLevel: (typeof LOG_LEVELS)[number];
  /** Cache-Control max-age for feeds and public pages, in seconds. */
  feedMaxAge: number;
  /** Requests one address may make per minute (static files aside); 0 = no limit. */
  rateLimitPerMinute: number;
  /** A request (headers and body) must arrive within this time, or the connection is closed. */
  requestTimeoutMs: number;
  /** Its headers must arrive within this time (never more than requestTimeoutMs): slowloris. */
  headersTimeoutMs: number;
  /** Open connections this server accepts at once; more are closed as they arrive. */
  maxConnections: number;
  /** Behind a proxy: the client's address is the left-most X-Forwarded-For. */
  trustProxy: boolean;
  /** Outbound requests (server/outbound) may reach private, loopback and link-local addresses. */
  allowPrivateFetch: boolean;
  /** Old WordPress hosts answered here with 301s to the project they were imported into (server/import/redirects.ts). */
  wpOldSites: string;
  /** The most one WordPress import upload (all its files) may hold, in bytes. */
  importUploadMaxBytes: number;
  /** Background jobs this server runs at once (server/jobs). */
  jobConcurrency: number;
  /** Where email is sent (nodemailer URL); unset: nothing leaves the machine, emails go to the outbox. */
  smtpUrl: string | undefined;
  /** The sender's address of every email (the project's name is its display name). */
  mailFrom: string;
  /** An external WebSub hub to declare and ping instead of the built-in one at /websub (WEBSUB_HUB_URL). */
  websubHubUrl: string | undefined;
  /** Webmentions accepted per source host, and per sending address, each hour (WEBMENTIONS_PER_HOUR). */
  webmentionsPerHour: number;
  /** Watched feeds this server fetches at once, whatever the number of sources (server/listening). */
  listenMaxConcurrentFetches: number;
  /** Minutes between two polls of a watched feed that answers well (longer after errors, 429, 503). */
  listenPollMinutes: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, so `PORT= npm start` means the default.
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((k) => (env[k] !== undefined && env[k] !== '' ? [[k, env[k]]] : [])),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${name}=${JSON.stringify(present[name])}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const displayHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL || undefined,
    databaseReadUrl: e.DATABASE_READ_URL || undefined,
    databaseReadMaxLagMs: e.DATABASE_READ_MAX_LAG_MS,
    dataDir: path.resolve(e.DATA_DIR),
    dataDirExplicit: present.DATA_DIR !== undefined,
    publicUrl: (e.PUBLIC_URL ?? `http://${displayHost}:${e.PORT}`).replace(/\/+$/, ''),
    seedDemo: e.SEED_DEMO,
    logLevel: e.LOG_LEVEL,
    feedMaxAge: e.FEED_MAX_AGE,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    headersTimeoutMs: Math.min(e.HEADERS_TIMEOUT_MS, e.REQUEST_TIMEOUT_MS),
    maxConnections: e.MAX_CONNECTIONS,
    trustProxy: e.TRUST_PROXY === '1' || e.TRUST_PROXY === 'true',
    allowPrivateFetch: e.ALLOW_PRIVATE_FETCH === '1' || e.ALLOW_PRIVATE_FETCH === 'true',
    wpOldSites: e.WP_OLD_SITES,
    importUploadMaxBytes: e.IMPORT_UPLOAD_MAX_MB * 1024 * 1024,
    jobConcurrency: e.JOB_CONCURRENCY,
    smtpUrl: e.SMTP_URL || undefined,
    mailFrom: e.MAIL_FROM ?? `no-reply@${mailDomain(e.PUBLIC_URL ?? `http://${displayHost}`)}`,
    websubHubUrl: e.WEBSUB_HUB_URL || undefined,
    webmentionsPerHour: e.WEBMENTIONS_PER_HOUR,
    listenMaxConcurrentFetches: e.LISTEN_MAX_CONCURRENT_FETCHES,
    listenPollMinutes: e.LISTEN_POLL_MINUTES,
  };
}

/** One plain address (no display name, no list, no line break): what may go in a From or To header. */
export function isPlainAddress(value: string): boolean {
  return value.length <= 254 && /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(value);
}

// The default sender's domain: the public URL's host ("localhost" and addresses become localhost.localdomain-like
// names that mail servers refuse; operators sending for real set MAIL_FROM).
function mailDomain(publicUrl: string): string {
  try {
    const host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '');
    return /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(host) ? host : 'localhost.localdomain';
  } catch {
    return 'localhost.localdomain';
  }
}
