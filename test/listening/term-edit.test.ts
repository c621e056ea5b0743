// Editing a key term on the sources page: a plain HTML form per term (no JavaScript, with the CSRF
// token), which keeps what was typed when it is refused (empty, only common words, a term the project
// has already), and whose change finds the term's matches again (the listen:match-term job).
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertNewItems } from '../../server/listening/queries.js';
import { formOn } from '../helpers/html-forms.js';
import { buildTestApp, createPerson, get, runJobs, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
let editor: Record<string, string>;
let projectId: number;
const SOURCES = '/admin/projects/ears/listening/sources';
const TERMS = '/admin/projects/ears/listening/terms';

beforeAll(async () => {
  t = await buildTestApp();
  const projects = await t.db.insertInto('projects').values([{ slug: 'ears', title: 'Ears', settings: '{}' }, { slug: 'other', title: 'Other', settings: '{}' }]).returning('id').execute();
  projectId = Number(projects[0]!.id);
  await createPerson(t, { email: 'ed@example.org', handle: 'ed' }, { projectId, role: 'editor' });
  editor = await signInAs(t, 'ed@example.org');
  const source = await t.db.insertInto('listen_sources').values({ project_id: projectId, url: 'https://elsewhere.example/feed.xml', mode: 'matches' }).returning('id').executeTakeFirstOrThrow();
  const item = (guid: string, title: string) => ({ guid, url: `https://elsewhere.example/${guid}`, title, author: '', contentHtml: '', contentText: title, publishedAt: null });
  await insertNewItems(t.db, projectId, Number(source.id), [item('a', 'The bus timetable changes'), item('b', 'A new cycle lane'), item('c', 'Library opening hours')], t.clock.now());
});

const matchedTitles = async (query: string) =>
  (
    await sql<{ title: string }>`SELECT i.title FROM listen_term_matches m JOIN listen_items i ON i.id = m.item_id JOIN listen_terms t ON t.id = m.term_id WHERE t.query = ${query} ORDER BY i.title`.execute(t.db)
  ).rows.map((r) => r.title);

describe('editing a key term', () => {
  it('changes the term from a form on the sources page and finds its matches again', async () => {
    await submitForm(t.app, SOURCES, TERMS, { term: 'bus' }, editor);
    await runJobs(t);
    expect(await matchedTitles('bus')).toEqual(['The bus timetable changes']);
    const term = await t.db.selectFrom('listen_terms').select('id').where('query', '=', 'bus').executeTakeFirstOrThrow();

    // The form: plain HTML, CSRF token, the current text filled in.
    const page = await get(t.app, SOURCES, { cookies: editor });
    const fields = formOn(page.body, `${TERMS}/${term.id}/edit`);
    expect(fields._csrf).toBeTruthy();
    expect(page.body).toMatch(new RegExp(`<label for="term-${term.id}">Change “bus” to</label>`));
    expect(page.body).toContain(`id="term-${term.id}" name="query" type="text" value="bus"`);

    const { response } = await submitForm(t.app, SOURCES, `${TERMS}/${term.id}/edit`, { query: '  cycle   lane ' }, editor);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('“bus” is now “cycle lane”');
    expect(await t.db.selectFrom('listen_terms').select(['id', 'query']).where('project_id', '=', projectId).execute()).toEqual([{ id: term.id, query: 'cycle lane' }]);
    await runJobs(t);
    expect(await matchedTitles('cycle lane')).toEqual(['A new cycle lane']);
  });

  it('keeps what was typed when the change is refused, and changes nothing', async () => {
    await submitForm(t.app, SOURCES, TERMS, { term: 'library' }, editor);
    const cycle = await t.db.selectFrom('listen_terms').select('id').where('query', '=', 'cycle lane').executeTakeFirstOrThrow();
    for (const [typed, message] of [
      ['   ', 'Enter a word or a phrase to listen for.'],
      ['the <and> of', 'That term has no words we can search for'],
      ['library', 'This project already listens for “library”.'],
    ] as const) {
      const { response } = await submitForm(t.app, SOURCES, `${TERMS}/${cycle.id}/edit`, { query: typed }, editor);
      expect(response.statusCode, typed).toBe(400);
      expect(response.body).toContain(message);
      // The error summary links to the field, which holds the text as typed (escaped).
      expect(response.body).toContain(`href="#term-${cycle.id}"`);
      expect(response.body).toContain(`id="term-${cycle.id}" name="query" type="text" value="${typed.replace(/</g, '&lt;').replace(/>/g, '&gt;')}"`);
      expect(response.body).toContain('aria-invalid="true"');
    }
    expect((await t.db.selectFrom('listen_terms').select('query').orderBy('query').execute()).map((r) => r.query)).toEqual(['cycle lane', 'library']);
  });

  it('refuses a post without the CSRF token, another project’s term and a malformed id, never with a 500', async () => {
    const cycle = await t.db.selectFrom('listen_terms').select('id').where('query', '=', 'cycle lane').executeTakeFirstOrThrow();
    const forged = await t.app.inject({ method: 'POST', url: `${TERMS}/${cycle.id}/edit`, cookies: editor, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'query=forged' });
    expect(forged.statusCode).toBe(403);
    const other = await t.db.selectFrom('projects').select('id').where('slug', '=', 'other').executeTakeFirstOrThrow();
    const theirs = await t.db.insertInto('listen_terms').values({ project_id: other.id, query: 'theirs' }).returning('id').executeTakeFirstOrThrow();
    for (const id of [String(theirs.id), '0', 'x', '9'.repeat(30)]) {
      const { response } = await submitForm(t.app, SOURCES, `${TERMS}/${id}/edit`, { query: 'mine now' }, editor);
      expect(response.statusCode, id).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, id).toBeLessThan(500);
    }
    const odd = await submitForm(t.app, SOURCES, `${TERMS}/${cycle.id}/edit`, { query: ['a', 'b'] }, editor);
    expect(odd.response.statusCode).toBe(400);
    expect((await t.db.selectFrom('listen_terms').select('query').orderBy('query').execute()).map((r) => r.query)).toEqual(['cycle lane', 'library', 'theirs']);
  });
});
