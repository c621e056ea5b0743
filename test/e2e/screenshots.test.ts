// Screenshots of the real app for the README and docs/screenshots/: key public and team pages, in
// Chromium at phone (375 px) and desktop (1280 px) widths, light and dark. Not a check: it runs only when
// asked (SCREENSHOTS=1 npx vitest run test/e2e/screenshots.test.ts) and rewrites the files. JPEG of the
// first screenful keeps the set small enough to live in the repository.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { ROOT } from '../helpers/server-process.js';
import { follow, hasChromium, useBrowserAndServer, WIDTHS, type E2EServer } from './browser.js';

const OUT = process.env.SCREENSHOTS_DIR ?? path.join(ROOT, 'docs', 'screenshots');
/** SCREENSHOTS_PNG=1 for a lossless look while working on the CSS (some image viewers show PNG only). */
const PNG = process.env.SCREENSHOTS_PNG === '1';
const HEIGHT = { phone: 700, desktop: 720 } as const;
const WEBP_QUALITY = 0.5;
/** Dark mode only for these: the full matrix of every page would weigh more than it shows. */
const DARK_TOO = new Set(['post', 'moderation-queue']);

async function busiestPostSlug(s: E2EServer): Promise<string> {
  const row = await s.db
    .selectFrom('posts')
    .innerJoin('comments', 'comments.post_id', 'posts.id')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select(['posts.slug', (eb) => eb.fn.countAll<number>().as('n')])
    .where('projects.slug', '=', 'info-sharing-taskforce')
    .groupBy('posts.slug')
    .orderBy('n', 'desc')
    .executeTakeFirstOrThrow();
  return row.slug;
}

/** name → how to reach the state to photograph (a URL, or steps from the page). */
const SHOTS: Array<{ name: string; signedIn: boolean; open: (page: Page, s: E2EServer) => Promise<void> }> = [
  { name: 'home', signedIn: false, open: async (p, s) => void (await p.goto(`${s.baseUrl}/`)) },
  { name: 'post', signedIn: false, open: async (p, s) => void (await p.goto(`${s.baseUrl}/info-sharing-taskforce/posts/${await busiestPostSlug(s)}`)) },
  { name: 'search', signedIn: false, open: async (p, s) => void (await p.goto(`${s.baseUrl}/search?q=data+sharing`)) },
  { name: 'dashboard', signedIn: true, open: async (p, s) => void (await p.goto(`${s.baseUrl}/admin`)) },
  {
    name: 'moderation-queue',
    signedIn: true,
    open: async (p, s) => {
      await p.goto(`${s.baseUrl}/admin/moderation`);
      // The comments themselves, below the summary table.
      await p.locator('.bulk-form').evaluate((form) => window.scrollTo(0, form.getBoundingClientRect().top + window.scrollY - 16));
    },
  },
  {
    name: 'moderation-confirm-delete',
    signedIn: true,
    open: async (p, s) => {
      await p.goto(`${s.baseUrl}/admin/moderation`);
      await follow(p, p.locator('.moderation-item').first().getByRole('button', { name: /^Delete/ }));
    },
  },
  {
    name: 'editor',
    signedIn: true,
    open: async (p, s) => {
      const post = await s.db.selectFrom('posts').select('id').orderBy('id').executeTakeFirstOrThrow();
      await p.goto(`${s.baseUrl}/admin/projects/info-sharing-taskforce/posts/${post.id}/edit`);
    },
  },
  { name: 'team', signedIn: true, open: async (p, s) => void (await p.goto(`${s.baseUrl}/admin/projects/info-sharing-taskforce/team`)) },
];

/**
 * PNG → lossy WebP, encoded by Chromium itself (a canvas), about a third of the size of a JPEG of the
 * same screen at the same legibility; browsers and GitHub's README show WebP.
 */
async function toWebp(encoder: Page, png: Buffer): Promise<Buffer> {
  const dataUrl = await encoder.evaluate(async ([src, quality]) => {
    const image = new Image();
    image.src = src;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    canvas.getContext('2d')!.drawImage(image, 0, 0);
    return canvas.toDataURL('image/webp', quality);
  }, [`data:image/png;base64,${png.toString('base64')}`, WEBP_QUALITY] as const);
  if (!dataUrl.startsWith('data:image/webp;base64,')) throw new Error('this Chromium cannot encode WebP');
  return Buffer.from(dataUrl.slice('data:image/webp;base64,'.length), 'base64');
}

describe.skipIf(!hasChromium || process.env.SCREENSHOTS !== '1')('screenshots for the README (SCREENSHOTS=1)', () => {
  const fx = useBrowserAndServer();

  it('writes the key pages at both widths, light and dark', async () => {
    fs.mkdirSync(OUT, { recursive: true });
    const written: string[] = [];
    const encoder = await (await fx.browser.newContext()).newPage();
    for (const [widthName, width] of Object.entries(WIDTHS) as Array<[keyof typeof WIDTHS, number]>) {
      for (const scheme of ['light', 'dark'] as const) {
        // No script, as most of the team side is used; the pages need none.
        const context = await fx.browser.newContext({ viewport: { width, height: HEIGHT[widthName] }, colorScheme: scheme, javaScriptEnabled: false });
        const page = await context.newPage();
        await page.goto(`${fx.server.baseUrl}/login`);
        await page.getByLabel('Email address').fill('admin@example.gov');
        await page.getByLabel('Password').fill(DEMO_PASSWORD);
        await follow(page, page.getByRole('button', { name: 'Sign in' }));
        const anonymous = await (await fx.browser.newContext({ viewport: { width, height: HEIGHT[widthName] }, colorScheme: scheme, javaScriptEnabled: false })).newPage();
        for (const shot of SHOTS) {
          if (scheme === 'dark' && !DARK_TOO.has(shot.name)) continue;
          const p = shot.signedIn ? page : anonymous;
          await shot.open(p, fx.server);
          const file = path.join(OUT, `${shot.name}-${width}-${scheme}.${PNG ? 'png' : 'webp'}`);
          const png = await p.screenshot({ type: 'png', fullPage: PNG && process.env.SCREENSHOTS_FULL === '1' });
          fs.writeFileSync(file, PNG ? png : await toWebp(encoder, png));
          written.push(file);
        }
        await anonymous.context().close();
        await context.close();
      }
    }
    await encoder.context().close();
    const bytes = written.reduce((sum, f) => sum + fs.statSync(f).size, 0);
    console.log(`${written.length} screenshots, ${Math.round(bytes / 1024)} KB, in ${OUT}`);
    expect(written.length).toBeGreaterThan(0);
  }, 180_000);
});
