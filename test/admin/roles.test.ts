// Each role against each of the account and admin actions: one table, read row by row.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../server/db/schema.js';
import { VALID_SETTINGS } from './fixtures.js';
import { buildTestApp, createPerson, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';

const P = '/admin/projects/info-sharing-taskforce';
type Who = Role | 'non-member' | 'site admin';
const WHO: Who[] = ['owner', 'editor', 'author', 'contributor', 'moderator', 'non-member', 'site admin'];

const EMAIL: Record<Who, string> = {
  owner: 'amira.hassan@example.gov',
  editor: 'tom.okafor@example.gov',
  author: 'priya.raman@example.gov',
  contributor: 'contributor@example.gov',
  moderator: 'moderator@example.gov',
  'non-member': 'gareth.lloyd@example.gov', // owner of another project
  'site admin': 'admin@example.gov',
};


interface ActionCase {
  name: string;
  method: 'GET' | 'POST';
  allowed: Who[];
  run(cookies: Record<string, string>, who: Who): Promise<number>;
  /** Status when allowed. */
  ok: number;
}

const everyone = WHO;
const owners: Who[] = ['owner', 'site admin'];
const siteAdmins: Who[] = ['site admin'];

let t: TestApp;
// Signed in, the header's sign-out form carries a CSRF token; signed out, the sign-in form does.
const formPage = (c: Record<string, string>) => (Object.keys(c).length ? '/' : '/login');
const slug = (who: Who) => who.replace(' ', '-');

const ACTIONS: ActionCase[] = [
  { method: 'GET', name: 'see the dashboard', allowed: everyone, ok: 200, run: async (c) => (await get(t.app, '/admin', { cookies: c })).statusCode },
  { method: 'GET', name: 'see own profile', allowed: everyone, ok: 200, run: async (c) => (await get(t.app, '/admin/profile', { cookies: c })).statusCode },
  { method: 'GET', name: 'change own password (form)', allowed: everyone, ok: 200, run: async (c) => (await get(t.app, '/admin/password', { cookies: c })).statusCode },
  { method: 'GET', name: 'see the team admin page', allowed: owners, ok: 200, run: async (c) => (await get(t.app, `${P}/team`, { cookies: c })).statusCode },
  {
    method: 'POST',
    name: 'add someone new to the team',
    allowed: owners,
    ok: 200,
    run: async (c, who) => (await submitForm(t.app, formPage(c), `${P}/team`, { email: `added-by-${slug(who)}@example.gov`, displayName: 'Added', handle: '', role: 'author' }, c)).response.statusCode,
  },
  {
    method: 'POST',
    name: 'change a role',
    allowed: owners,
    ok: 303,
    run: async (c) => (await submitForm(t.app, formPage(c), `${P}/team/${ids.target}/role`, { role: 'contributor' }, c)).response.statusCode,
  },
  {
    method: 'POST',
    name: 'remove someone from the team',
    allowed: owners,
    ok: 303,
    run: async (c) => {
      await t.db.insertInto('memberships').values({ project_id: ids.project, person_id: ids.removable, role: 'author' }).onConflict((oc) => oc.doNothing()).execute();
      return (await submitForm(t.app, formPage(c), `${P}/team/${ids.removable}/remove`, { confirm: 'yes' }, c)).response.statusCode;
    },
  },
  { method: 'GET', name: 'see the settings', allowed: owners, ok: 200, run: async (c) => (await get(t.app, `${P}/settings`, { cookies: c })).statusCode },
  { method: 'POST', name: 'save the settings', allowed: owners, ok: 303, run: async (c) => (await submitForm(t.app, formPage(c), `${P}/settings`, VALID_SETTINGS, c)).response.statusCode },
  { method: 'GET', name: 'see all people', allowed: siteAdmins, ok: 200, run: async (c) => (await get(t.app, '/admin/people', { cookies: c })).statusCode },
  {
    method: 'POST',
    name: 'add a person',
    allowed: siteAdmins,
    ok: 200,
    run: async (c, who) => (await submitForm(t.app, formPage(c), '/admin/people', { email: `person-by-${slug(who)}@example.gov`, displayName: 'P', handle: '' }, c)).response.statusCode,
  },
  { method: 'POST', name: 'issue a set-password link', allowed: siteAdmins, ok: 200, run: async (c) => (await submitForm(t.app, formPage(c), `/admin/people/${ids.target}/link`, {}, c)).response.statusCode },
  {
    method: 'POST',
    name: 'disable an account',
    allowed: siteAdmins,
    ok: 303,
    run: async (c) => (await submitForm(t.app, formPage(c), `/admin/people/${ids.disposable}/disable`, {}, c)).response.statusCode,
  },
  { method: 'GET', name: 'see the new-project form', allowed: siteAdmins, ok: 200, run: async (c) => (await get(t.app, '/admin/projects/new', { cookies: c })).statusCode },
  {
    method: 'POST',
    name: 'create a project',
    allowed: siteAdmins,
    ok: 303,
    run: async (c, who) => (await submitForm(t.app, formPage(c), '/admin/projects/new', { slug: `made-by-${slug(who)}`, title: 'New', summary: '', ownerEmail: '' }, c)).response.statusCode,
  },
];

const ids = { project: 0, target: 0, removable: 0, disposable: 0 };

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  const project = await t.db.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow();
  ids.project = project.id;
  await createPerson(t, { email: EMAIL.contributor, handle: 'contributor' }, { projectId: project.id, role: 'contributor' });
  await createPerson(t, { email: EMAIL.moderator, handle: 'moderator' }, { projectId: project.id, role: 'moderator' });
  ids.target = await createPerson(t, { email: 'target@example.gov', handle: 'target' }, { projectId: project.id, role: 'author' });
  ids.removable = await createPerson(t, { email: 'removable@example.gov', handle: 'removable' });
  ids.disposable = await createPerson(t, { email: 'disposable@example.gov', handle: 'disposable' });
});

describe('who may do what (table)', () => {
  for (const action of ACTIONS) {
    for (const who of WHO) {
      const allowed = action.allowed.includes(who);
      it(`${who} ${allowed ? 'may' : 'may not'} ${action.name}`, async () => {
        const cookies = await signInAs(t, EMAIL[who]);
        expect(await action.run(cookies, who)).toBe(allowed ? action.ok : 403);
      });
    }
    it(`signed out, nobody may ${action.name}`, async () => {
      // GETs send the public to the sign-in page (303); POSTs, even with a valid CSRF token, are a 403.
      expect(await action.run({}, 'non-member')).toBe(action.method === 'GET' ? 303 : 403);
    });
  }
});
