// The admin CLI as operators run it: a child process against a test database, checked by exit code
// and by what it prints.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../server/auth/passwords.js';
import { freePort, postgresPidsFor, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

function cli(args: string[], stdin = '', env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['server/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: database.url, PUBLIC_URL: 'https://blogs.example.gov', LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

// Each run starts tsx (a few seconds on a busy machine): a generous timeout, no timing assertions.
describe('admin CLI', { timeout: 120_000 }, () => {
  it('--help lists the commands and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['user:add', 'project:add', 'user:link', 'migrate']) expect(r.stdout).toContain(c);
  });

  it('no command, an unknown command or an unknown option is bad usage (exit 2)', async () => {
    expect((await cli([])).code).toBe(2);
    const unknown = await cli(['user:remove']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command “user:remove”');
    const badOption = await cli(['user:add', '--email', 'a@example.gov', '--name', 'A', '--colour', 'red']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/Unknown option '--colour'/);
    const missing = await cli(['project:add', '--slug', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--title is required.');
  });

  it('migrate says the database is up to date', async () => {
    const r = await cli(['migrate']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('up to date');
  });

  it('user:add prints a one-time link under PUBLIC_URL and creates the person without a password', async () => {
    const r = await cli(['user:add', '--email', 'Nadia.Kaur@example.gov', '--name', 'Nadia Kaur', '--site-admin']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/https:\/\/blogs\.example\.gov\/set-password\/[A-Za-z0-9_-]{43}\n/);
    const person = await database.db.selectFrom('people').selectAll().where('email', '=', 'nadia.kaur@example.gov').executeTakeFirstOrThrow();
    expect(person.handle).toBe('nadia-kaur');
    expect(person.is_site_admin).toBe(true);
    expect(person.password_hash).toBeNull();
    const tokens = await database.db.selectFrom('password_tokens').selectAll().where('person_id', '=', person.id).execute();
    expect(tokens).toHaveLength(1);
    const token = /set-password\/([A-Za-z0-9_-]+)/.exec(r.stdout)![1]!;
    expect(tokens[0]!.token_hash).not.toContain(token);
  });

  it('user:add refuses a duplicate email, a bad handle and a bad email (exit 1)', async () => {
    const dup = await cli(['user:add', '--email', 'nadia.kaur@example.gov', '--name', 'Someone']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('--email: Someone with this email address is already registered.');
    const bad = await cli(['user:add', '--email', 'not-an-email', '--name', 'X', '--handle', 'Bad Handle']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--email: Enter an email address like name@example.gov.');
    expect(bad.stderr).toContain('--handle: Use 1 to 40 lowercase letters');
  });

  it('user:add --password-stdin sets the password, and refuses a common or short one', async () => {
    const weak = await cli(['user:add', '--email', 'omar@example.gov', '--name', 'Omar', '--password-stdin'], 'password1234\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('--password-stdin: That password is one of the most common ones');
    const short = await cli(['user:add', '--email', 'omar@example.gov', '--name', 'Omar', '--password-stdin'], 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('at least 12 characters');
    const ok = await cli(['user:add', '--email', 'omar@example.gov', '--name', 'Omar', '--handle', 'omar-f', '--password-stdin'], 'lantern harbour violet\n');
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain('set-password');
    const row = await database.db.selectFrom('people').select(['password_hash', 'handle']).where('email', '=', 'omar@example.gov').executeTakeFirstOrThrow();
    expect(row.handle).toBe('omar-f');
    expect(await verifyPassword(row.password_hash!, 'lantern harbour violet')).toBe(true);
  });

  it('project:add creates a project with an owner, and refuses reserved, malformed and taken slugs', async () => {
    const ok = await cli(['project:add', '--slug', 'river-data', '--title', 'River data', '--owner', 'omar@example.gov']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('https://blogs.example.gov/river-data/');
    const membership = await database.db
      .selectFrom('memberships')
      .innerJoin('projects', 'projects.id', 'memberships.project_id')
      .innerJoin('people', 'people.id', 'memberships.person_id')
      .select(['memberships.role', 'people.email'])
      .where('projects.slug', '=', 'river-data')
      .executeTakeFirstOrThrow();
    expect(membership).toEqual({ role: 'owner', email: 'omar@example.gov' });
    for (const [slug, message] of [
      ['admin', 'is used by the site itself'],
      ['Bad_Slug', 'Use lowercase letters'],
      ['river-data', 'Another project has this address'],
    ]) {
      const r = await cli(['project:add', '--slug', slug!, '--title', 'T']);
      expect(r.code, slug).toBe(1);
      expect(r.stderr).toContain(message);
    }
    const noOwner = await cli(['project:add', '--slug', 'lake-data', '--title', 'Lake', '--owner', 'ghost@example.gov']);
    expect(noOwner.code).toBe(1);
    expect(noOwner.stderr).toContain('--owner: Nobody with this email address is registered.');
  });

  it('user:link prints a new link and voids the older one; an unknown email is refused', async () => {
    const before = await database.db.selectFrom('password_tokens').innerJoin('people', 'people.id', 'password_tokens.person_id').select('token_hash').where('people.email', '=', 'nadia.kaur@example.gov').execute();
    const r = await cli(['user:link', '--email', 'nadia.kaur@example.gov']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/https:\/\/blogs\.example\.gov\/set-password\/[A-Za-z0-9_-]{43}/);
    const after = await database.db.selectFrom('password_tokens').innerJoin('people', 'people.id', 'password_tokens.person_id').select('token_hash').where('people.email', '=', 'nadia.kaur@example.gov').execute();
    expect(after).toHaveLength(1);
    expect(after[0]!.token_hash).not.toBe(before[0]!.token_hash);
    const unknown = await cli(['user:link', '--email', 'ghost@example.gov']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('nobody with the email address ghost@example.gov is registered');
  });
});

// On the embedded PostgreSQL (no DATABASE_URL): the CLI starts its own server when no site runs on the
// data dir, and uses the running site's server when one does (it used to refuse: "data dir in use").
describe('admin CLI on the embedded PostgreSQL', { timeout: 180_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'project-blogs-cli-'));
  fs.chmodSync(dataDir, 0o755);
  let site: ServerProcess | undefined;
  afterAll(async () => {
    if (site && site.child.exitCode === null) {
      site.child.kill('SIGTERM');
      await site.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const embedded = (publicUrl: string) => ({ DATABASE_URL: '', DATA_DIR: dataDir, PUBLIC_URL: publicUrl });

  it('with no site running, starts its own server and stops it again', async () => {
    const r = await cli(['user:add', '--email', 'first@example.gov', '--name', 'First Person'], '', embedded('http://127.0.0.1:1'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('embedded PostgreSQL listening');
    expect(fs.existsSync(path.join(dataDir, 'app.pid'))).toBe(false);
    expect(await postgresPidsFor(dataDir)).toEqual([]);
  });

  it('beside the running site, uses its server; the printed link works on the site at once', async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    site = startServerProcess({ PORT: String(port), DATA_DIR: dataDir, SEED_DEMO: 'never', PUBLIC_URL: publicUrl });
    await site.waitFor(/is running/, 60_000);
    const r = await cli(['user:add', '--email', 'second@example.gov', '--name', 'Second Person', '--site-admin'], '', embedded(publicUrl));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/using the embedded PostgreSQL of the app running on this data dir \(pid \d+, port \d+\)/);
    const link = /http:\/\/\S+\/set-password\/[A-Za-z0-9_-]{43}/.exec(r.stdout)![0];
    expect((await fetch(link)).status).toBe(200);
    const again = await cli(['user:link', '--email', 'first@example.gov'], '', embedded(publicUrl));
    expect(again.code, again.stderr).toBe(0);
    // The site is unharmed and still owns the data dir.
    expect((await fetch(`${publicUrl}/readyz`)).status).toBe(200);
    expect(fs.readFileSync(path.join(dataDir, 'app.pid'), 'utf8').trim()).toBe(String(site.child.pid));
    site.child.kill('SIGTERM');
    expect(await site.exited).toBe(0);
  });
});
