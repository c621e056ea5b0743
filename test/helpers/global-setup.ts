// Once per test run: a PostgreSQL server (DATABASE_URL when set, otherwise one embedded server for the
// whole run) and a migrated template database. Each test file clones the template (CREATE DATABASE …
// TEMPLATE, ~50 ms), so files run in parallel without sharing rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDb } from '../../server/db/create-db.js';
import { startEmbeddedPostgres } from '../../server/db/embedded.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { adminQuery, databaseUrl, runId } from './database-url.js';
import { buildServer } from './server-process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dbServerUrl: string;
    dbTemplate: string;
    dbRunId: string;
  }
}

export default async function setup(project: TestProject) {
  buildServer(); // the process tests run the compiled server, as npm start does
  let serverUrl: string;
  let stopServer = async () => {};
  let dataDir: string | undefined;
  if (process.env.DATABASE_URL) {
    serverUrl = process.env.DATABASE_URL;
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'project-blogs-test-'));
    fs.chmodSync(dataDir, 0o755);
    const server = await startEmbeddedPostgres({ dataDir, fast: true });
    serverUrl = server.serverUrl;
    stopServer = server.stop;
  }
  const id = runId();
  const template = `pb_tpl_${id}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${template}`);
  const db = createDb(databaseUrl(serverUrl, template), { max: 2 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  project.provide('dbServerUrl', serverUrl);
  project.provide('dbTemplate', template);
  project.provide('dbRunId', id);

  return async () => {
    // Files drop their own databases; this catches what a crashed file left behind.
    const client = new pg.Client({ connectionString: serverUrl });
    client.on('error', () => {});
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`pb_%${id}%`]);
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
    } finally {
      await client.end();
    }
    await stopServer();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
}
