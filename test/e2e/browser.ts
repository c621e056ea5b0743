// Real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, against the real app listening
// on a real port, on its own database. Used by the journeys and the accessibility checks.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { ROOT } from '../helpers/server-process.js';
import { startLiveServer, type LiveServer as E2EServer } from '../helpers/live-server.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

if (!hasChromium && process.env.REQUIRE_BROWSER === '1') {
  throw new Error(`Browser tests need Chromium at ${CHROMIUM} (apt-get install chromium); REQUIRE_BROWSER=1 makes its absence a failure.`);
}

/** describe() that runs when Chromium is installed (and fails, with REQUIRE_BROWSER=1, when it is not). */
export const browserDescribe = describe.skipIf(!hasChromium);

export const WIDTHS = { desktop: 1280, phone: 375 } as const;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export { startLiveServer as startE2EServer } from '../helpers/live-server.js';
export type { LiveServer as E2EServer } from '../helpers/live-server.js';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/** axe-core's WCAG 2.0/2.1/2.2 A and AA rules on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // evaluate() runs outside the page's CSP, which (rightly) forbids injected inline scripts. Once per
  // document: a second run on the same page (dark mode) reuses it instead of compiling ~500 KB again.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'] },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
}

export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n  ')}`).join('\n');
}

export async function screenshot(page: Page, name: string) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Clicks a link or submit button and waits for the page it leads to. */
export async function follow(page: Page, locator: import('playwright-core').Locator) {
  await Promise.all([page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }), locator.click()]);
  await page.waitForLoadState('domcontentloaded');
}

/** Signs in through the real form in a new page of `context`; returns that page, on the dashboard. */
export async function signInThroughForm(context: BrowserContext, baseUrl: string, email: string, password: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await follow(page, page.getByRole('button', { name: 'Sign in' }));
  if (!page.url().includes('/admin')) throw new Error(`signing in as ${email} led to ${page.url()}`);
  return page;
}

export async function textOf(locator: import('playwright-core').Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** The server and browser for one file: started before its tests, closed after. */
export function useBrowserAndServer(): { server: E2EServer; browser: Browser } {
  const fixture = {} as { server: E2EServer; browser: Browser };
  beforeAll(async () => {
    fixture.server = await startLiveServer();
    fixture.browser = await launchBrowser();
  });
  afterAll(async () => fixture.browser?.close());
  return fixture;
}
