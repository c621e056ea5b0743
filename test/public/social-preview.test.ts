// Issue 16, item 10: a post with an image has a social preview image (og:image with its alt text,
// twitter:card summary_large_image); a post without one has neither.
import { beforeAll, describe, expect, it } from 'vitest';
import { socialImageOf } from '../../server/post-page/page.js';
import { buildTestApp, get, signInAs, type TestApp } from '../helpers/test-app.js';
import { P, postAs } from '../editor/helpers.js';

let t: TestApp;
let owner: Record<string, string>;
const SHA = 'a'.repeat(64);

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  owner = await signInAs(t, 'amira.hassan@example.gov');
});

const base = { slug: '', summary: 'Short', tags: '', comments_open: 'on', action: 'publish' };

describe('social preview image', () => {
  it('uses the first image of a post, absolute, with its description and a large summary card', async () => {
    const body = `Intro.\n\n![Sticky notes "grouped" into five themes](/media/${SHA}.png)\n\n![Second](https://example.org/b.png)\n`;
    expect((await postAs(t, owner, `${P}/posts`, { ...base, title: 'Post with a picture', body })).statusCode).toBe(303);
    const page = await get(t.app, '/info-sharing-taskforce/posts/post-with-a-picture');
    expect(page.statusCode).toBe(200);
    const canonical = /<link rel="canonical" href="([^"]+)"/.exec(page.body)![1]!;
    const origin = new URL(canonical).origin;
    expect(page.body).toContain(`<meta property="og:image" content="${origin}/media/${SHA}.png">`);
    expect(page.body).toContain('<meta property="og:image:alt" content="Sticky notes &quot;grouped&quot; into five themes">');
    expect(page.body).toContain('<meta name="twitter:card" content="summary_large_image">');
  });

  it('gives a post without an image no og:image and no large card', async () => {
    expect((await postAs(t, owner, `${P}/posts`, { ...base, title: 'Post without a picture', body: 'Only words.' })).statusCode).toBe(303);
    const page = await get(t.app, '/info-sharing-taskforce/posts/post-without-a-picture');
    expect(page.body).not.toContain('og:image');
    expect(page.body).not.toContain('twitter:card');
  });

  it('keeps an absolute image address as it is and ignores anything but http(s) and site paths', () => {
    expect(socialImageOf('<p><img src="https://example.org/a.png?x=1&amp;y=2" alt=""></p>')).toEqual({ src: 'https://example.org/a.png?x=1&y=2', alt: '' });
    expect(socialImageOf('<p><img src="//evil.example/a.png" alt="x"></p>')).toBeUndefined();
    expect(socialImageOf('<p>No image</p>')).toBeUndefined();
  });
});
