// import:wxr as operators run it: a child process against a test database. A dry run prints the report
// and writes nothing; the real run prints progress and the report; a missing project is refused (exit 1).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const DEMO = 'test/import/fixtures/demo-export.xml';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.insertInto('projects').values({ slug: 'field', title: 'Field notes', settings: '{}' }).execute();
});
afterAll(async () => {
  await database.drop();
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['server/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: database.url, PUBLIC_URL: 'https://blogs.example.gov', LOG_LEVEL: 'silent' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run admin -- import:wxr', { timeout: 120_000 }, () => {
  it('refuses a project that does not exist and a missing --file', async () => {
    const missing = await cli(['import:wxr', '--project', 'nope', '--file', DEMO]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('there is no project “nope”');
    const noFile = await cli(['import:wxr', '--project', 'field']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('--file is required');
  });

  it('a dry run prints the report and writes nothing; the real run imports and prints progress', async () => {
    const dry = await cli(['import:wxr', '--project', 'field', '--file', DEMO, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Dry run (nothing was written): import from old.example.org/blog');
    expect(dry.stdout).toContain('posts: 6 new');
    expect(await database.db.selectFrom('posts').select('id').execute()).toEqual([]);
    expect(await database.db.selectFrom('imports').select('id').execute()).toEqual([]);

    const real = await cli(['import:wxr', '--project', 'field', '--file', DEMO]);
    expect(real.code).toBe(0);
    expect(real.stderr).toMatch(/Imported 9 of 9 items/);
    expect(real.stdout).toContain('posts: 6 new');
    expect(real.stdout).toContain('Ada Lovelace (ada) added without a password');
    expect(real.stdout).toContain('https://blogs.example.gov/admin/projects/field/import/1');
    expect((await database.db.selectFrom('posts').select('id').execute()).length).toBe(6);

    const again = await cli(['import:wxr', '--project', 'field', '--file', DEMO]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('posts: 0 new, 0 updated, 6 unchanged');
    expect((await database.db.selectFrom('posts').select('id').execute()).length).toBe(6);
  });

  it('a malformed file exits 1 with the line and column', async () => {
    const r = await cli(['import:wxr', '--project', 'field', '--file', 'package.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/package\.json (is not well-formed XML at line \d+, column \d+|is not a WordPress export|is a JSON file, not a WordPress export)/);
  });

  it('reads a gzip-compressed export, and refuses a file that is not an export before importing anything', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pb-cli-import-'));
    try {
      const gz = path.join(dir, 'export.xml.gz');
      fs.writeFileSync(gz, gzipSync(fs.readFileSync(path.join(ROOT, DEMO))));
      const dry = await cli(['import:wxr', '--project', 'field', '--file', gz, '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('posts: ');
      const feed = path.join(dir, 'feed.xml');
      fs.writeFileSync(feed, '<?xml version="1.0"?><rss version="2.0"><channel><title>A blog</title></channel></rss>');
      const imports = (await database.db.selectFrom('imports').select('id').execute()).length;
      const refused = await cli(['import:wxr', '--project', 'field', '--file', feed]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('feed.xml is an RSS feed, not a WordPress export');
      expect(refused.stderr).toContain('Nothing was imported.');
      expect((await database.db.selectFrom('imports').select('id').execute()).length).toBe(imports);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
