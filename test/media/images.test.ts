// Image uploads from the editor and the /media/ URLs: type by content, size limit, dedupe, caching.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cookiesFrom, get, signInAs, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let owner: Record<string, string>;
let postId: number;
const P = '/admin/projects/info-sharing-taskforce';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('png-body')]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('jpeg-body')]);
const GIF = Buffer.from('GIF89a-gif-body');
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x10, 0, 0, 0]), Buffer.from('WEBPVP8 webp-body')]);

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  owner = await signInAs(t, 'amira.hassan@example.gov');
  const post = await t.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id').select('posts.id').where('projects.slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow();
  postId = post.id;
});

/** Builds a multipart body like a browser's. */
function multipart(fields: Record<string, string>, file?: { name: string; type: string; bytes: Buffer }) {
  const boundary = '----test' + Math.random().toString(16).slice(2);
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`));
    chunks.push(file.bytes, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Loads the upload form (for the CSRF cookie and token), then posts the file. */
export async function upload(
  app: TestApp['app'],
  jar: Record<string, string>,
  file?: { name: string; type: string; bytes: Buffer },
  opts: { csrf?: boolean; post?: number; alt?: string; decorative?: boolean } = {},
) {
  const page = await get(app, `${P}/images/new`, { cookies: jar });
  const cookies = { ...jar, ...cookiesFrom(page) };
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const fields: Record<string, string> = opts.csrf === false ? {} : { _csrf: token };
  if (opts.post) fields.post = String(opts.post);
  fields.alt = opts.alt ?? 'A test picture';
  if (opts.decorative) fields.decorative = 'on';
  const { payload, contentType } = multipart(fields, file);
  return app.inject({ method: 'POST', url: `${P}/images`, cookies, headers: { 'content-type': contentType }, payload });
}

describe('alt text at upload (issue 16, item 10)', () => {
  it('refuses an image with no description unless it is marked decorative, keeping what was typed', async () => {
    const bytes = Buffer.concat([PNG, Buffer.from('no-alt')]);
    const res = await upload(t.app, owner, { name: 'a.png', type: 'image/png', bytes }, { alt: '   ', post: postId });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Describe the image for people who cannot see it');
    expect(res.body).toMatch(/<a href="#image-alt">/);
    expect(res.body).toMatch(/id="image-alt"[^>]*aria-invalid="true"/);
    const rows = await t.db.selectFrom('images').select('id').where('byte_size', '=', bytes.length).execute();
    expect(rows).toHaveLength(0);
  });

  it('puts the description into the Markdown to paste, with brackets escaped', async () => {
    const res = await upload(t.app, owner, { name: 'a.png', type: 'image/png', bytes: Buffer.concat([PNG, Buffer.from('alt')]) }, { alt: 'Chart [draft] of  five\nthemes', post: postId });
    expect(res.statusCode).toBe(303);
    const edit = await get(t.app, res.headers.location as string, { cookies: owner });
    expect(edit.body).toMatch(/value="!\[Chart \\\[draft\\\] of five themes\]\(\/media\/[0-9a-f]{64}\.png\)"/);
  });

  it('accepts an explicitly decorative image with an empty description', async () => {
    const res = await upload(t.app, owner, { name: 'a.gif', type: 'image/gif', bytes: Buffer.concat([GIF, Buffer.from('deco')]) }, { alt: '', decorative: true });
    expect(res.statusCode).toBe(200);
    const sha = /value="!\[\]\(\/media\/([0-9a-f]{64})\.gif\)"/.exec(res.body)?.[1];
    expect(sha).toBeDefined();
    const row = await t.db.selectFrom('images').select('alt_text').where('sha256', '=', sha!).executeTakeFirstOrThrow();
    expect(row.alt_text).toBe('');
  });
});

describe('image uploads', () => {
  it.each([
    ['PNG', PNG, 'png', 'image/png'],
    ['JPEG', JPEG, 'jpg', 'image/jpeg'],
    ['GIF', GIF, 'gif', 'image/gif'],
    ['WebP', WEBP, 'webp', 'image/webp'],
  ])('accepts a %s by its content, serves it with immutable caching and shows the Markdown to paste', async (_label, bytes, ext, type) => {
    const res = await upload(t.app, owner, { name: `picture.${ext}`, type, bytes }, { post: postId });
    expect(res.statusCode).toBe(303);
    const location = res.headers.location as string;
    expect(location).toMatch(new RegExp(`^${P}/posts/${postId}/edit\\?image=[0-9a-f]{64}\\.${ext}$`));
    const file = location.split('image=')[1]!;
    const edit = await get(t.app, location, { cookies: owner });
    expect(edit.body).toContain(`![A test picture](/media/${file})`);
    const media = await get(t.app, `/media/${file}`);
    expect(media.statusCode).toBe(200);
    expect(media.headers['content-type']).toBe(type);
    expect(media.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(media.headers['x-content-type-options']).toBe('nosniff');
    expect(media.rawPayload.equals(bytes)).toBe(true);
  });

  it('detects a PNG renamed .jpg as a PNG', async () => {
    const res = await upload(t.app, owner, { name: 'photo.jpg', type: 'image/jpeg', bytes: Buffer.concat([PNG, Buffer.from('renamed')]) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/\/media\/[0-9a-f]{64}\.png\)/);
  });

  it('stores the same bytes once', async () => {
    const bytes = Buffer.concat([GIF, Buffer.from('dedupe')]);
    await upload(t.app, owner, { name: 'a.gif', type: 'image/gif', bytes });
    await upload(t.app, owner, { name: 'b.gif', type: 'image/gif', bytes });
    const rows = await t.db.selectFrom('images').select('id').where('byte_size', '=', bytes.length).execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses a text file named .png with a clear message', async () => {
    const res = await upload(t.app, owner, { name: 'notes.png', type: 'image/png', bytes: Buffer.from('just some text, not an image') });
    expect(res.statusCode).toBe(415);
    expect(res.body).toContain('not a PNG, JPEG, GIF or WebP image');
    expect(res.body).toContain('aria-invalid="true"');
  });

  it('refuses an SVG (scripts) even when it claims to be an image', async () => {
    const res = await upload(t.app, owner, { name: 'x.svg', type: 'image/svg+xml', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
    expect(res.statusCode).toBe(415);
  });

  it('refuses an empty file and a missing file', async () => {
    const empty = await upload(t.app, owner, { name: 'empty.png', type: 'image/png', bytes: Buffer.alloc(0) });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('The file is empty');
    const none = await upload(t.app, owner);
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain('Choose an image file');
  });

  it('refuses a file over 5 MB with a clear message, not a 500', async () => {
    const big = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024 + 10)]);
    const res = await upload(t.app, owner, { name: 'big.png', type: 'image/png', bytes: big });
    expect(res.statusCode).toBe(413);
    expect(res.body).toContain('larger than 5 MB');
  });

  it('refuses an upload without the CSRF token (403 page)', async () => {
    const res = await upload(t.app, owner, { name: 'a.png', type: 'image/png', bytes: PNG }, { csrf: false });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('text/html');
  });

  it('refuses uploads from moderators, non-members and the signed-out', async () => {
    const helen = await signInAs(t, 'helen.mcbride@example.gov'); // moderator of the other project only
    expect((await upload(t.app, helen, { name: 'a.png', type: 'image/png', bytes: PNG })).statusCode).toBe(403);
    const res = await upload(t.app, {}, { name: 'a.png', type: 'image/png', bytes: PNG });
    expect(res.statusCode).toBe(403);
    const form = await get(t.app, `${P}/images/new`);
    expect(form.statusCode).toBe(303);
    expect(form.headers.location).toMatch(/^\/login\?next=/);
  });

  it('answers 404 for unknown or malformed media URLs', async () => {
    expect((await get(t.app, `/media/${'0'.repeat(64)}.png`)).statusCode).toBe(404);
    expect((await get(t.app, '/media/nope.png')).statusCode).toBe(404);
    expect((await get(t.app, '/media/../etc/passwd')).statusCode).toBe(404);
  });
});
