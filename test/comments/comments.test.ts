// Commenting from the public: the form, each rule (hold reasons, spam signals, rate limit), closed
// cases, the commenter-only "awaiting moderation" view, and that undecided comments stay private.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, get, signInAs, type TestApp } from '../helpers/test-app.js';
import { commentById, idFromLocation, ok, openPost, postComment, setSettings } from './helpers.js';

let t: TestApp;
let post: Awaited<ReturnType<typeof openPost>>;
let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  post = await openPost(t);
});
beforeEach(async () => {
  await setSettings(t, 'info-sharing-taskforce', {});
  await t.db.deleteFrom('site_settings').where('key', '=', 'comments_paused').execute();
  await t.db.updateTable('projects').set({ status: 'active' }).where('slug', '=', 'info-sharing-taskforce').execute();
  await t.db.updateTable('posts').set({ comments_open: true }).where('id', '=', post.id).execute();
});

describe('the comment form', () => {
  it('has labelled name, email and comment fields, a private-email note linking to the policy, a honeypot and a signed timestamp', async () => {
    const res = await get(t.app, post.url);
    expect(res.body).toContain('<label for="comment-name">Name</label>');
    expect(res.body).toContain('<label for="comment-email">Email</label>');
    expect(res.body).toContain('<label for="comment-body">Comment</label>');
    expect(res.body).toMatch(/never shown publicly[^<]*<a href="\/info-sharing-taskforce\/pages\/comment-policy">/);
    expect(res.body).toContain('name="website"');
    expect(res.body).toMatch(/name="rendered_at" value="\d+\.[^"]+"/);
    expect(res.body).toContain(`action="${post.url}/comments#comment-form"`);
  });

  it('Reply opens the same form for a reply to that comment', async () => {
    const parent = await t.db.selectFrom('comments').select(['id', 'author_name']).where('post_id', '=', post.id).where('status', '=', 'approved').executeTakeFirst();
    const target = parent ?? (await t.db.selectFrom('comments').select(['id', 'author_name']).where('status', '=', 'approved').executeTakeFirstOrThrow());
    const page = await get(t.app, `${post.url}?replyto=${target.id}`);
    if (parent) {
      expect(page.body).toContain(`name="parent_id" value="${target.id}"`);
      expect(page.body).toContain('Reply to ');
    }
    const unknown = await get(t.app, `${post.url}?replyto=999999`);
    expect(unknown.statusCode).toBe(200);
    expect(unknown.body).not.toContain('name="parent_id"');
  });
});

describe('holding and approving', () => {
  it('holds every comment by default (policy), redirects 303 to it, and shows it only to its writer as awaiting moderation', async () => {
    const { response, cookies } = await postComment(t, post.url, { ...ok(1), body: 'Held for a person to read.' }, { ip: freshIp() });
    expect(response.statusCode).toBe(303);
    const id = idFromLocation(response.headers.location);
    expect(response.headers.location).toBe(`${post.url}#comment-${id}`);
    const row = await commentById(t, id);
    expect(row.status).toBe('pending');
    expect(row.hold_reasons).toEqual(['policy']);
    expect(row.ip_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(row.ip_hash).not.toContain('198.51.100');

    const mine = await get(t.app, post.url, { cookies });
    expect(mine.body).toContain(`id="comment-${id}"`);
    expect(mine.body).toContain('Your comment is awaiting moderation.');
    expect(mine.body).toContain('Held for a person to read.');
    expect(mine.headers['cache-control']).toContain('private');

    const other = await get(t.app, post.url);
    expect(other.body).not.toContain('Held for a person to read.');
    expect(other.body).not.toContain('awaiting moderation');
    // A cookie naming the id without the site's signature shows nothing.
    const forged = await get(t.app, post.url, { cookies: { pb_own_comments: String(id) } });
    expect(forged.body).not.toContain('Held for a person to read.');
  });

  it('hold-first-time approves at once an email that already has an approved comment in the project', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'hold-first-time' });
    const first = await postComment(t, post.url, { name: 'New', email: 'first.timer@example.org', body: 'My first words here.' }, { ip: freshIp() });
    const firstRow = await commentById(t, idFromLocation(first.response.headers.location));
    expect(firstRow.status).toBe('pending');
    expect(firstRow.hold_reasons).toEqual(['first-time']);
    await t.db.updateTable('comments').set({ status: 'approved' }).where('id', '=', firstRow.id).execute();
    // Known: the same email from the same browser (its signed commenter cookie).
    const second = await postComment(t, post.url, { name: 'New', email: 'First.Timer@example.org', body: 'Back again, now known.' }, { ip: freshIp(), cookies: first.cookies });
    const secondRow = await commentById(t, idFromLocation(second.response.headers.location));
    expect(secondRow.status).toBe('approved');
    expect((await get(t.app, post.url)).body).toContain('Back again, now known.');
  });

  it('approve-all publishes at once', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all' });
    const { response } = await postComment(t, post.url, { ...ok(2), body: 'Straight onto the page.' }, { ip: freshIp() });
    expect((await commentById(t, idFromLocation(response.headers.location))).status).toBe('approved');
    expect((await get(t.app, post.url)).body).toContain('Straight onto the page.');
  });

  it('holds a comment with more links than allowed, whatever the policy', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all', maxLinks: 2 });
    const body = 'See https://a.example/1 and https://b.example/2 and [this](https://c.example/3).';
    const { response } = await postComment(t, post.url, { ...ok(3), body }, { ip: freshIp() });
    const row = await commentById(t, idFromLocation(response.headers.location));
    expect(row.status).toBe('pending');
    expect(row.hold_reasons).toEqual(['links']);
  });

  it('holds a comment matching a moderation keyword', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all', moderationKeywords: ['Lawsuit'] });
    const { response } = await postComment(t, post.url, { ...ok(4), body: 'This could end in a lawsuit.' }, { ip: freshIp() });
    const row = await commentById(t, idFromLocation(response.headers.location));
    expect(row.status).toBe('pending');
    expect(row.hold_reasons).toEqual(['keyword']);
  });
});

describe('spam signals', () => {
  const cases: Array<[string, Record<string, string>, Parameters<typeof postComment>[3], string]> = [
    ['a blocklist match', { body: 'Buy cheap pills now' }, {}, 'blocklist'],
    ['the honeypot filled', { website: 'http://spam.example' }, {}, 'honeypot'],
    ['posting faster than a person types', {}, { wait: 1 }, 'too-fast'],
    ['a missing or forged render timestamp', {}, { noTimestamp: true }, 'no-timestamp'],
    ['a forged render timestamp', { rendered_at: '0.forged' }, {}, 'no-timestamp'],
  ];
  it.each(cases)('%s marks the comment as spam', async (_name, fields, options, reason) => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all', blocklist: ['cheap pills'] });
    const { response, cookies } = await postComment(t, post.url, { ...ok(10), body: `Spam check ${reason} ${Math.random()}`, ...fields }, { ip: freshIp(), ...options });
    expect(response.statusCode).toBe(303);
    const row = await commentById(t, idFromLocation(response.headers.location));
    expect(row.status).toBe('spam');
    expect(row.hold_reasons).toContain(reason);
    // Not public; its writer is told no more than "awaiting moderation".
    expect((await get(t.app, post.url)).body).not.toContain(row.body_src);
    expect((await get(t.app, post.url, { cookies })).body).toContain('awaiting moderation');
  });

  it('a duplicate of a comment already received (same email and text) is spam', async () => {
    const fields = { name: 'Dup', email: 'dup@example.org', body: 'Exactly the same words.' };
    const first = await postComment(t, post.url, fields, { ip: freshIp() });
    expect((await commentById(t, idFromLocation(first.response.headers.location))).status).toBe('pending');
    const second = await postComment(t, post.url, fields, { ip: freshIp() });
    const row = await commentById(t, idFromLocation(second.response.headers.location));
    expect(row.status).toBe('spam');
    expect(row.hold_reasons).toEqual(['duplicate']);
  });
});

describe('rate limit per address', () => {
  it('allows 5 comments per 10 minutes from one address, then answers 429 keeping the text; other addresses are unaffected', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) {
      const { response } = await postComment(t, post.url, { ...ok(100 + i) }, { ip, wait: 5 });
      expect(response.statusCode).toBe(303);
    }
    const { response } = await postComment(t, post.url, { ...ok(200), body: 'The sixth, refused but kept.' }, { ip, wait: 5 });
    expect(response.statusCode).toBe(429);
    expect(response.body).toContain('The sixth, refused but kept.');
    expect(response.body).toContain('There is a problem');
    expect((await postComment(t, post.url, ok(201), { ip: freshIp() })).response.statusCode).toBe(303);
    t.clock.advance(10 * 60_000);
    expect((await postComment(t, post.url, ok(202), { ip })).response.statusCode).toBe(303);
  });

  it('holds under a burst: 12 comments sent at once from one address store exactly the 5 allowed', async () => {
    const ip = freshIp();
    const sent = await Promise.all(Array.from({ length: 12 }, (_, i) => postComment(t, post.url, ok(400 + i), { ip, wait: 1 })));
    const codes = sent.map((s) => s.response.statusCode);
    expect(codes.filter((c) => c === 303)).toHaveLength(5);
    expect(codes.filter((c) => c === 429)).toHaveLength(7);
  });

  it('with no rate limit, the same text sent several times at once is stored once as new and the rest as duplicates', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentsPerTenMinutes: 0 });
    const same = { ...ok(500), body: 'A double click, six times over, all at once.' };
    const sent = await Promise.all(Array.from({ length: 6 }, () => postComment(t, post.url, same, { ip: freshIp() })));
    expect(sent.every((s) => s.response.statusCode === 303)).toBe(true);
    const rows = await Promise.all(sent.map((s) => commentById(t, idFromLocation(s.response.headers.location))));
    expect(rows.filter((r) => r.hold_reasons.includes('duplicate'))).toHaveLength(5);
    expect(rows.filter((r) => r.status === 'pending')).toHaveLength(1);
  });

  it('uses the project setting', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentsPerTenMinutes: 1 });
    const ip = freshIp();
    expect((await postComment(t, post.url, ok(300), { ip })).response.statusCode).toBe(303);
    expect((await postComment(t, post.url, ok(301), { ip })).response.statusCode).toBe(429);
  });
});

describe('a refused comment is shown again with the error beside the field and the text intact', () => {
  it.each([
    ['name', { name: '' }, 'Enter your name.'],
    ['email', { email: '' }, 'Enter your email address.'],
    ['email', { email: 'not-an-email' }, 'Enter an email address in the right format'],
    ['body', { body: '' }, 'Enter your comment.'],
    ['name', { name: 'x'.repeat(101) }, '100 characters or fewer'],
  ])('%s: %j', async (field, override, message) => {
    const fields = { ...ok(400), body: 'Kept text 400', ...override };
    const { response } = await postComment(t, post.url, fields, { ip: freshIp() });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('There is a problem');
    expect(response.body).toContain(`href="#comment-${field}"`);
    expect(response.body).toContain(`id="comment-${field}-error"`);
    expect(response.body).toMatch(new RegExp(`id="comment-${field}"[^>]*aria-describedby="[^"]*comment-${field}-error"[^>]*aria-invalid="true"`));
    expect(response.body).toContain(message);
    if (fields.body) expect(response.body).toContain(fields.body);
    expect(await t.db.selectFrom('comments').select('id').where('body_src', '=', 'Kept text 400').executeTakeFirst()).toBeUndefined();
  });

  it('a comment longer than the project limit', async () => {
    await setSettings(t, 'info-sharing-taskforce', { maxCommentLength: 20 });
    const { response } = await postComment(t, post.url, { ...ok(401), body: 'This comment is much too long.' }, { ip: freshIp() });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('20 characters or fewer');
    expect(response.body).toContain('This comment is much too long.');
  });

  it('an expired form (CSRF) is refused, nothing saved, the text shown back', async () => {
    const page = await get(t.app, post.url);
    const renderedAt = /name="rendered_at" value="([^"]+)"/.exec(page.body)![1]!;
    const res = await t.app.inject({
      method: 'POST',
      url: `${post.url}/comments`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: 'stale', rendered_at: renderedAt, name: 'Late', email: 'late@example.org', body: 'Typed before lunch.' }).toString(),
    });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This form had expired');
    expect(res.body).toContain('Typed before lunch.');
    expect(await t.db.selectFrom('comments').select('id').where('body_src', '=', 'Typed before lunch.').executeTakeFirst()).toBeUndefined();
  });

  describe('a comment sent from another site (forgery) is refused, nothing saved, the text shown back', () => {
    const forged = async (headers: Record<string, string>, tokenFrom = post.url) => {
      const page = await get(t.app, tokenFrom);
      const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const renderedAt = /name="rendered_at" value="([^"]+)"/.exec(page.body)![1]!;
      t.clock.advance(30_000);
      const body = `Forged ${Object.entries(headers).map(([k, v]) => `${k} ${v}`).join(' ')} ${tokenFrom === post.url ? '' : 'other post'}`.trim();
      const res = await t.app.inject({
        method: 'POST',
        url: `${post.url}/comments`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'blogs.example.gov', ...headers },
        payload: new URLSearchParams({ _csrf: token, rendered_at: renderedAt.replace(/&#39;/g, "'"), website: '', name: 'Sam', email: 'sam-forged@example.org', body }).toString(),
        remoteAddress: freshIp(),
      });
      const saved = await t.db.selectFrom('comments').select('id').where('body_src', '=', body).executeTakeFirst();
      return { res, body, saved };
    };
    it.each([
      [{ origin: 'https://evil.example' }],
      [{ origin: 'null' }],
      [{ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
      [{ 'sec-fetch-site': 'same-site' }],
      [{ referer: 'https://evil.example/page' }],
    ])('%j', async (headers) => {
      const { res, body, saved } = await forged(headers);
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('did not come from this site');
      expect(res.body).toContain(body);
      expect(saved).toBeUndefined();
    });

    it('the form token of another post is refused too', async () => {
      const other = await t.db.selectFrom('posts').select('slug').where('project_id', '=', post.projectId).where('status', '=', 'published').where('comments_open', '=', true).where('id', '<>', post.id).executeTakeFirstOrThrow();
      const { res, saved } = await forged({}, `/info-sharing-taskforce/posts/${other.slug}`);
      expect(res.statusCode).toBe(403);
      expect(saved).toBeUndefined();
    });

    it.each([
      [{ origin: 'http://blogs.example.gov' }],
      [{ 'sec-fetch-site': 'same-origin', origin: 'http://blogs.example.gov' }],
      [{ referer: 'http://blogs.example.gov/info-sharing-taskforce/posts/x' }],
      [{ origin: 'https://blogs.example.gov', host: 'blogs.example.gov:443' }],
      [{}],
    ])('from this site it is accepted: %j', async (headers) => {
      const { res, saved } = await forged(headers);
      expect(res.statusCode).toBe(303);
      expect(saved).toBeDefined();
    });
  });

  it('the post page is the same for every reader: public, with an ETag, no cookie, 304 when unchanged', async () => {
    const first = await get(t.app, post.url);
    expect(first.headers['cache-control']).toContain('public');
    expect(first.headers['set-cookie']).toBeUndefined();
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"/);
    const again = await t.app.inject({ method: 'GET', url: post.url, headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
  });

  it('a POST to a post that does not exist is a 404 page', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/info-sharing-taskforce/posts/no-such-post/comments', payload: {} });
    expect(res.statusCode).toBe(404);
  });
});

describe('replies', () => {
  it('a reply goes under its parent, and a reply to a 3rd-level comment attaches at the 3rd level', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all' });
    let parentId: number | undefined;
    const ids: number[] = [];
    for (let level = 1; level <= 4; level++) {
      const url = parentId ? `${post.url}?replyto=${parentId}` : post.url;
      const { response } = await postComment(t, url, { ...ok(500 + level), body: `Level ${level} words` }, { ip: freshIp() });
      parentId = idFromLocation(response.headers.location);
      ids.push(parentId);
    }
    const rows = await Promise.all(ids.map((id) => commentById(t, id)));
    expect(rows.map((r) => r.depth)).toEqual([1, 2, 3, 3]);
    expect(rows[1]!.parent_id).toBe(ids[0]);
    expect(rows[2]!.parent_id).toBe(ids[1]);
    expect(rows[3]!.parent_id).toBe(ids[1]);
  });
});

describe('closed comments', () => {
  const closers: Array<[string, () => Promise<void>, RegExp]> = [
    ['the post switch', async () => void (await t.db.updateTable('posts').set({ comments_open: false }).where('id', '=', post.id).execute()), /Comments are closed\./],
    ['the project archived', async () => void (await t.db.updateTable('projects').set({ status: 'archived' }).where('slug', '=', 'info-sharing-taskforce').execute()), /this project is archived/],
    ['the project closed', async () => void (await t.db.updateTable('projects').set({ status: 'closed' }).where('slug', '=', 'info-sharing-taskforce').execute()), /this project is closed/],
    ['autoCloseDays after publishing', async () => setSettings(t, 'info-sharing-taskforce', { autoCloseDays: 1 }), /closed 1 day after this post was published/],
    [
      'the site-wide pause',
      async () => void (await t.db.insertInto('site_settings').values({ key: 'comments_paused', value: JSON.stringify({ message: 'Paused for the election.', since: '' }) }).execute()),
      /Comments are paused\.<\/strong> Paused for the election\./,
    ],
  ];
  it.each(closers)('closed by %s: the form is gone and a POST is refused with the text shown back', async (_name, close, message) => {
    const page = await get(t.app, post.url);
    const csrfCookies = page.cookies;
    expect(page.body).toContain('name="body"');
    await close();
    const closedPage = await get(t.app, post.url);
    expect(closedPage.body).not.toContain('action="' + post.url + '/comments');
    expect(closedPage.body).toMatch(message);
    expect(closedPage.body).not.toContain('?replyto=');
    // A form rendered before closing, sent after.
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const res = await t.app.inject({
      method: 'POST',
      url: `${post.url}/comments`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      cookies: Object.fromEntries(csrfCookies.map((c) => [c.name, c.value])),
      payload: new URLSearchParams({ _csrf: token, name: 'Late', email: 'late@example.org', body: 'Sent after closing.' }).toString(),
      remoteAddress: freshIp(),
    });
    expect(res.statusCode).toBe(409);
    expect(res.body).toMatch(message);
    expect(res.body).toContain('Sent after closing.');
    expect(await t.db.selectFrom('comments').select('id').where('body_src', '=', 'Sent after closing.').executeTakeFirst()).toBeUndefined();
  });

  it('a site admin pauses and resumes comments at /admin/comments-pause; others may not', async () => {
    const { submitForm } = await import('../helpers/test-app.js');
    const admin = await signInAs(t, 'admin@example.gov');
    const paused = await submitForm(t.app, '/admin/comments-pause', '/admin/comments-pause', { action: 'pause', message: 'Pre-election pause.' }, admin);
    expect(paused.response.statusCode).toBe(303);
    expect((await get(t.app, post.url)).body).toContain('Pre-election pause.');
    const other = await get(t.app, '/community-health-review/');
    expect(other.statusCode).toBe(200);
    const resumed = await submitForm(t.app, '/admin/comments-pause', '/admin/comments-pause', { action: 'resume' }, admin);
    expect(resumed.response.statusCode).toBe(303);
    expect((await get(t.app, post.url)).body).toContain('name="body"');
    const owner = await signInAs(t, 'amira.hassan@example.gov');
    expect((await get(t.app, '/admin/comments-pause', { cookies: owner })).statusCode).toBe(403);
  });
});

describe('privacy of undecided comments', () => {
  it('pending, rejected, spam and deleted comments never appear on public pages; rejected ones are counted as withheld, spam the rules caught is not', async () => {
    const marks: Record<string, string> = { pending: 'PENDINGMARK', rejected: 'REJECTEDMARK', spam: 'SPAMMARK', deleted: 'DELETEDMARK' };
    const before = await get(t.app, post.url);
    const withheldBefore = Number(/(\d+) comments? (?:was|were) not published/.exec(before.body)?.[1] ?? 0);
    for (const [status, mark] of Object.entries(marks)) {
      await t.db.insertInto('comments').values({
        post_id: post.id, status: status as 'pending', author_name: `${mark}-name`, author_email: `${mark.toLowerCase()}@example.org`,
        body_src: mark, body_html: `<p>${mark}</p>`, created_at: t.clock.now(),
      }).execute();
    }
    for (const url of [post.url, '/', '/info-sharing-taskforce/', '/info-sharing-taskforce/team']) {
      const res = await get(t.app, url);
      for (const mark of Object.values(marks)) expect(res.body, `${url} shows ${mark}`).not.toContain(mark);
      expect(res.body).not.toMatch(/@example\.org/);
    }
    const after = await get(t.app, post.url);
    expect(after.body).toContain(`${withheldBefore + 1} ${withheldBefore + 1 === 1 ? 'comment was' : 'comments were'} not published under the <a href="/info-sharing-taskforce/pages/comment-policy">comment policy</a>`);
    await setSettings(t, 'info-sharing-taskforce', { showWithheldCount: false });
    expect((await get(t.app, post.url)).body).not.toContain('not published under');
  });
});

describe('a spam flood', () => {
  it('30 posts from one address (duplicates, honeypot, too fast) are caught by the rules: nothing is published', async () => {
    await setSettings(t, 'info-sharing-taskforce', { commentPolicy: 'approve-all' });
    const flood = await openPost(t, 1);
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const fields = { name: 'Bot', email: 'bot@spam.example', body: 'Visit my great site', ...(i % 3 === 0 ? { website: 'x' } : {}) };
      const { response } = await postComment(t, flood.url, fields, { ip, wait: i % 2 ? 1 : 0.5 });
      statuses.push(response.statusCode);
    }
    expect(statuses.filter((s) => s === 303)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
    const rows = await t.db.selectFrom('comments').select(['status']).where('post_id', '=', flood.id).where('author_email', '=', 'bot@spam.example').execute();
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.status === 'spam')).toBe(true);
    expect((await get(t.app, flood.url)).body).not.toContain('Visit my great site');
  });
});
