// Search on a small fixture corpus: ranking (title above body), websearch operators, filters,
// pagination, safe excerpts against the XSS corpus, and odd input that must never be a 500.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, type TestApp } from '../helpers/test-app.js';
import { createAuthor, createPost, createProject } from '../feeds/fixtures.js';
import { XSS_VECTORS } from '../markdown/fixtures/xss-vectors.js';
import { CANDIDATE_CAP, estimateMatches, searchPosts } from '../../server/search/queries.js';

let t: TestApp;
let alpha: number;
let beta: number;

/** Post titles in result order. */
function titles(html: string): string[] {
  return [...html.matchAll(/<h2 class="post-summary-title"><a href="[^"]+">([^<]*)<\/a><\/h2>/g)].map((m) => m[1]!);
}

const search = (query: string) => get(t.app, `/search?${query}`);

beforeAll(async () => {
  t = await buildTestApp();
  alpha = await createProject(t, 'alpha', 'Alpha project');
  beta = await createProject(t, 'beta', 'Beta project');
  const ana = await createAuthor(t, 'ana', 'Ana Author');
  const bo = await createAuthor(t, 'bo', 'Bo Writer');
  await createPost(t, { projectId: alpha, title: 'Notes from the week', body: 'We talked about the heron survey and other things.', authorIds: [ana] });
  await createPost(t, { projectId: alpha, title: 'Heron survey results', body: 'What we learned this month.', authorIds: [bo], tags: ['Wildlife'] });
  await createPost(t, { projectId: beta, title: 'Budget update', body: 'The budget for the river project is agreed.', authorIds: [bo], tags: ['Money'] });
  await createPost(t, { projectId: beta, title: 'River walk', body: 'A walk by the river. No budget talk at all.', authorIds: [ana], tags: ['Wildlife'] });
  await createPost(t, { projectId: beta, title: 'Privacy work', body: 'Our privacy impact assessment is done. Impact on privacy is small.', authorIds: [ana] });
  await createPost(t, { projectId: beta, title: 'Assessment plans', body: 'We will assess the impact, and privacy too.', authorIds: [ana] });
  await createPost(t, { projectId: alpha, title: 'Otter sightings', body: 'Sightings noted.', summary: 'Where kingfishers were seen', authorIds: [ana] });
  await createPost(t, { projectId: alpha, title: 'Tagged only', body: 'Nothing else here.', tags: ['Kestrel'], authorIds: [ana] });
  await createPost(t, { projectId: alpha, title: 'Draft heron', body: 'heron draft', status: 'draft' });
});

describe('search', () => {
  it('ranks a title match above a body match, with stemming', async () => {
    const res = await search('q=herons');
    expect(res.statusCode).toBe(200);
    expect(titles(res.body)).toEqual(['Heron survey results', 'Notes from the week']);
    expect(res.body).toContain('2 posts match');
  });

  it('searches the summary and the tags too', async () => {
    expect(titles((await search('q=kingfisher')).body)).toEqual(['Otter sightings']);
    expect(titles((await search('q=kestrel')).body)).toEqual(['Tagged only']);
  });

  it('keeps the index current when tags are added, renamed or removed', async () => {
    const post = await t.db.selectFrom('posts').select('id').where('title', '=', 'Budget update').executeTakeFirstOrThrow();
    const tag = await t.db.insertInto('tags').values({ project_id: beta, slug: 'osprey', name: 'Osprey' }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('post_tags').values({ post_id: post.id, tag_id: tag.id }).execute();
    expect(titles((await search('q=osprey')).body)).toEqual(['Budget update']);
    await t.db.updateTable('tags').set({ name: 'Buzzard' }).where('id', '=', tag.id).execute();
    expect(titles((await search('q=osprey')).body)).toEqual([]);
    expect(titles((await search('q=buzzard')).body)).toEqual(['Budget update']);
    await t.db.deleteFrom('post_tags').where('tag_id', '=', tag.id).execute();
    expect(titles((await search('q=buzzard')).body)).toEqual([]);
  });

  it('understands "phrases", -exclusions and or', async () => {
    expect(titles((await search(`q=${encodeURIComponent('"privacy impact assessment"')}`)).body)).toEqual(['Privacy work']);
    expect(titles((await search(`q=${encodeURIComponent('privacy impact')}`)).body).sort()).toEqual(['Assessment plans', 'Privacy work']);
    expect(titles((await search(`q=${encodeURIComponent('budget -walk')}`)).body)).toEqual(['Budget update']);
    expect(titles((await search(`q=${encodeURIComponent('otter or kestrel')}`)).body).sort()).toEqual(['Otter sightings', 'Tagged only']);
  });

  it('narrows by project, tag and author', async () => {
    expect(titles((await search('q=budget&project=beta')).body).sort()).toEqual(['Budget update', 'River walk']);
    expect(titles((await search('q=budget&project=alpha')).body)).toEqual([]);
    expect(titles((await search('q=budget&author=bo')).body)).toEqual(['Budget update']);
    expect(titles((await search('q=heron&tag=wildlife')).body)).toEqual(['Heron survey results']);
    expect(titles((await search('q=river&tag=wildlife&project=beta&author=ana')).body)).toEqual(['River walk']);
    const unknown = await search('q=budget&project=nope');
    expect(unknown.statusCode).toBe(200);
    expect(unknown.body).toContain('There is no project with that name');
  });

  it('offers project, tag and author filters as plain form controls that reproduce the URL', async () => {
    const empty = await search('');
    expect(empty.statusCode).toBe(200);
    const form = empty.body.slice(empty.body.indexOf('<form class="search-page-form"'), empty.body.indexOf('</form>', empty.body.indexOf('<form class="search-page-form"')));
    expect(form).toContain('method="get"');
    expect(form).toMatch(/<label for="search-project">[^<]+<\/label>\s*<select id="search-project" name="project">/);
    expect(form).toContain('<option value="" selected>Every project</option>');
    expect(form).toContain('<option value="alpha">Alpha project</option>');
    expect(form).toContain('<option value="beta">Beta project</option>');
    expect(form).toMatch(/<label for="search-tag">[^<]+<\/label>\s*<input id="search-tag" name="tag" type="text"/);
    expect(form).toMatch(/<label for="search-author">[^<]+<\/label>\s*<select id="search-author" name="author">/);
    // Only people with public posts are offered.
    expect(form).toContain('<option value="ana">Ana Author</option>');
    expect(form).toContain('<option value="bo">Bo Writer</option>');
    expect(form).not.toContain('<script');

    // What a browser sends from the form (empty selects included) narrows as the URL does; a tag may be typed by name.
    const sent = await search('q=river&project=beta&tag=Wildlife&author=ana');
    expect(titles(sent.body)).toEqual(['River walk']);
    expect(sent.body).toContain('<option value="beta" selected>Beta project</option>');
    expect(sent.body).toContain('<option value="ana" selected>Ana Author</option>');
    expect(sent.body).toContain('<input id="search-tag" name="tag" type="text" maxlength="80" value="wildlife"');
    expect(titles((await search('q=budget&project=&tag=&author=')).body).sort()).toEqual(['Budget update', 'River walk']);
  });

  it('never shows drafts', async () => {
    expect((await search('q=draft')).body).not.toContain('Draft heron');
  });

  it('pages through results ten at a time, and each page offers the search feed with the same filters', async () => {
    for (let i = 0; i < 14; i++) await createPost(t, { projectId: alpha, title: `Pagination post ${i}`, body: 'zebrafish' });
    const first = await search('q=zebrafish&project=alpha');
    expect(titles(first.body)).toHaveLength(10);
    expect(first.body).toContain('14 posts match');
    expect(first.body).toContain('rel="next" href="/search?q=zebrafish&amp;project=alpha&amp;page=2"');
    expect(first.body).toContain('href="/search/feed.atom?q=zebrafish&amp;project=alpha">Subscribe to this search</a>');
    const second = await search('q=zebrafish&project=alpha&page=2');
    expect(titles(second.body)).toHaveLength(4);
    expect(new Set([...titles(first.body), ...titles(second.body)]).size).toBe(14);
    const beyond = await search('q=zebrafish&page=9');
    expect(beyond.statusCode).toBe(200);
    expect(beyond.body).toContain('There is no such page of results');
    const feed = await get(t.app, '/search/feed.atom?q=zebrafish&project=alpha');
    expect(feed.statusCode).toBe(200);
    expect(feed.body.match(/<entry>/g)).toHaveLength(14);
    // newest first
    expect(feed.body.indexOf('Pagination post 13')).toBeLessThan(feed.body.indexOf('Pagination post 12'));
  });

  it('highlights matches in an excerpt with <mark>', async () => {
    const res = await search('q=privacy');
    expect(res.body).toMatch(/<p class="search-excerpt">[^]*<mark>privacy<\/mark>/i);
  });

  it('an empty search shows the form and help; a long one a clear message; odd input never a 500', async () => {
    const empty = await search('q=');
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('How to search');
    expect(empty.body).toContain('id="search-q"');
    expect((await get(t.app, '/search')).statusCode).toBe(200);
    const long = await search(`q=${'a'.repeat(201)}`);
    expect(long.statusCode).toBe(200);
    expect(long.body).toContain('too long');
    const odd = ['"', '"""', '-', 'or', '!!!', '&|!:*()', 'the', "'; DROP TABLE posts; --", '\u0000', '%00', 'a:*', '<>', '"unclosed phrase', '- - -', 'or or or', '\\', '🦦', '%ED%A0%80', 'x'.repeat(200)];
    for (const q of odd) {
      const res = await search(`q=${q.startsWith('%') ? q : encodeURIComponent(q)}`);
      expect(res.statusCode, q).toBe(200);
    }
    for (const query of ['q[]=a&q[]=b', 'q=a&page=0', 'q=a&page=-1', 'q=a&page=abc', 'q=a&project=%3Cscript%3E', 'q=a&author=NOPE', 'q=a&tag=' + 'x'.repeat(300)]) {
      expect((await search(query)).statusCode, query).toBe(200);
    }
    const stop = await search('q=the');
    expect(stop.body).toContain('only very common words');
  });

  it('results pages stay safe with the XSS corpus in titles and bodies', async () => {
    const xss = await createProject(t, 'xss', 'XSS project');
    for (const v of XSS_VECTORS) {
      const input = v.input.replace(/\u0000/g, ''); // PostgreSQL text cannot hold NUL at all
      await createPost(t, { projectId: xss, title: `quokka ${input}`.slice(0, 300), body: `quokka ${input} quokka`, summary: `quokka ${input}` });
    }
    for (let page = 1; page <= Math.ceil(XSS_VECTORS.length / 10); page++) {
      const res = await search(`q=quokka&page=${page}`);
      expect(res.statusCode).toBe(200);
      // Our own forms are the ones allowed: the search form (its value is the escaped query) and the
      // email-updates form (its hidden field carries the escaped query).
      const main = res.body
        .slice(res.body.indexOf('<main'), res.body.indexOf('</main>'))
        .replace(/<form class="search-page-form"[^]*?<\/form>/, '')
        .replace(/<form class="email-subscribe"[^]*?<\/form>/, '');
      expect(main).not.toMatch(/<script/i);
      expect(main).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
      expect(main).not.toMatch(/<(iframe|object|embed|svg|math|style|form|input|img|a\s[^>]*href="(?!\/|https?:))/i);
      expect(main).not.toMatch(/<[a-z][^<>]*\s(href|src)\s*=\s*["']?\s*(javascript|data|vbscript):/i);
      // Only our own <mark> elements come from excerpts.
      for (const excerpt of main.matchAll(/<p class="search-excerpt">([^]*?)<\/p>/g)) {
        expect(excerpt[1]!.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
      }
    }
  });
});

describe('the two ways of finding candidates (searchPosts chooses by the estimated number of matches)', () => {
  it('give the same results, counts and order: through the text index or walking the newest posts', async () => {
    const bo = await t.db.selectFrom('people').select('id').where('handle', '=', 'bo').executeTakeFirstOrThrow();
    // More than CANDIDATE_CAP matches, so that "the newest 300" is decided by the plan's ordering.
    const rows = Array.from({ length: CANDIDATE_CAP + 20 }, (_, i) => ({
      project_id: alpha,
      slug: `plan-check-${i}`,
      title: `Plan check ${i}`,
      body_md: i % 3 === 0 ? 'lapwing and curlew' : 'lapwing only',
      body_html: i % 3 === 0 ? '<p>lapwing and curlew</p>' : '<p>lapwing only</p>',
      status: 'published' as const,
      published_at: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000),
    }));
    await t.db.insertInto('posts').values(rows).execute();
    const now = t.clock.now();
    for (const filter of [
      { q: 'lapwing' },
      { q: 'lapwing curlew' },
      { q: 'lapwing -curlew', projectId: alpha },
      { q: 'budget', projectId: beta },
      { q: 'privacy impact' },
      { q: 'survey', personId: bo.id },
      { q: 'wildlife', tagSlug: 'wildlife' },
    ]) {
      for (const page of [{ limit: 10, offset: 0 }, { limit: 10, offset: 290 }]) {
        const walked = await searchPosts(t.db, now, filter, page, -1);
        const viaIndex = await searchPosts(t.db, now, filter, page, Infinity);
        expect(viaIndex, `${JSON.stringify(filter)} ${page.offset}`).toEqual(walked);
      }
    }
    const lapwing = await searchPosts(t.db, now, { q: 'lapwing' }, { limit: 10, offset: 0 }, Infinity);
    expect(lapwing.capped).toBe(true);
    expect(lapwing.hits).toHaveLength(10);
  });

  it('the estimate comes from the planner: a word no post has is estimated at few matches', async () => {
    expect(await estimateMatches(t.db, t.clock.now(), { q: 'xylophonist' })).toBeLessThan(50);
  });
});
