// Where the database comes from: DATABASE_URL when set, otherwise the embedded PostgreSQL in DATA_DIR.
import pg from 'pg';
import type { Config } from '../config.js';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { postgresUserCanReach, runningEmbeddedPostgres, startEmbeddedPostgres } from './embedded.js';

const FALLBACK_ROOT = '/var/lib/project-blogs';

export const EMBEDDED_DATABASE = 'project_blogs';

export interface DatabaseLocation {
  url: string;
  readUrl: string;
  /** Stops the embedded server, if we started one. */
  stop(): Promise<void>;
  embedded: boolean;
}

export interface OpenOptions {
  /** When another app runs the embedded server on this data dir, use that server (the admin CLI). */
  shareRunning?: boolean;
}

export async function openDatabase(config: Config, log: (message: string) => void, options: OpenOptions = {}): Promise<DatabaseLocation> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, readUrl: config.databaseReadUrl ?? config.databaseUrl, stop: async () => {}, embedded: false };
  }
  let dataDir = config.dataDir;
  if (!config.dataDirExplicit && !postgresUserCanReach(dataDir)) {
    // Running as root from a folder closed to others (a checkout under /root): postgres, which runs as
    // the OS user "postgres", cannot enter ./data. Keep the cluster where it can, and say so.
    const key = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
    dataDir = path.join(FALLBACK_ROOT, key);
    log(`the OS user "postgres" cannot reach ${config.dataDir} (a parent folder is closed to others); keeping the database in ${dataDir} instead. Set DATA_DIR to choose another place.`);
  }
  const running = options.shareRunning ? runningEmbeddedPostgres(dataDir) : undefined;
  if (running) {
    log(`using the embedded PostgreSQL of the app running on this data dir (pid ${running.appPid}, port ${running.port})`);
    const url = running.urlFor(EMBEDDED_DATABASE);
    return { url, readUrl: url, stop: async () => {}, embedded: true };
  }
  const server = await startEmbeddedPostgres({ dataDir, log });
  try {
    await ensureDatabase(server.serverUrl, EMBEDDED_DATABASE);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const url = server.urlFor(EMBEDDED_DATABASE);
  return { url, readUrl: url, stop: () => server.stop(), embedded: true };
}

export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
