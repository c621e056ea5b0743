// Migrations and demo seeding as `npm start` runs them, on the database under test.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../../server/auth/passwords.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { demoEmails } from '../../server/demo/seed.js';
import { prepareDatabase } from '../../server/startup.js';
import { createTestDatabase } from '../helpers/test-app.js';

describe('start-up', () => {
  it('migrates an empty database, and a second run applies nothing', async () => {
    const t = await createTestDatabase();
    try {
      await sql`DROP SCHEMA public CASCADE; CREATE SCHEMA public`.execute(t.db);
      const first = await migrateToLatest(t.db);
      expect(first).toContain('0001-initial');
      expect(await migrateToLatest(t.db)).toEqual([]);
      const tables = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('posts','comments','people','sessions')`.execute(t.db);
      expect(tables.rows[0]?.n).toBe(4);
    } finally {
      await t.drop();
    }
  });

  it('seeds the demo once: a restart does not seed twice', async () => {
    const t = await createTestDatabase();
    try {
      const config = { seedDemo: 'auto' as const, publicUrl: 'http://blogs.test' };
      expect((await prepareDatabase(t.db, config)).seeded).toBe(true);
      const count = async () => (await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
      const posts = await count();
      expect(posts).toBeGreaterThan(10);
      expect((await prepareDatabase(t.db, config)).seeded).toBe(false);
      expect(await count()).toBe(posts);
    } finally {
      await t.drop();
    }
  });

  it('gives the demo a password of its own per install, never the published one, each account hashed on its own', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      const config = { seedDemo: 'auto' as const, publicUrl: 'http://blogs.test' };
      const first = await prepareDatabase(a.db, config);
      const second = await prepareDatabase(b.db, config);
      expect(first.demoPassword).toBeTruthy();
      expect(first.demoPassword!.length).toBeGreaterThanOrEqual(16);
      expect(first.demoPassword).not.toBe(second.demoPassword);
      expect(first.demoPassword).not.toBe(DEMO_PASSWORD);
      const rows = await a.db.selectFrom('people').select(['email', 'password_hash']).where('email', 'in', demoEmails()).execute();
      expect(rows).toHaveLength(demoEmails().length);
      expect(new Set(rows.map((r) => r.password_hash)).size).toBe(rows.length);
      expect(await verifyPassword(rows[0]!.password_hash!, first.demoPassword!)).toBe(true);
      expect(await verifyPassword(rows[0]!.password_hash!, DEMO_PASSWORD)).toBe(false);
      // Nothing secret is kept in plain text: the password is in no row.
      const dump = JSON.stringify(await a.db.selectFrom('site_settings').selectAll().execute());
      expect(dump).not.toContain(first.demoPassword);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  it('SEED_DEMO=never leaves an empty database empty; always refuses a non-empty one', async () => {
    const t = await createTestDatabase();
    try {
      expect((await prepareDatabase(t.db, { seedDemo: 'never', publicUrl: 'http://blogs.test' })).seeded).toBe(false);
      expect(await t.db.selectFrom('projects').select('id').executeTakeFirst()).toBeUndefined();
      expect((await prepareDatabase(t.db, { seedDemo: 'always', publicUrl: 'http://blogs.test' })).seeded).toBe(true);
      await expect(prepareDatabase(t.db, { seedDemo: 'always', publicUrl: 'http://blogs.test' })).rejects.toThrow(/refuses/);
    } finally {
      await t.drop();
    }
  });

  it('the database stores text as UTF-8', async () => {
    const t = await createTestDatabase();
    try {
      const enc = await sql<{ e: string }>`SELECT current_setting('server_encoding') AS e`.execute(t.db);
      expect(enc.rows[0]?.e).toBe('UTF8');
    } finally {
      await t.drop();
    }
  });
});
