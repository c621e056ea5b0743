// The admin forms: dashboard counts and links, team, settings, people and new projects. Success,
// each validation error (form re-shown as typed, message beside the field) and a missing CSRF token.
import { beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../server/projects/settings.js';
import { buildTestApp, get, signInAs, submitForm, type TestApp } from '../helpers/test-app.js';
import { VALID_SETTINGS } from './fixtures.js';

const P = '/admin/projects/info-sharing-taskforce';
let t: TestApp;
let owner: Record<string, string>;
let admin: Record<string, string>;
let projectId: number;

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  owner = await signInAs(t, 'amira.hassan@example.gov');
  admin = await signInAs(t, 'admin@example.gov');
  projectId = (await t.db.selectFrom('projects').select('id').where('slug', '=', 'info-sharing-taskforce').executeTakeFirstOrThrow()).id;
});

function fieldError(html: string, id: string) {
  return new RegExp(`id="${id}-error"[^>]*>(?:<span class="visually-hidden">Error: </span>)?([^<]*)<`).exec(html)?.[1];
}

describe('dashboard', () => {
  it('lists my projects with counts of drafts, review, scheduled and pending comments, and links by role', async () => {
    const now = t.clock.now();
    const base = { project_id: projectId, body_md: '', created_by: null };
    await t.db.insertInto('posts').values([
      { ...base, slug: 'd1', title: 'Draft one', status: 'draft' },
      { ...base, slug: 'd2', title: 'Draft two', status: 'draft' },
      { ...base, slug: 'r1', title: 'For review', status: 'review' },
      { ...base, slug: 's1', title: 'Later', status: 'scheduled', published_at: new Date(now.getTime() + 86_400_000) },
    ]).execute();
    const pending = await t.db.selectFrom('comments').innerJoin('posts', 'posts.id', 'comments.post_id')
      .select((eb) => eb.fn.countAll<number>().as('n')).where('posts.project_id', '=', projectId).where('comments.status', '=', 'pending').executeTakeFirstOrThrow();
    const res = await get(t.app, '/admin', { cookies: owner });
    expect(res.statusCode).toBe(200);
    const section = res.body.slice(res.body.indexOf('Information Sharing Taskforce'));
    expect(section).toMatch(/data-count="drafts">2</);
    expect(section).toMatch(/data-count="review">1</);
    expect(section).toMatch(/data-count="scheduled">1</);
    expect(section).toContain(`data-count="pending-comments">${Number(pending.n)}<`);
    for (const link of [`${P}/posts/new`, `${P}/posts`, `${P}/pages`, `${P}/team`, `${P}/settings`, `${P}/import`, '/admin/moderation']) expect(res.body).toContain(`href="${link}"`);
    expect(res.body).not.toContain('Community Health'); // not her project
  });

  it('a moderator gets only the moderation link; a site admin sees every project', async () => {
    const mod = await signInAs(t, 'helen.mcbride@example.gov');
    const res = await get(t.app, '/admin', { cookies: mod });
    expect(res.body).toContain('href="/admin/moderation"');
    expect(res.body).not.toContain('/posts/new');
    expect(res.body).not.toContain('/settings');
    const all = await get(t.app, '/admin', { cookies: admin });
    expect(all.body).toContain('Information Sharing Taskforce');
    expect(all.body).toContain('href="/admin/people"');
    expect(all.body).toContain('href="/admin/projects/new"');
  });
});

describe('team', () => {
  it('adds an existing person by email', async () => {
    const { response } = await submitForm(t.app, `${P}/team`, `${P}/team`, { email: 'Mei-Lin.Tan@example.gov', displayName: '', handle: '', role: 'editor' }, owner);
    expect(response.statusCode).toBe(303);
    const m = await t.db.selectFrom('memberships').innerJoin('people', 'people.id', 'memberships.person_id').select('role').where('people.handle', '=', 'mei-lin-tan').where('project_id', '=', projectId).executeTakeFirstOrThrow();
    expect(m.role).toBe('editor');
  });

  it('adds someone new and shows a one-time link that works', async () => {
    const { response } = await submitForm(t.app, `${P}/team`, `${P}/team`, { email: 'sam.new@example.gov', displayName: 'Sam New', handle: '', role: 'contributor' }, owner);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const link = /http:\/\/blogs\.test(\/set-password\/[A-Za-z0-9_-]{43})/.exec(response.body)?.[1];
    expect(link).toBeDefined();
    expect((await get(t.app, link!)).statusCode).toBe(200);
    const person = await t.db.selectFrom('people').select(['handle', 'password_hash']).where('email', '=', 'sam.new@example.gov').executeTakeFirstOrThrow();
    expect(person).toEqual({ handle: 'sam-new', password_hash: null });
    expect((await get(t.app, `${P}/team`, { cookies: owner })).body).toContain('Sam New');
  });

  it('re-shows the add form with each problem beside its field', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ email: 'not an email', displayName: '', handle: '', role: 'author' }, 'email', 'Enter an email address like name@example.gov.'],
      [{ email: 'unknown@example.gov', displayName: '', handle: '', role: 'author' }, 'displayName', 'Nobody has this email address yet: enter their name to create an account.'],
      [{ email: 'tom.okafor@example.gov', displayName: '', handle: '', role: 'author' }, 'email', 'Tom Okafor is already on the team, as editor.'],
      [{ email: 'x@example.gov', displayName: 'X', handle: '', role: 'emperor' }, 'role', 'Choose a role.'],
      [{ email: 'y@example.gov', displayName: 'Y', handle: 'amira-hassan', role: 'author' }, 'handle', 'Someone else has this handle. Choose another.'],
    ];
    for (const [fields, field, message] of cases) {
      const { response } = await submitForm(t.app, `${P}/team`, `${P}/team`, fields, owner);
      expect(response.statusCode, message).toBe(422);
      expect(fieldError(response.body, field)).toBe(message);
      expect(response.body).toContain(`href="#${field}"`);
      if (fields.email) expect(response.body).toContain(`value="${fields.email}"`);
    }
  });

  it('changes a role and removes a person, but never the last owner', async () => {
    const priya = (await t.db.selectFrom('people').select('id').where('handle', '=', 'priya-raman').executeTakeFirstOrThrow()).id;
    const amira = (await t.db.selectFrom('people').select('id').where('handle', '=', 'amira-hassan').executeTakeFirstOrThrow()).id;
    expect((await submitForm(t.app, `${P}/team`, `${P}/team/${priya}/role`, { role: 'editor' }, owner)).response.statusCode).toBe(303);
    const lastOwner = await submitForm(t.app, `${P}/team`, `${P}/team/${amira}/role`, { role: 'editor' }, owner);
    expect(lastOwner.response.statusCode).toBe(422);
    expect(fieldError(lastOwner.response.body, `role-${amira}`)).toBe('A project needs at least one owner. Make someone else an owner first.');
    expect((await submitForm(t.app, `${P}/team`, `${P}/team/${amira}/remove`, {}, owner)).response.statusCode).toBe(422);
    const badRole = await submitForm(t.app, `${P}/team`, `${P}/team/${priya}/role`, { role: 'king' }, owner);
    expect(badRole.response.statusCode).toBe(422);
    expect((await submitForm(t.app, `${P}/team`, `${P}/team/${priya}/remove`, { confirm: 'yes' }, owner)).response.statusCode).toBe(303);
    expect(await t.db.selectFrom('memberships').select('role').where('person_id', '=', priya).where('project_id', '=', projectId).executeTakeFirst()).toBeUndefined();
    expect((await submitForm(t.app, `${P}/team`, `${P}/team/${priya}/remove`, {}, owner)).response.statusCode).toBe(404);
    expect((await submitForm(t.app, `${P}/team`, `${P}/team/abc/remove`, {}, owner)).response.statusCode).toBe(404);
  });

  it('removing a person asks on a confirmation page first, and changes nothing until confirmed', async () => {
    const tom = (await t.db.selectFrom('people').select('id').where('handle', '=', 'tom-okafor').executeTakeFirstOrThrow()).id;
    const asked = await submitForm(t.app, `${P}/team`, `${P}/team/${tom}/remove`, {}, owner);
    expect(asked.response.statusCode).toBe(200);
    expect(asked.response.body).toContain('<h1>Remove Tom Okafor from the team?</h1>');
    const form = /<form method="post" action="([^"]+)" class="confirm-form">([^]*?)<\/form>/.exec(asked.response.body);
    expect(form?.[1]).toBe(`${P}/team/${tom}/remove`);
    expect(form?.[2]).toContain('name="confirm" value="yes"');
    expect(form?.[2]).toContain('class="warning"');
    expect(asked.response.body).toContain(`<a href="${P}/team">No, back to the team</a>`);
    expect(await t.db.selectFrom('memberships').select('role').where('person_id', '=', tom).where('project_id', '=', projectId).executeTakeFirst()).toBeDefined();
    expect((await submitForm(t.app, `${P}/team`, `${P}/team/${tom}/remove`, { confirm: 'yes' }, owner)).response.statusCode).toBe(303);
    expect(await t.db.selectFrom('memberships').select('role').where('person_id', '=', tom).where('project_id', '=', projectId).executeTakeFirst()).toBeUndefined();
  });

  it('an unknown project is a 404 page; a missing CSRF token a 403 page', async () => {
    expect((await get(t.app, '/admin/projects/no-such-project/team', { cookies: admin })).statusCode).toBe(404);
    expect((await get(t.app, '/admin/projects/Bad%20Slug/team', { cookies: admin })).statusCode).toBe(404);
    const res = await t.app.inject({ method: 'POST', url: `${P}/team`, cookies: owner, payload: { email: 'z@example.gov', displayName: 'Z', role: 'author' } });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This form has expired');
  });
});

describe('settings', () => {
  it('saves the project fields and the comment settings; the description is rendered from Markdown', async () => {
    const fields = { ...VALID_SETTINGS, title: 'Info Sharing', description: 'We **share** <script>x</script>', status: 'closed', timeZone: 'America/New_York', maxLinks: '4', moderationKeywords: 'refund\n  crypto \n', showWithheldCount: '' };
    const { showWithheldCount: _omit, ...withoutCheckbox } = fields;
    const { response } = await submitForm(t.app, `${P}/settings`, `${P}/settings`, withoutCheckbox, owner);
    expect(response.statusCode).toBe(303);
    const p = await t.db.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirstOrThrow();
    expect(p.title).toBe('Info Sharing');
    expect(p.status).toBe('closed');
    expect(p.time_zone).toBe('America/New_York');
    expect(p.description_html).toContain('<strong>share</strong>');
    expect(p.description_html).not.toContain('<script');
    const s = readSettings(p.settings);
    expect(s.maxLinks).toBe(4);
    expect(s.moderationKeywords).toEqual(['refund', 'crypto']);
    expect(s.moderationReasons).toEqual(['Off-topic', 'Spam']);
    expect(s.showWithheldCount).toBe(false);
    const page = await get(t.app, `${P}/settings?saved=1`, { cookies: owner });
    expect(page.body).toContain('The settings have been saved.');
    expect(page.body).toContain('value="America/New_York"');
  });

  it('re-shows the form as typed with each problem beside its field', async () => {
    const cases: [Partial<typeof VALID_SETTINGS>, string, string][] = [
      [{ title: '  ' }, 'title', 'Enter a title.'],
      [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone', 'Enter a time zone name like Europe/London or UTC.'],
      [{ status: 'deleted' }, 'status', 'Choose a status.'],
      [{ commentPolicy: 'anything' }, 'commentPolicy', 'Choose a comment policy.'],
      [{ maxLinks: 'lots' }, 'maxLinks', 'Enter a whole number from 0 to 50.'],
      [{ maxCommentLength: '10' }, 'maxCommentLength', 'Enter a whole number from 100 to 50000.'],
      [{ moderationReasons: '\n \n' }, 'moderationReasons', 'Give at least one reason.'],
      [{ summary: 's'.repeat(301) }, 'summary', 'Use at most 300 characters.'],
    ];
    for (const [change, field, message] of cases) {
      const { response } = await submitForm(t.app, `${P}/settings`, `${P}/settings`, { ...VALID_SETTINGS, ...change }, owner);
      expect(response.statusCode, field).toBe(422);
      expect(fieldError(response.body, field)).toBe(message);
      expect(response.body).toContain(`href="#${field}"`);
    }
    const { response } = await submitForm(t.app, `${P}/settings`, `${P}/settings`, { ...VALID_SETTINGS, maxLinks: 'lots', title: 'Kept as typed' }, owner);
    expect(response.body).toContain('value="lots"');
    expect(response.body).toContain('value="Kept as typed"');
  });

  it('without a CSRF token the save is refused', async () => {
    const res = await t.app.inject({ method: 'POST', url: `${P}/settings`, cookies: owner, payload: VALID_SETTINGS });
    expect(res.statusCode).toBe(403);
  });
});

describe('people (site admins)', () => {
  it('adds a person and shows their link; re-shows the form on errors', async () => {
    const ok = await submitForm(t.app, '/admin/people', '/admin/people', { email: 'ola@example.gov', displayName: 'Ola', handle: 'ola', siteAdmin: 'on' }, admin);
    expect(ok.response.statusCode).toBe(200);
    expect(ok.response.body).toMatch(/\/set-password\/[A-Za-z0-9_-]{43}/);
    expect((await t.db.selectFrom('people').select('is_site_admin').where('email', '=', 'ola@example.gov').executeTakeFirstOrThrow()).is_site_admin).toBe(true);
    const bad = await submitForm(t.app, '/admin/people', '/admin/people', { email: 'ola@example.gov', displayName: '', handle: 'ola' }, admin);
    expect(bad.response.statusCode).toBe(422);
    expect(fieldError(bad.response.body, 'email')).toBe('Someone with this email address is already registered.');
    expect(fieldError(bad.response.body, 'displayName')).toBe('Enter a name.');
    expect(fieldError(bad.response.body, 'handle')).toBe('Someone else has this handle. Choose another.');
  });

  it('issues a new link (forgot password) that sets a new password', async () => {
    const tom = (await t.db.selectFrom('people').select('id').where('handle', '=', 'tom-okafor').executeTakeFirstOrThrow()).id;
    const { response } = await submitForm(t.app, '/admin/people', `/admin/people/${tom}/link`, {}, admin);
    expect(response.statusCode).toBe(200);
    const link = /\/set-password\/[A-Za-z0-9_-]{43}/.exec(response.body)![0];
    const set = await submitForm(t.app, link, link, { password: 'orchard lamp river', confirm: 'orchard lamp river' });
    expect(set.response.statusCode).toBe(303);
    const signIn = await submitForm(t.app, '/login', '/login', { email: 'tom.okafor@example.gov', password: 'orchard lamp river' });
    expect(signIn.response.statusCode).toBe(303);
  });

  it('disabling an account ends its sessions; nobody disables themselves', async () => {
    const priyaSession = await signInAs(t, 'priya.raman@example.gov');
    const priya = (await t.db.selectFrom('people').select('id').where('handle', '=', 'priya-raman').executeTakeFirstOrThrow()).id;
    expect((await submitForm(t.app, '/admin/people', `/admin/people/${priya}/disable`, {}, admin)).response.statusCode).toBe(303);
    expect((await get(t.app, '/admin', { cookies: priyaSession })).statusCode).toBe(303);
    expect((await get(t.app, '/people/priya-raman')).statusCode).toBe(404);
    expect((await submitForm(t.app, '/admin/people', `/admin/people/${priya}/enable`, {}, admin)).response.statusCode).toBe(303);
    const me = (await t.db.selectFrom('people').select('id').where('email', '=', 'admin@example.gov').executeTakeFirstOrThrow()).id;
    expect((await submitForm(t.app, '/admin/people', `/admin/people/${me}/disable`, {}, admin)).response.statusCode).toBe(409);
    expect((await submitForm(t.app, '/admin/people', '/admin/people/999999/disable', {}, admin)).response.statusCode).toBe(404);
  });
});

describe('new project (site admins)', () => {
  it('creates a project with an owner and goes to its settings', async () => {
    const { response } = await submitForm(t.app, '/admin/projects/new', '/admin/projects/new', { slug: 'flood-maps', title: 'Flood maps', summary: 'Maps.', ownerEmail: 'gareth.lloyd@example.gov' }, admin);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin/projects/flood-maps/settings');
    expect((await get(t.app, '/flood-maps/')).statusCode).toBe(200);
    const gareth = await signInAs(t, 'gareth.lloyd@example.gov');
    expect((await get(t.app, '/admin/projects/flood-maps/team', { cookies: gareth })).statusCode).toBe(200);
  });

  it('re-shows the form with each problem', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ slug: '', title: 'T', summary: '', ownerEmail: '' }, 'slug', 'Enter a short name for the address, like info-sharing.'],
      [{ slug: 'login', title: 'T', summary: '', ownerEmail: '' }, 'slug', '“login” is used by the site itself. Choose another.'],
      [{ slug: 'Has Spaces', title: 'T', summary: '', ownerEmail: '' }, 'slug', 'Use lowercase letters, digits and hyphens (up to 64), not starting or ending with a hyphen.'],
      [{ slug: 'info-sharing-taskforce', title: 'T', summary: '', ownerEmail: '' }, 'slug', 'Another project has this address. Choose another.'],
      [{ slug: 'ok-slug', title: '', summary: '', ownerEmail: '' }, 'title', 'Enter a title.'],
      [{ slug: 'ok-slug', title: 'T', summary: '', ownerEmail: 'ghost@example.gov' }, 'ownerEmail', 'Nobody with this email address is registered. Add the person first.'],
    ];
    for (const [fields, field, message] of cases) {
      const { response } = await submitForm(t.app, '/admin/projects/new', '/admin/projects/new', fields, admin);
      expect(response.statusCode, message).toBe(422);
      expect(fieldError(response.body, field)).toBe(message);
      expect(response.body).toContain(`value="${(fields.slug ?? "").replace(/"/g, '&quot;')}"`);
    }
  });
});
