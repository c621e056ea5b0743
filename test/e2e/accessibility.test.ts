// axe-core reports no WCAG 2.0/2.1/2.2 A or AA violation on any page type, at desktop and phone widths,
// in light and in dark mode, signed in or not, and on every form in its error state; and the checks axe
// cannot make: heading order, focus visible, the skip link, reflow at 320 CSS px (public and signed-in
// pages), the contrast of error borders, where a refused comment lands, the weight budget of a post page
// with 20 comments, and issue 14's smaller items (one h1 in the editor's preview, "Error: " in the title
// of every refused form, distinct titles, landmarks and link texts, bulk actions after their checkboxes).
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { issuePasswordToken } from '../../server/accounts/tokens.js';
import { DEMO_PASSWORD } from '../../server/demo/content.js';
import { axeViolations, browserDescribe, describeViolations, type E2EServer, follow, signInThroughForm, useBrowserAndServer, WIDTHS } from './browser.js';

/** Public page types; each resolves to a URL on the demo content. */
const PUBLIC_PAGES: Record<string, (s: E2EServer) => Promise<string>> = {
  'site home': async () => '/',
  'project home': async () => '/info-sharing-taskforce/',
  'project home, page 2': async () => '/info-sharing-taskforce/?page=2',
  'closed project': async () => '/community-health-review/',
  'post with comments': async (s) => `/info-sharing-taskforce/posts/${await busiestPost(s)}`,
  'tag listing': async () => '/info-sharing-taskforce/tags/weeknotes',
  team: async () => '/info-sharing-taskforce/team',
  person: async () => '/people/amira-hassan',
  'static page': async () => '/info-sharing-taskforce/pages/comment-policy',
  'not found': async () => '/no-such-project/',
  'accessibility statement': async () => '/accessibility',
  'search results': async () => '/search?q=sharing+agreement',
  'search, no query': async () => '/search',
  'sign in': async () => '/login',
};

/** Signed-in page types (as the site admin, who may see them all). */
const ADMIN_PAGES: Record<string, (s: E2EServer) => Promise<string>> = {
  dashboard: async () => '/admin',
  'post list': async () => '/admin/projects/info-sharing-taskforce/posts',
  'new post': async () => '/admin/projects/info-sharing-taskforce/posts/new',
  'edit post': async (s) => `/admin/projects/info-sharing-taskforce/posts/${await firstPostId(s)}/edit`,
  revisions: async (s) => `/admin/projects/info-sharing-taskforce/posts/${await firstPostId(s)}/revisions`,
  'page list': async () => '/admin/projects/info-sharing-taskforce/pages',
  'new page': async () => '/admin/projects/info-sharing-taskforce/pages/new',
  'image upload': async () => '/admin/projects/info-sharing-taskforce/images/new',
  team: async () => '/admin/projects/info-sharing-taskforce/team',
  settings: async () => '/admin/projects/info-sharing-taskforce/settings',
  'moderation queue': async () => '/admin/moderation',
  'moderation log': async () => '/admin/projects/info-sharing-taskforce/moderation-log',
  'comments pause': async () => '/admin/comments-pause',
  people: async () => '/admin/people',
  'new project': async () => '/admin/projects/new',
  profile: async () => '/admin/profile',
  'change password': async () => '/admin/password',
  'site settings': async () => '/admin/site',
};

const TASKFORCE_ADMIN = '/admin/projects/info-sharing-taskforce';

/** For the tests that visit many pages (each axe run takes ~0.3 s, seconds on a busy machine): a bound, not a measure. */
const MANY_PAGES_TIMEOUT = 240_000;

/**
 * Every form, brought to its error state the way a person would (mostly: sent empty). `public` forms are
 * shown to a visitor; the others to the signed-in site admin.
 */
const FORMS_WITH_ERRORS: Array<{ name: string; public?: true; show: (page: Page, s: E2EServer) => Promise<void> }> = [
  {
    name: 'comment',
    public: true,
    show: async (page, s) => {
      await page.goto(s.baseUrl + (await PUBLIC_PAGES['post with comments']!(s)));
      await page.getByLabel('Comment', { exact: true }).fill('A comment without a name.');
      await follow(page, page.getByRole('button', { name: 'Send comment' }));
    },
  },
  {
    name: 'sign in',
    public: true,
    show: async (page, s) => {
      await page.goto(`${s.baseUrl}/login`);
      await follow(page, page.getByRole('button', { name: 'Sign in' }));
    },
  },
  {
    name: 'set password',
    public: true,
    show: async (page, s) => {
      const person = await s.db.selectFrom('people').select('id').where('handle', '=', 'amira-hassan').executeTakeFirstOrThrow();
      const { token } = await issuePasswordToken(s.db, person.id, null, s.clock.now());
      await page.goto(`${s.baseUrl}/set-password/${token}`);
      await page.getByLabel('New password', { exact: true }).fill('short');
      await follow(page, page.getByRole('button', { name: 'Set password and sign in' }));
    },
  },
  { name: 'new post', show: (page, s) => sendEmpty(page, `${s.baseUrl}${TASKFORCE_ADMIN}/posts/new`, 'Save draft') },
  { name: 'new page', show: (page, s) => sendEmpty(page, `${s.baseUrl}${TASKFORCE_ADMIN}/pages/new`, 'Save page') },
  { name: 'image upload', show: (page, s) => sendEmpty(page, `${s.baseUrl}${TASKFORCE_ADMIN}/images/new`, 'Upload image') },
  { name: 'team', show: (page, s) => sendEmpty(page, `${s.baseUrl}${TASKFORCE_ADMIN}/team`, 'Add to the team') },
  { name: 'people', show: (page, s) => sendEmpty(page, `${s.baseUrl}/admin/people`, 'Add person') },
  { name: 'new project', show: (page, s) => sendEmpty(page, `${s.baseUrl}/admin/projects/new`, 'Create project') },
  {
    name: 'project settings',
    show: async (page, s) => {
      await page.goto(`${s.baseUrl}${TASKFORCE_ADMIN}/settings`);
      await page.getByLabel('Title', { exact: true }).fill('');
      await follow(page, page.getByRole('button', { name: 'Save settings' }));
    },
  },
  {
    name: 'site settings',
    show: async (page, s) => {
      await page.goto(`${s.baseUrl}/admin/site`);
      await page.getByLabel('Site name', { exact: true }).fill('');
      await follow(page, page.getByRole('button', { name: 'Save', exact: true }));
    },
  },
  {
    name: 'profile',
    show: async (page, s) => {
      await page.goto(`${s.baseUrl}/admin/profile`);
      await page.getByLabel('Display name', { exact: true }).fill('');
      await follow(page, page.getByRole('button', { name: 'Save profile' }));
    },
  },
  { name: 'change password', show: (page, s) => sendEmpty(page, `${s.baseUrl}/admin/password`, 'Change password') },
  { name: 'moderation queue (nothing selected)', show: (page, s) => sendEmpty(page, `${s.baseUrl}/admin/moderation`, 'Approve selected') },
  {
    name: 'revision (changed meanwhile)',
    show: async (page, s) => {
      const id = await firstPostId(s);
      await page.goto(`${s.baseUrl}${TASKFORCE_ADMIN}/posts/${id}/revisions`);
      await follow(page, page.locator('.revision-list a').first());
      await s.db.updateTable('posts').set((eb) => ({ version: eb('version', '+', 1) })).where('id', '=', id).execute();
      await follow(page, page.getByRole('button', { name: 'Restore this revision' }));
    },
  },
];

async function sendEmpty(page: Page, url: string, button: string) {
  await page.goto(url);
  await follow(page, page.getByRole('button', { name: button, exact: true }));
}

/** axe on the page as it is, in light and then in dark mode; what it finds is added to `failures`. */
async function axeLightAndDark(page: Page, type: string, failures: string[]) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = await axeViolations(page);
    if (violations.length) failures.push(`${type} (${colorScheme} mode):\n${describeViolations(violations)}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/**
 * What axe does not check: WCAG 1.4.11 (non-text contrast, 3:1) for the borders that mark an error (the
 * error summary, an errored field's left rule and its control), against the page background.
 */
async function errorBorderProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
    const luminance = (c: string) => {
      const [r, g, b] = rgb(c).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const contrast = (a: string, b: string) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi! + 0.05) / (lo! + 0.05);
    };
    const background = getComputedStyle(document.body).backgroundColor;
    const problems: string[] = [];
    const check = (selector: string, side: 'Top' | 'Left') => {
      for (const el of document.querySelectorAll<HTMLElement>(selector)) {
        const style = getComputedStyle(el);
        if (parseFloat(style.getPropertyValue(`border-${side.toLowerCase()}-width`)) === 0) continue;
        const color = style.getPropertyValue(`border-${side.toLowerCase()}-color`);
        const ratio = contrast(color, background);
        if (ratio < 3) problems.push(`${selector} border ${color} on ${background}: ${ratio.toFixed(2)}:1`);
      }
    };
    check('.error-summary', 'Top');
    check('.field.has-error', 'Left');
    check('.has-error input[aria-invalid="true"], .has-error textarea[aria-invalid="true"], .has-error select[aria-invalid="true"]', 'Top');
    return problems;
  });
}

async function firstPostId(s: E2EServer): Promise<number> {
  return (await s.db.selectFrom('posts').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
}

async function busiestPost(s: E2EServer): Promise<string> {
  const row = await s.db
    .selectFrom('posts')
    .innerJoin('comments', 'comments.post_id', 'posts.id')
    .select(['posts.slug', (eb) => eb.fn.countAll<number>().as('n')])
    .where('comments.status', '=', 'approved')
    .where('posts.project_id', '=', (eb) => eb.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce'))
    .groupBy('posts.slug')
    .orderBy('n', 'desc')
    .executeTakeFirstOrThrow();
  return row.slug;
}

browserDescribe('accessibility', () => {
  const fx = useBrowserAndServer();

  for (const [name, width] of Object.entries(WIDTHS)) {
    it(`axe finds no WCAG A/AA violations on any public page at ${name} width (${width}px)`, async () => {
      const context = await fx.browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      const failures: string[] = [];
      for (const [type, url] of Object.entries(PUBLIC_PAGES)) {
        await page.goto(fx.server.baseUrl + (await url(fx.server)));
        const violations = await axeViolations(page);
        if (violations.length) failures.push(`${type}:\n${describeViolations(violations)}`);
        for (const scheme of ['dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          const dark = await axeViolations(page);
          if (dark.length) failures.push(`${type} (${scheme} mode):\n${describeViolations(dark)}`);
          await page.emulateMedia({ colorScheme: 'light' });
        }
      }
      await context.close();
      expect(failures.join('\n\n')).toBe('');
    }, MANY_PAGES_TIMEOUT);
  }

  for (const [name, width] of Object.entries(WIDTHS)) {
    it(`axe finds no WCAG A/AA violations on any signed-in page, light and dark, at ${name} width (${width}px)`, async () => {
      const context = await fx.browser.newContext({ viewport: { width, height: 900 } });
      const page = await signInThroughForm(context, fx.server.baseUrl, 'admin@example.gov', DEMO_PASSWORD);
      const failures: string[] = [];
      for (const [type, url] of Object.entries(ADMIN_PAGES)) {
        const response = await page.goto(fx.server.baseUrl + (await url(fx.server)));
        expect(response?.status(), type).toBe(200);
        await axeLightAndDark(page, type, failures);
      }
      await context.close();
      expect(failures.join('\n\n')).toBe('');
    }, MANY_PAGES_TIMEOUT);
  }

  for (const [name, width] of Object.entries(WIDTHS)) {
    it(`every form in its error state: "Error: " in its title, no axe violation and error borders at 3:1, light and dark, at ${name} width (${width}px)`, async () => {
      const visitor = await fx.browser.newContext({ viewport: { width, height: 900 } });
      const team = await fx.browser.newContext({ viewport: { width, height: 900 } });
      const pages = { visitor: await visitor.newPage(), team: await signInThroughForm(team, fx.server.baseUrl, 'admin@example.gov', DEMO_PASSWORD) };
      const failures: string[] = [];
      for (const form of FORMS_WITH_ERRORS) {
        const page = form.public ? pages.visitor : pages.team;
        await form.show(page, fx.server);
        const type = `${form.name} form, with errors`;
        expect(await page.locator('.error-summary').count(), `${type}: an error summary`).toBeGreaterThan(0);
        const title = await page.title();
        if (!title.startsWith('Error: ')) failures.push(`${type}: the title "${title}" does not start with "Error: "`);
        await axeLightAndDark(page, type, failures);
        for (const colorScheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme });
          for (const problem of await errorBorderProblems(page)) failures.push(`${type} (${colorScheme} mode): ${problem}`);
        }
        await page.emulateMedia({ colorScheme: 'light' });
      }
      await visitor.close();
      await team.close();
      expect(failures.join('\n\n')).toBe('');
    }, MANY_PAGES_TIMEOUT);
  }

  it('a refused comment lands on the form: the error summary in view and focused, with no script', async () => {
    const context = await fx.browser.newContext({ viewport: { width: WIDTHS.phone, height: 700 }, javaScriptEnabled: false });
    const page = await context.newPage();
    await FORMS_WITH_ERRORS.find((f) => f.name === 'comment')!.show(page, fx.server);
    expect(new URL(page.url()).hash).toBe('#comment-form');
    const summary = page.locator('.error-summary');
    expect(await summary.evaluate((el) => el === document.activeElement)).toBe(true);
    const box = await summary.boundingBox();
    // In view: its top within the viewport (a fragment scroll may leave it a fraction of a pixel above 0).
    expect(box && box.y > -1 && box.y < 700, JSON.stringify(box)).toBe(true);
    // The first Tab from there goes to the first problem's link.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).toBe('#comment-name');
    await context.close();
  });

  it('every public page has lang, one h1, headings that do not skip levels, and a working skip link', async () => {
    const context = await fx.browser.newContext({ viewport: { width: WIDTHS.desktop, height: 900 } });
    const page = await context.newPage();
    for (const [type, url] of Object.entries(PUBLIC_PAGES)) {
      await page.goto(fx.server.baseUrl + (await url(fx.server)));
      expect(await page.getAttribute('html', 'lang'), type).toBe('en');
      const levels = await page.$$eval('h1, h2, h3, h4, h5, h6', (hs) => hs.map((h) => Number(h.tagName[1])));
      expect(levels.filter((l) => l === 1), type).toHaveLength(1);
      for (let i = 1; i < levels.length; i++) expect(levels[i]! - levels[i - 1]!, `${type}: heading order ${levels.join(',')}`).toBeLessThanOrEqual(1);
    }
    // Keyboard: the first Tab reaches the skip link, visibly; Enter moves focus to the main content.
    await page.goto(`${fx.server.baseUrl}/info-sharing-taskforce/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to main content');
    const box = await page.locator('.skip-link').boundingBox();
    expect(box && box.x >= 0 && box.y >= 0).toBe(true);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await context.close();
  }, MANY_PAGES_TIMEOUT);

  it('text reflows at 400% zoom (320 CSS px) without sideways scrolling', async () => {
    const context = await fx.browser.newContext({ viewport: { width: 320, height: 256 } });
    const page: Page = await context.newPage();
    for (const [type, url] of Object.entries(PUBLIC_PAGES)) {
      await page.goto(fx.server.baseUrl + (await url(fx.server)));
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, type).toBeLessThanOrEqual(0);
    }
    await context.close();
  }, MANY_PAGES_TIMEOUT);

  it('signed-in pages reflow at 320 CSS px: nothing makes the page scroll sideways; wide tables scroll in their own named, focusable region', async () => {
    const context = await fx.browser.newContext({ viewport: { width: 320, height: 256 } });
    const page = await signInThroughForm(context, fx.server.baseUrl, 'admin@example.gov', DEMO_PASSWORD);
    const failures: string[] = [];
    for (const [type, url] of Object.entries(ADMIN_PAGES)) {
      await page.goto(fx.server.baseUrl + (await url(fx.server)));
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 320) {
        const culprits = await page.evaluate(() =>
          [...document.querySelectorAll<HTMLElement>('main *')]
            .filter((el) => el.getBoundingClientRect().right > 320 && !el.closest('[role=region]'))
            .slice(0, 3)
            .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).split(' ').join('.') : ''} (${Math.round(el.getBoundingClientRect().width)} px)`),
        );
        failures.push(`${type}: ${width} px wide: ${culprits.join(', ')}`);
      }
      // A table wider than the screen scrolls inside a region that a keyboard can reach and that has a name.
      for (const problem of await page.evaluate(() =>
        [...document.querySelectorAll('main table')].flatMap((table) => {
          const region = table.parentElement!;
          if (region.scrollWidth <= region.clientWidth) return [];
          const named = region.getAttribute('role') === 'region' && region.getAttribute('tabindex') === '0' && !!(region.getAttribute('aria-labelledby') || region.getAttribute('aria-label'));
          return named ? [] : [`a table scrolls without a named, focusable region (${table.className})`];
        }),
      )) failures.push(`${type}: ${problem}`);
    }
    await context.close();
    expect(failures.join('\n')).toBe('');
  }, MANY_PAGES_TIMEOUT);

  it('smaller things: one h1 in the editor preview, distinct team titles, distinct search landmarks, distinct revision links, bulk moderation after its checkboxes', async () => {
    const context = await fx.browser.newContext({ viewport: { width: WIDTHS.desktop, height: 900 } });
    const page = await signInThroughForm(context, fx.server.baseUrl, 'admin@example.gov', DEMO_PASSWORD);
    const base = fx.server.baseUrl;
    // The editor's preview shows the title, but not as a second h1.
    await page.goto(`${base}${TASKFORCE_ADMIN}/posts/new`);
    await page.getByLabel('Title', { exact: true }).fill('A post to preview');
    await page.getByLabel('Text (Markdown)').fill('Some text.\n\n## A section');
    await follow(page, page.getByRole('button', { name: 'Preview' }));
    expect(await page.locator('.preview').count()).toBe(1);
    expect(await page.locator('h1').allTextContents()).toEqual(['New post']);
    // The public team page and the team's admin page have different titles.
    await page.goto(`${base}/info-sharing-taskforce/team`);
    const publicTitle = await page.title();
    await page.goto(`${base}${TASKFORCE_ADMIN}/team`);
    expect(await page.title()).not.toBe(publicTitle);
    // Two search landmarks on the search page, each with its own name.
    await page.goto(`${base}/search?q=sharing`);
    const searchNames = await page.getByRole('search').evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
    expect(searchNames.length).toBe(2);
    expect(searchNames.every((n) => n.length > 0)).toBe(true);
    expect(new Set(searchNames).size).toBe(searchNames.length);
    // Revisions saved in the same minute still have links that say which is which.
    const id = await firstPostId(fx.server);
    for (const text of ['First save of the minute.', 'Second save of the minute.']) {
      await page.goto(`${base}${TASKFORCE_ADMIN}/posts/${id}/edit`);
      await page.getByLabel('Text (Markdown)').fill(text);
      await follow(page, page.locator('button[name=action][value=save], button[name=action][value=publish]').first());
    }
    await page.goto(`${base}${TASKFORCE_ADMIN}/posts/${id}/revisions`);
    const linkTexts = (await page.locator('.revision-list a').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(linkTexts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(linkTexts).size).toBe(linkTexts.length);
    // The moderation queue's bulk actions come after the checkboxes they act on.
    await page.goto(`${base}/admin/moderation`);
    const order = await page.evaluate(() => {
      const boxes = document.querySelectorAll('input[name=ids]');
      const actions = document.querySelector('#bulk-form fieldset');
      return { boxes: boxes.length, after: !!actions && boxes.length > 0 && !!(boxes[boxes.length - 1]!.compareDocumentPosition(actions) & Node.DOCUMENT_POSITION_FOLLOWING) };
    });
    expect(order.boxes).toBeGreaterThan(0);
    expect(order.after).toBe(true);
    await context.close();
  }, MANY_PAGES_TIMEOUT);

  it('code blocks and wide tables in a post scroll sideways in named regions that a keyboard reaches and scrolls', async () => {
    const context = await fx.browser.newContext({ viewport: { width: WIDTHS.phone, height: 900 } });
    const page = await signInThroughForm(context, fx.server.baseUrl, 'admin@example.gov', DEMO_PASSWORD);
    await page.goto(`${fx.server.baseUrl}${TASKFORCE_ADMIN}/posts/new`);
    await page.getByLabel('Title', { exact: true }).fill('Wide things');
    const columns = Array.from({ length: 12 }, (_, i) => `Column ${i + 1}`);
    await page.getByLabel('Text (Markdown)').fill(
      ['```', `const longLine = "${'x'.repeat(200)}";`, '```', '', `| ${columns.join(' | ')} |`, `|${'---|'.repeat(12)}`, `| ${columns.map((_, i) => `value ${i}`).join(' | ')} |`].join('\n'),
    );
    await follow(page, page.getByRole('button', { name: 'Preview' }));
    for (const name of ['Code example 1', 'Table 1']) {
      const region = page.getByRole('region', { name, exact: true });
      expect(await region.count(), name).toBe(1);
      expect(await region.evaluate((el) => el.scrollWidth > el.clientWidth), `${name} scrolls`).toBe(true);
      await region.focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('End');
      // Scrolling by key may be smooth (animated): wait for it to move rather than reading it at once.
      await expect.poll(() => region.evaluate((el) => el.scrollLeft), { message: `${name} scrolled by keyboard`, timeout: 10_000 }).toBeGreaterThan(0);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTHS.phone);
    const failures: string[] = [];
    await axeLightAndDark(page, 'preview with a wide code block and table', failures);
    expect(failures.join('\n')).toBe('');
    await context.close();
  });

  it('a post page with 20 comments stays within the weight budget: HTML < 60 KB, CSS < 20 KB, no script', async () => {
    const slug = await busiestPost(fx.server);
    const post = await fx.server.db.selectFrom('posts').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
    const existing = await fx.server.db.selectFrom('comments').select((eb) => eb.fn.countAll<number>().as('n')).where('post_id', '=', post.id).where('status', '=', 'approved').executeTakeFirstOrThrow();
    for (let i = existing.n; i < 20; i++) {
      await fx.server.db.insertInto('comments').values({
        post_id: post.id, author_name: `Reader ${i}`, author_email: `reader${i}@example.com`, status: 'approved',
        body_src: 'A considered comment of ordinary length, asking a question about the work and offering an example from practice.',
        body_html: '<p>A considered comment of ordinary length, asking a question about the work and offering an example from practice.</p>',
        created_at: fx.server.clock.now(),
      }).execute();
    }
    const context = await fx.browser.newContext();
    const page = await context.newPage();
    const sizes: Record<string, number> = {};
    page.on('response', async (res) => {
      const type = res.request().resourceType();
      const body = await res.body().catch(() => Buffer.alloc(0));
      sizes[type] = (sizes[type] ?? 0) + body.length;
    });
    await page.goto(`${fx.server.baseUrl}/info-sharing-taskforce/posts/${slug}`, { waitUntil: 'networkidle' });
    expect(await page.locator('.comment').count()).toBeGreaterThanOrEqual(20);
    expect(sizes.document ?? 0).toBeLessThan(60 * 1024);
    expect(sizes.stylesheet ?? 0).toBeLessThan(20 * 1024);
    expect(sizes.script ?? 0).toBe(0);
    await context.close();
  });
});
