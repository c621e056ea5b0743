// `npm start` as a process on the embedded PostgreSQL: refuses bad configuration, serves the demo,
// stops cleanly on SIGTERM/SIGINT leaving no postgres behind, recovers from an orphan after SIGKILL,
// and refuses a data dir that another running app is using.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { freePort, postgresPidsFor, ROOT, startServerProcess } from '../helpers/server-process.js';
import { waitUntil } from '../helpers/wait.js';

const dirs: string[] = [];
function tempDataDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'project-blogs-proc-'));
  fs.chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('the server process', () => {
  it('refuses to start on bad configuration, naming each bad variable', async () => {
    const proc = startServerProcess({ PORT: 'abc', SEED_DEMO: 'maybe', DATA_DIR: tempDataDir() });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain('PORT="abc"');
    expect(proc.output()).toContain('SEED_DEMO="maybe"');
  });

  it('starts on a fresh data dir with the demo, serves it, and stops on SIGTERM leaving no postgres', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const proc = startServerProcess({ PORT: String(port), DATA_DIR: dataDir });
    await proc.waitFor(/Press Ctrl\+C/, 60_000);
    expect(proc.output()).toContain('Seeded the demo content');
    // The demo's password is made for this install, printed once, never the one in the code.
    const printed = /any demo team member, password "([^"]+)"/.exec(proc.output())?.[1];
    expect(printed).toBeTruthy();
    expect(printed).not.toBe(DEMO_PASSWORD);
    // Not on a terminal: the start-up messages are JSON log lines with an event; the password is never
    // in one of them (it is the one plain line, printed once).
    const lines = proc.output().split('\n').filter((l) => l.trim() !== '');
    const logged = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event?: string; msg?: string });
    expect(logged.map((l) => l.event)).toEqual(expect.arrayContaining(['database_opening', 'demo_seeded', 'demo_password_printed', 'listening', 'ready']));
    expect(logged.find((l) => l.event === 'listening')!.msg).toContain('is running');
    expect(lines.filter((l) => l.includes(printed!))).toEqual([expect.stringMatching(/^Team sign-in for the demo: /)]);
    const home = await fetch(`http://127.0.0.1:${port}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Information Sharing Taskforce');
    expect((await postgresPidsFor(dataDir)).length).toBeGreaterThan(0);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(await waitUntil(async () => (await postgresPidsFor(dataDir)).length === 0, 5_000)).toBe(true);

    // A restart reuses the data and does not seed twice; SIGINT stops it as well.
    const again = startServerProcess({ PORT: String(port), DATA_DIR: dataDir });
    await again.waitFor(/Press Ctrl\+C/, 60_000);
    expect(again.output()).not.toContain('Seeded the demo content');
    expect(again.output()).not.toContain(printed!);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
    expect(await waitUntil(async () => (await postgresPidsFor(dataDir)).length === 0, 5_000)).toBe(true);
  }, 120_000);

  it('recovers from a postgres orphaned by a SIGKILLed app, and refuses a data dir in use', async () => {
    const dataDir = tempDataDir();
    // No demo: nothing here reads it, and seeding it is most of a first start's work.
    const first = startServerProcess({ PORT: String(await freePort()), DATA_DIR: dataDir, SEED_DEMO: 'never' });
    await first.waitFor(/is running/, 60_000);

    const second = startServerProcess({ PORT: String(await freePort()), DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/in use by another running app/);

    first.child.kill('SIGKILL');
    await first.exited;
    expect((await postgresPidsFor(dataDir)).length).toBeGreaterThan(0); // the orphan

    const port = await freePort();
    const third = startServerProcess({ PORT: String(port), DATA_DIR: dataDir, SEED_DEMO: 'never' });
    await third.waitFor(/is running/, 60_000);
    expect(third.output()).toMatch(/orphaned PostgreSQL/);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(await waitUntil(async () => (await postgresPidsFor(dataDir)).length === 0, 5_000)).toBe(true);
  }, 120_000);

  it('says clearly when the port is taken', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as import('node:net').AddressInfo).port;
    const dataDir = tempDataDir();
    const proc = startServerProcess({ PORT: String(port), DATA_DIR: dataDir, SEED_DEMO: 'never' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/Port \d+ .* already in use/);
    blocker.close();
    expect(await waitUntil(async () => (await postgresPidsFor(dataDir)).length === 0, 5_000)).toBe(true);
  }, 120_000);
});

describe('SIGTERM under load', () => {
  it('completes requests in flight, refuses new connections, exits within 10 s, leaves no postgres', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const proc = startServerProcess({ PORT: String(port), DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '0' });
    await proc.waitFor(/is running/, 60_000);
    const statuses: number[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/info-sharing-taskforce/`);
          await res.text();
          statuses.push(res.status);
        } catch {
          return; // the server has stopped listening
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    await new Promise((r) => setTimeout(r, 1_000));
    const signalledAt = Date.now();
    proc.child.kill('SIGTERM');
    const code = await proc.exited;
    stop = true;
    await Promise.all(workers);
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(statuses.length).toBeGreaterThan(16);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    expect(await waitUntil(async () => (await postgresPidsFor(dataDir)).length === 0, 5_000)).toBe(true);
  }, 120_000);
});

describe('npm start', () => {
  // npm runs the start script through a shell; without `exec` the shell, not node, got npm's forwarded
  // SIGTERM, and the server kept serving as an orphan after npm had exited.
  it('passes SIGTERM to the server, which drains and exits, leaving no node or postgres behind', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const { spawn } = await import('node:child_process');
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: undefined, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', SEED_DEMO: 'never' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    npm.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    expect(await waitUntil(async () => /is running/.test(output), 60_000), output).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const serverPids = nodePidsServing(dataDir);
    expect(serverPids.length, 'the server process is found by its DATA_DIR').toBe(1);

    try {
      npm.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('SIGTERM received');
      expect(await waitUntil(async () => nodePidsServing(dataDir).length === 0, 10_000)).toBe(true);
      await expect(fetch(`http://127.0.0.1:${port}/readyz`)).rejects.toThrow();
      expect(await waitUntil(async () => (await postgresPidsFor(dataDir)).length === 0, 5_000)).toBe(true);
    } finally {
      for (const pid of nodePidsServing(dataDir)) process.kill(pid, 'SIGKILL'); // an orphan must not outlive a failed test
    }
  }, 120_000);
});

/** Live node processes whose environment names this DATA_DIR (the server started by npm). */
function nodePidsServing(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0] ?? '') !== 'node' || !argv.includes('dist/server/main.js')) continue;
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (env.split('\0').includes(`DATA_DIR=${dataDir}`)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
