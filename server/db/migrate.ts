// Runs the migrations in migrations/ in order, each in its own transaction; throws on failure.
// Kysely's migrateToLatest would run the whole batch in one transaction; stepping with migrateUp gives
// one transaction per migration, so a failure keeps the ones before it and names the one that broke.
// The job queue's own schema (graphile_worker) is installed after ours, by its library.
import { Migrator } from 'kysely/migration';
import type { Kysely } from 'kysely';
import { migrations } from '../../migrations/index.js';
import type { Db } from './create-db.js';
import { installJobQueue } from './job-queue-schema.js';

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const applied = await migrateOwnSchema(db);
  await installJobQueue(db as Db);
  return applied;
}

async function migrateOwnSchema(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const applied: string[] = [];
  for (;;) {
    const { error, results = [] } = await migrator.migrateUp();
    const failed = results.find((r) => r.status === 'Error');
    if (error || failed) {
      const name = failed ? ` (${failed.migrationName})` : '';
      const message = error instanceof Error ? error.message : String(error ?? 'unknown error');
      throw new Error(`Migration failed${name}: ${message}`, { cause: error });
    }
    const done = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (done.length === 0) return applied;
    applied.push(...done);
  }
}
