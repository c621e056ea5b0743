// Each role against each writing action, as a table: the allowed ones succeed (303), the others get a
// 403 page and change nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cookiesFrom, createPerson, get, signInAs, type TestApp } from '../helpers/test-app.js';
import { makePost, P, personId, postAs, projectId } from './helpers.js';

let t: TestApp;
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('roles')]);

type Actor = 'owner' | 'editor' | 'author' | 'contributor' | 'moderator' | 'non-member' | 'site admin';
const EMAILS: Record<Actor, string> = {
  owner: 'amira.hassan@example.gov',
  editor: 'tom.okafor@example.gov',
  author: 'priya.raman@example.gov',
  contributor: 'casey.contributor@example.gov',
  moderator: 'morgan.moderator@example.gov',
  'non-member': 'gareth.lloyd@example.gov',
  'site admin': 'admin@example.gov',
};

type ActionName =
  | 'create draft' | 'submit for review' | 'publish' | 'schedule' | 'edit own draft' | 'unpublish own' | 'delete own draft'
  | "edit other's post" | "publish other's draft" | "unpublish other's" | "delete other's" | 'edit pages' | 'upload image';

const Y = true, N = false;
//                              draft review publ sched ownEd ownUnp ownDel othEd othPub othUnp othDel pages image
const TABLE: Record<Actor, boolean[]> = {
  owner:          [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y],
  editor:         [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y],
  author:         [Y, Y, Y, Y, Y, Y, Y, N, N, N, N, N, Y],
  contributor:    [Y, Y, N, N, Y, N, Y, N, N, N, N, N, Y],
  moderator:      [N, N, N, N, N, N, N, N, N, N, N, N, N],
  'non-member':   [N, N, N, N, N, N, N, N, N, N, N, N, N],
  'site admin':   [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y],
};
const ACTIONS: ActionName[] = ['create draft', 'submit for review', 'publish', 'schedule', 'edit own draft', 'unpublish own', 'delete own draft', "edit other's post", "publish other's draft", "unpublish other's", "delete other's", 'edit pages', 'upload image'];

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  const pid = await projectId(t);
  await createPerson(t, { email: EMAILS.contributor, handle: 'casey-contributor' }, { projectId: pid, role: 'contributor' });
  await createPerson(t, { email: EMAILS.moderator, handle: 'morgan-moderator' }, { projectId: pid, role: 'moderator' });
});

const fields = (title: string, action: string) => ({ title, slug: '', summary: '', body: 'Text', tags: '', action, publish_at: '2099-01-01T10:00', version: '1' });

/** Performs one action as one person; returns the status code. */
async function perform(actor: Actor, action: ActionName, jar: Record<string, string>): Promise<number> {
  const me = await personId(t, EMAILS[actor]);
  const other = await personId(t, EMAILS.owner === EMAILS[actor] ? EMAILS.editor : EMAILS.owner);
  const unique = `${actor}-${action}`.replace(/[^a-z]+/g, '-');
  const form = '/'; // any signed-in page carries a CSRF token (the sign-out form)
  switch (action) {
    case 'create draft':
      return (await postAs(t, jar, `${P}/posts`, fields(`${unique} draft`, 'save'), form)).statusCode;
    case 'submit for review':
      return (await postAs(t, jar, `${P}/posts`, fields(`${unique} review`, 'review'), form)).statusCode;
    case 'publish':
      return (await postAs(t, jar, `${P}/posts`, fields(`${unique} publish`, 'publish'), form)).statusCode;
    case 'schedule':
      return (await postAs(t, jar, `${P}/posts`, fields(`${unique} schedule`, 'schedule'), form)).statusCode;
    case 'edit own draft': {
      const post = await makePost(t, { createdBy: me });
      return (await postAs(t, jar, `${P}/posts/${post.id}`, fields(post.title, 'save'), form)).statusCode;
    }
    case 'unpublish own': {
      const post = await makePost(t, { createdBy: me, status: 'published' });
      return (await postAs(t, jar, `${P}/posts/${post.id}`, { ...fields(post.title, 'unpublish'), slug: post.slug }, form)).statusCode;
    }
    case 'delete own draft': {
      const post = await makePost(t, { createdBy: me });
      return (await postAs(t, jar, `${P}/posts/${post.id}`, { ...fields(post.title, 'delete'), confirm: 'yes' }, form)).statusCode;
    }
    case "edit other's post": {
      const post = await makePost(t, { createdBy: other, status: 'published' });
      return (await postAs(t, jar, `${P}/posts/${post.id}`, { ...fields(post.title, 'save'), slug: post.slug }, form)).statusCode;
    }
    case "publish other's draft": {
      const post = await makePost(t, { createdBy: other, status: 'review' });
      return (await postAs(t, jar, `${P}/posts/${post.id}`, fields(post.title, 'publish'), form)).statusCode;
    }
    case "unpublish other's": {
      const post = await makePost(t, { createdBy: other, status: 'published' });
      return (await postAs(t, jar, `${P}/posts/${post.id}`, { ...fields(post.title, 'unpublish'), slug: post.slug }, form)).statusCode;
    }
    case "delete other's": {
      const post = await makePost(t, { createdBy: other });
      return (await postAs(t, jar, `${P}/posts/${post.id}`, { ...fields(post.title, 'delete'), confirm: 'yes' }, form)).statusCode;
    }
    case 'edit pages': {
      const page = await t.db.selectFrom('pages').select(['id', 'version', 'title', 'slug', 'body_md']).where('project_id', '=', await projectId(t)).where('slug', '=', 'about').executeTakeFirstOrThrow();
      return (await postAs(t, jar, `${P}/pages/${page.id}`, { title: page.title, slug: page.slug, body: page.body_md, version: String(page.version), action: 'save' }, form)).statusCode;
    }
    case 'upload image': {
      const page = await get(t.app, '/', { cookies: jar });
      const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const boundary = 'roles-boundary';
      const payload = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--${boundary}\r\nContent-Disposition: form-data; name="alt"\r\n\r\nA test picture\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
        Buffer.concat([PNG, Buffer.from(unique)]),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const res = await t.app.inject({ method: 'POST', url: `${P}/images`, cookies: { ...jar, ...cookiesFrom(page) }, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
      return res.statusCode;
    }
  }
}

describe('who may do what in a project', () => {
  const cases = (Object.keys(TABLE) as Actor[]).flatMap((actor) => ACTIONS.map((action, i) => ({ actor, action, allowed: TABLE[actor][i]! })));
  it.each(cases)('$actor: $action → allowed=$allowed', async ({ actor, action, allowed }) => {
    const jar = await signInAs(t, EMAILS[actor]);
    const status = await perform(actor, action, jar);
    if (allowed) expect([200, 303], `${actor} ${action}`).toContain(status);
    else expect(status, `${actor} ${action}`).toBe(403);
  });

  it('forbidden pages are real 403 pages, not redirects', async () => {
    const jar = await signInAs(t, EMAILS.moderator);
    for (const url of [`${P}/posts`, `${P}/posts/new`, `${P}/pages`]) {
      const res = await get(t.app, url, { cookies: jar });
      expect(res.statusCode, url).toBe(403);
      expect(res.headers['content-type']).toContain('text/html');
    }
    const author = await signInAs(t, EMAILS.author);
    const other = await makePost(t, { createdBy: await personId(t, EMAILS.owner) });
    expect((await get(t.app, `${P}/posts/${other.id}/edit`, { cookies: author })).statusCode).toBe(403);
    expect((await get(t.app, `${P}/pages`, { cookies: author })).statusCode).toBe(403);
  });

  it('a contributor sees “Submit for review” and no publish buttons', async () => {
    const jar = await signInAs(t, EMAILS.contributor);
    const res = await get(t.app, `${P}/posts/new`, { cookies: jar });
    expect(res.body).toContain('value="review"');
    expect(res.body).not.toContain('value="publish"');
    expect(res.body).not.toContain('value="schedule"');
  });

  it('a refused publish changes nothing', async () => {
    const jar = await signInAs(t, EMAILS.contributor);
    const own = await makePost(t, { createdBy: await personId(t, EMAILS.contributor) });
    expect((await postAs(t, jar, `${P}/posts/${own.id}`, fields('Changed title', 'publish'), '/')).statusCode).toBe(403);
    const row = await t.db.selectFrom('posts').select(['status', 'title']).where('id', '=', own.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'draft', title: own.title });
  });
});
