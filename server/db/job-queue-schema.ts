// The job queue's tables (schema graphile_worker) belong to its library, which creates and upgrades
// them itself; migrateToLatest calls this after our own migrations so that every database that has our
// schema has the queue too (server/jobs).
import { Logger, runMigrations } from 'graphile-worker';
import { poolOf, type Db } from './create-db.js';

/** Creates or upgrades the graphile_worker schema (idempotent; safe when several servers start at once). */
export async function installJobQueue(db: Db): Promise<void> {
  await runMigrations({ pgPool: poolOf(db), logger: new Logger(() => () => {}) });
}
