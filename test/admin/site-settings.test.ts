// The site's name, description and organisation are settings a site admin edits; pages, feeds and OPML
// use them, and cached pages follow a change (on this server at once, on others through NOTIFY).
import { beforeAll, describe, expect, it } from 'vitest';
import { saveSiteSettings } from '../../server/site/settings.js';
import { buildTestApp, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let admin: Record<string, string>;
beforeAll(async () => {
  t = await buildTestApp({ seed: true, pageCache: true });
  admin = await signInAs(t, 'admin@example.gov');
});

const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];

/** Waits, within a bound, for a condition that a NOTIFY makes true. */
async function eventually(check: () => Promise<boolean>, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('site settings', () => {
  it('are the defaults before anyone edits them', async () => {
    expect(titleOf((await get(t.app, '/')).body)).toMatch(/ · Project blogs$/);
  });

  it('only site admins may edit them', async () => {
    const owner = await signInAs(t, 'amira.hassan@example.gov');
    expect((await get(t.app, '/admin/site', { cookies: owner })).statusCode).toBe(403);
    expect((await get(t.app, '/admin', { cookies: admin })).body).toContain('href="/admin/site"');
  });

  it('refuses an empty name and over-long text, keeping what was typed', async () => {
    const { response } = await submitForm(t.app, '/admin/site', '/admin/site', { name: '  ', description: 'x'.repeat(201), organisation: 'Roads Authority' }, admin);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Enter the site’s name.');
    expect(response.body).toContain('Use at most 200 characters.');
    expect(response.body).toContain('value="Roads Authority"');
  });

  it('a saved name, description and organisation appear in titles, headers, the footer, feeds, OPML and error pages at once', async () => {
    // Cached first, so that the test shows the cache follows the change.
    expect((await get(t.app, '/')).body).toContain('Project blogs');
    const feedBefore = await get(t.app, '/feed.atom');
    const { response } = await submitForm(
      t.app,
      '/admin/site',
      '/admin/site',
      { name: 'Roads & Bridges blogs', description: 'What the roads team is doing, week by week.', organisation: 'Roads Authority of Examplia' },
      admin,
    );
    expect(response.statusCode).toBe(303);
    const home = await get(t.app, '/');
    expect(titleOf(home.body)).toMatch(/ · Roads &amp; Bridges blogs$/);
    expect(home.body).toMatch(/class="site-name"><a href="\/">Roads &amp; Bridges blogs<\/a>/);
    expect(home.body).toContain('<meta name="description" content="What the roads team is doing, week by week.">');
    expect(home.body).toContain('Roads Authority of Examplia');
    expect(titleOf((await get(t.app, '/info-sharing-taskforce/')).body)).toMatch(/Roads &amp; Bridges blogs$/);
    const feed = await get(t.app, '/feed.atom');
    expect(feed.body).toContain('<title type="text">Roads &amp; Bridges blogs: latest posts from every project</title>');
    expect(feed.body).toContain('<name>Roads Authority of Examplia</name>');
    expect(feed.headers.etag).not.toBe(feedBefore.headers.etag);
    // RSS and OPML text carry markup characters as character references (feeds/xml.ts: rssText).
    expect((await get(t.app, '/feed.rss')).body).toContain('<title>Roads &#x26; Bridges blogs: latest posts from every project</title>');
    const opml = await get(t.app, '/feeds.opml');
    expect(opml.body).toContain('<title>Roads &#x26; Bridges blogs: every project&apos;s feed</title>');
    expect(opml.body).toContain('<ownerName>Roads Authority of Examplia</ownerName>');
    expect(titleOf((await get(t.app, '/no-such-project/')).body)).toMatch(/Roads &amp; Bridges blogs$/);
  });

  it('a change saved by another server reaches this one through NOTIFY, cached pages included', async () => {
    expect((await get(t.app, '/')).body).toContain('Roads &amp; Bridges blogs');
    await saveSiteSettings(t.db, { name: 'Harbour works', description: 'Harbour news.', organisation: '' }, t.clock.now());
    expect(await eventually(async () => titleOf((await get(t.app, '/')).body)?.endsWith(' · Harbour works') ?? false)).toBe(true);
    expect((await get(t.app, '/')).body).not.toContain('Roads Authority of Examplia');
  });
});
