// The embedded PostgreSQL is reached over a Unix socket in the data dir (cheaper per round trip than
// TCP), still listens on 127.0.0.1 for tools, and falls back to TCP alone where no socket can be made.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../server/db/embedded.js';

async function serverAddress(connectionString: string): Promise<string | null> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<{ addr: string | null }>('SELECT inet_server_addr()::text AS addr')).rows[0]!.addr;
  } finally {
    await client.end();
  }
}

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pb-sock-'));
  fs.chmodSync(dir, 0o755);
  return dir;
}

describe('the embedded PostgreSQL connection', () => {
  it('uses a Unix socket in the data dir, and 127.0.0.1 still answers', async () => {
    const dataDir = tempDataDir();
    const server = await startEmbeddedPostgres({ dataDir, fast: true });
    try {
      expect(server.serverUrl).toContain(`host=${encodeURIComponent(path.join(dataDir, 'socket'))}`);
      expect(await serverAddress(server.serverUrl)).toBeNull(); // no address: a Unix socket
      const tcp = new URL(server.serverUrl);
      tcp.search = '';
      expect(await serverAddress(tcp.toString())).toMatch(/^127\.0\.0\.1/);
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('falls back to TCP alone when the socket folder cannot hold a socket', async () => {
    const dataDir = tempDataDir();
    fs.mkdirSync(path.join(dataDir, 'socket'), { mode: 0o500 }); // postgres may not write there
    const logged: string[] = [];
    const server = await startEmbeddedPostgres({ dataDir, fast: true, log: (m) => logged.push(m) });
    try {
      expect(server.serverUrl).not.toContain('host=');
      expect(await serverAddress(server.serverUrl)).toMatch(/^127\.0\.0\.1/);
      expect(logged.join('\n')).toContain('using TCP only');
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
