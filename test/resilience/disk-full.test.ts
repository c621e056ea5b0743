// The embedded PostgreSQL's data dir on a small filesystem (a tmpfs this test mounts; it needs root,
// which CI and the sessions have) that is then filled: reads keep working, a comment is refused with a
// 503 page that says the site cannot store anything and keeps the text, the process stays up, and
// comments are accepted again once space is freed. Starting on a full disk is refused clearly, with
// nothing left running.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, postgresPidsFor, startServerProcess } from '../helpers/server-process.js';
import { readCommentForm } from '../helpers/html-forms.js';
import { waitUntil } from '../helpers/wait.js';

function tryMount(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'project-blogs-smalldisk-'));
fs.chmodSync(mountPoint, 0o755);
const mounted = process.getuid?.() === 0 && tryMount(mountPoint, '96m');
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});

/** Writes a file until the filesystem is full; returns its path. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'a');
  try {
    for (const size of [1 << 20, 1 << 14, 1 << 10, 64]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

// Skipped only where this process may not mount a filesystem (not root): CI runs as root.
describe.skipIf(!mounted)('a full disk under the embedded PostgreSQL', () => {
  it('refuses writes with a clear 503, keeps reads and the process up, recovers when space is freed, and refuses to start while full', async () => {
    const dataDir = path.join(mountPoint, 'data');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = startServerProcess({ PORT: String(port), DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'warn' });
    let filler: string | undefined;
    try {
      await proc.waitFor(/is running/, 60_000);
      // No per-address comment limit, so that comments go on until the disk is full.
      const dbPort = /listening on 127\.0\.0\.1:(\d+)/.exec(proc.output())![1]!;
      const password = fs.readFileSync(path.join(dataDir, 'postgres-password'), 'utf8').trim();
      const client = new pg.Client({ host: '127.0.0.1', port: Number(dbPort), user: 'postgres', password, database: 'project_blogs' });
      client.on('error', () => {});
      await client.connect();
      await client.query(`UPDATE projects SET settings = settings || '{"commentsPerTenMinutes": 0, "commentPolicy": "hold-all"}'::jsonb`);
      await client.end();

      const projectHtml = await (await fetch(`${base}/info-sharing-taskforce/`)).text();
      const postPath = /href="(\/info-sharing-taskforce\/posts\/[^"#?]+)"/.exec(projectHtml)![1]!;
      const { cookie, fields } = await readCommentForm(base, postPath);
      let n = 0;
      const comment = async () => {
        const text = `Comment ${++n} while the disk fills. ${'Words that take room. '.repeat(180)}`;
        const res = await fetch(`${base}${postPath}/comments`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
          body: new URLSearchParams({ ...fields, name: 'Disk Filler', email: 'disk@example.org', body: text }),
        });
        return { status: res.status, body: await res.text(), text, retryAfter: res.headers.get('retry-after') };
      };
      expect((await comment()).status).toBe(303);

      filler = fillDisk(mountPoint);
      // Comments go on until the database cannot store one (free space inside its files comes first).
      let refused: Awaited<ReturnType<typeof comment>> | undefined;
      for (let i = 0; i < 400 && !refused; i++) {
        // A failed request says what the server said last (and whether it is still running).
        const answer = await comment().catch((err: unknown) => {
          throw new Error(`comment ${n} failed: ${String(err)}; server exit code ${proc.child.exitCode}; its output:\n${proc.output().slice(-4000)}`);
        });
        expect([303, 503]).toContain(answer.status);
        if (answer.status === 503) refused = answer;
      }
      expect(refused, 'a comment was refused once the disk was full').toBeDefined();
      expect(refused!.body).toContain('cannot store anything right now');
      expect(refused!.body).toContain(refused!.text.slice(0, 40)); // the writer's text is kept
      expect(refused!.retryAfter).toBeTruthy();

      // Reads keep working, from the database too (a personal cookie bypasses the page cache).
      expect((await fetch(base + postPath, { headers: { cookie: 'pb_reader=1' } })).status).toBe(200);
      expect((await fetch(`${base}/`, { headers: { cookie: 'pb_reader=1' } })).status).toBe(200);
      expect(proc.child.exitCode).toBeNull();
      expect(proc.output()).toMatch(/storage full/);

      // Space freed: comments are accepted again, by themselves.
      fs.rmSync(filler);
      filler = undefined;
      expect(await waitUntil(async () => (await comment()).status === 303, 30_000), proc.output().slice(-3000)).toBe(true);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      proc.child.kill('SIGKILL');
      if (filler) fs.rmSync(filler, { force: true });
    }

    // Starting on a full disk: a clear refusal, exit 1, no postgres left behind.
    filler = fillDisk(mountPoint);
    try {
      const again = startServerProcess({ PORT: String(await freePort()), DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
      expect(await again.exited).toBe(1);
      expect(again.output()).toMatch(/The disk is full/);
      expect(again.output()).not.toMatch(/^\s+at /m); // a message, not a stack trace
      expect(await waitUntil(async () => (await postgresPidsFor(dataDir)).length === 0, 10_000)).toBe(true);
    } finally {
      fs.rmSync(filler, { force: true });
    }
  }, 180_000);
});
