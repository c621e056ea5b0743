// Where the database comes from: DATABASE_URL when set, otherwise the embedded PostgreSQL in DATA_DIR.
import pg from 'pg';
import type { Config } from '../config.js';
import { startEmbeddedPostgres } from './embedded.js';

export const EMBEDDED_DATABASE = 'project_blogs';

export interface DatabaseLocation {
  url: string;
  readUrl: string;
  /** Stops the embedded server, if we started one. */
  stop(): Promise<void>;
  embedded: boolean;
}

export async function openDatabase(config: Config, log: (message: string) => void): Promise<DatabaseLocation> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, readUrl: config.databaseReadUrl ?? config.databaseUrl, stop: async () => {}, embedded: false };
  }
  const server = await startEmbeddedPostgres({ dataDir: config.dataDir, log });
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
