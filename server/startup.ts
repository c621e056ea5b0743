// What happens to the database before the app serves: migrate, re-render stale HTML, seed the demo as
// SEED_DEMO says. Shared by `npm start`, the admin CLI and the tests.
import type { Config } from './config.js';
import type { Db } from './db/create-db.js';
import { migrateToLatest } from './db/migrate.js';
import { generateDemoPassword, hasAnyProject, seedDemo } from './demo/seed.js';
import { rerenderStale } from './markdown/rerender.js';

export interface Prepared {
  applied: string[];
  rerendered: number;
  seeded: boolean;
  /** When the demo was seeded: its accounts' password, new for this install (kept nowhere in plain text). */
  demoPassword?: string;
}

export async function prepareDatabase(
  db: Db,
  config: Pick<Config, 'seedDemo' | 'publicUrl'>,
  now = new Date(),
  demoPassword = generateDemoPassword(),
): Promise<Prepared> {
  const applied = await migrateToLatest(db);
  const rerendered = await rerenderStale(db);
  const nonEmpty = await hasAnyProject(db);
  if (config.seedDemo === 'always' && nonEmpty) {
    throw new Error('SEED_DEMO=always refuses to seed a database that already has projects. Use SEED_DEMO=auto, or an empty database.');
  }
  const seeded = config.seedDemo === 'always' || (config.seedDemo === 'auto' && !nonEmpty);
  if (!seeded) return { applied, rerendered, seeded };
  await seedDemo(db, { now, publicUrl: config.publicUrl, password: demoPassword });
  return { applied, rerendered, seeded, demoPassword };
}
