// The operator's journey, in real Chromium with JavaScript off, against `npm start` on the embedded
// PostgreSQL: while the site runs with its demo, the admin CLI adds the operator as a site admin (no
// downtime: it uses the running server); the operator sets a password from the printed link, deletes a
// demo project after its confirmation page (its address then answers 410), removes the rest of the
// demo in one step, and names the site.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, ROOT, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { browserDescribe, follow, launchBrowser, screenshot, textOf } from './browser.js';

const PASSWORD = 'harbour lantern violet 2026';

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['server/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

browserDescribe('the operator', { timeout: 180_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'project-blogs-operator-'));
  fs.chmodSync(dataDir, 0o755);
  let site: ServerProcess;
  let browser: Browser;
  let baseUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    site = startServerProcess({ PORT: String(port), DATA_DIR: dataDir, PUBLIC_URL: baseUrl, RATE_LIMIT_PER_MINUTE: '0' });
    await site.waitFor(/Press Ctrl\+C/, 90_000);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (site && site.child.exitCode === null) {
      site.child.kill('SIGTERM');
      await site.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds themselves beside the running site, then deletes a demo project, removes the demo and names the site', async () => {
    // The demo's password was made for this install: printed once, not the one in the code.
    expect(site.output()).toMatch(/any demo team member, password "demo-[A-Za-z0-9_-]{20}"/);

    const added = await cli(['user:add', '--email', 'ops@example.org', '--name', 'Olu Operator', '--site-admin'], { DATABASE_URL: '', DATA_DIR: dataDir, PUBLIC_URL: baseUrl });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toContain('using the embedded PostgreSQL of the app running on this data dir');
    const link = /http:\/\/\S+\/set-password\/[A-Za-z0-9_-]{43}/.exec(added.stdout)![0];

    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('New password again').fill(PASSWORD);
    await follow(page, page.getByRole('button', { name: 'Set password and sign in' }));
    expect(new URL(page.url()).pathname).toBe('/admin');

    // Delete one demo project: a confirmation page first, a plain form.
    await follow(page, page.getByRole('link', { name: 'Delete project (Independent Review of Northbrook Community Health)' }));
    expect(await textOf(page.locator('h1'))).toBe('Delete “Independent Review of Northbrook Community Health”?');
    await screenshot(page, 'operator-delete-project-1280');
    await follow(page, page.getByRole('button', { name: 'Delete this project' }));
    const goneAnswer = await page.goto(`${baseUrl}/community-health-review/`);
    expect(goneAnswer?.status()).toBe(410);
    expect(await textOf(page.locator('main'))).toContain('This project has been removed');

    // Remove the rest of the demo in one step.
    await page.goto(`${baseUrl}/admin`);
    await follow(page, page.getByRole('link', { name: 'Remove the demo content (Information Sharing Taskforce)' }));
    expect(await textOf(page.locator('main'))).toContain('admin@example.gov');
    await screenshot(page, 'operator-remove-demo-1280');
    await follow(page, page.getByRole('button', { name: 'Remove the demo content' }));
    expect((await page.goto(`${baseUrl}/info-sharing-taskforce/`))?.status()).toBe(410);

    // Name the site; the home page says so.
    await page.goto(`${baseUrl}/admin/site`);
    await page.getByLabel('Site name').fill('Harbour works');
    await page.getByLabel('Organisation (optional)').fill('Port of Examplia');
    await follow(page, page.getByRole('button', { name: 'Save' }));
    await page.goto(`${baseUrl}/`);
    expect(await page.title()).toMatch(/ · Harbour works$/);
    expect(await textOf(page.locator('footer'))).toContain('Port of Examplia');
    expect(await textOf(page.locator('main'))).not.toContain('Information Sharing Taskforce');
    await context.close();
  });
});
