// /admin/projects/:project/team — owners (and site admins) add people, set roles, remove people.
// Registered behind requireProjectAction('manage-team'). A project always keeps at least one owner.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { emailProblem, hasErrors, text, type FormBody, type FormErrors } from '../accounts/form.js';
import { ROLES, createPersonWithLink, isRole, validateNewPerson } from '../accounts/people.js';
import { findPersonByEmail } from '../accounts/queries.js';
import { setPasswordUrl } from '../accounts/tokens.js';
import { notFound } from '../errors.js';
import { countOwners, listAdminTeam } from './queries.js';
import { accessOf } from '../auth/project-access.js';

const PERSON_ID = /^[1-9][0-9]{0,14}$/;
const enc = encodeURIComponent;

export default async function teamRoutes(app: FastifyInstance) {
  const teamUrl = (slug: string) => `/admin/projects/${enc(slug)}/team`;

  async function renderTeam(request: FastifyRequest, reply: FastifyReply, status: number, values: Record<string, string>, errors: FormErrors, notice?: string) {
    const { project } = accessOf(request);
    const team = await listAdminTeam(app.db, project.id);
    return reply.code(status).header('cache-control', 'no-store').page('pages/admin/team', {
      title: `Team: ${project.title}`,
      noindex: true,
      p: project,
      team,
      roles: ROLES,
      values,
      errors,
      notice,
      teamUrl: teamUrl(project.slug),
    });
  }

  const emptyAdd = { email: '', displayName: '', handle: '', role: 'author' };

  // GET /admin/projects/:project/team — the team, with forms to add, change roles, remove
  app.get<{ Querystring: { added?: string; removed?: string; updated?: string } }>('/admin/projects/:project/team', async (request, reply) => {
    const q = request.query;
    const notice = q.added ? 'The person has been added to the team.' : q.removed ? 'The person has been removed from the team.' : q.updated ? 'The role has been changed.' : undefined;
    return renderTeam(request, reply, 200, emptyAdd, {}, notice);
  });

  // POST /admin/projects/:project/team — add a person: an existing account by email, or a new one
  // (then the one-time set-password link is shown, once, to hand over)
  app.post<{ Body: FormBody }>('/admin/projects/:project/team', async (request, reply) => {
    const { project } = accessOf(request);
    const values = { email: text(request.body, 'email'), displayName: text(request.body, 'displayName'), handle: text(request.body, 'handle'), role: text(request.body, 'role') };
    const errors: FormErrors = {};
    if (!isRole(values.role)) errors.role = 'Choose a role.';
    const email = values.email.trim().toLowerCase();
    const emailError = emailProblem(email);
    if (emailError) errors.email = emailError;
    const existing = emailError ? undefined : await findPersonByEmail(app.db, email);
    if (existing) {
      const member = await app.db.selectFrom('memberships').select('role').where('project_id', '=', project.id).where('person_id', '=', existing.id).executeTakeFirst();
      if (member) errors.email = `${existing.display_name} is already on the team, as ${member.role}.`;
      if (hasErrors(errors)) return renderTeam(request, reply, 422, values, errors);
      await app.db.insertInto('memberships').values({ project_id: project.id, person_id: existing.id, role: values.role as never }).execute();
      return reply.redirect(`${teamUrl(project.slug)}?added=1`, 303);
    }
    if (!emailError) {
      const personErrors = await validateNewPerson(app.db, { email, displayName: values.displayName, handle: values.handle });
      if (personErrors.displayName) personErrors.displayName = 'Nobody has this email address yet: enter their name to create an account.';
      Object.assign(errors, personErrors);
    }
    if (hasErrors(errors)) return renderTeam(request, reply, 422, values, errors);
    const now = app.clock.now();
    const created = await createPersonWithLink(app.db, { email, displayName: values.displayName, handle: values.handle }, request.user!.id, now);
    await app.db.insertInto('memberships').values({ project_id: project.id, person_id: created.personId, role: values.role as never }).execute();
    // The link is shown on this response only (never in a URL or cookie), so no redirect here.
    return reply.header('cache-control', 'no-store').page('pages/admin/link', {
      title: 'Set-password link',
      noindex: true,
      person: { displayName: values.displayName.trim(), email },
      link: setPasswordUrl(app.config.publicUrl, created.token),
      expiresAt: created.expiresAt,
      backUrl: teamUrl(project.slug),
      backLabel: `Back to the team of ${project.title}`,
    });
  });

  async function loadMember(request: FastifyRequest<{ Params: { person: string } }>) {
    const { project } = accessOf(request);
    if (!PERSON_ID.test(request.params.person)) throw notFound('There is no such team member.');
    const member = await app.db
      .selectFrom('memberships')
      .select(['person_id', 'role'])
      .where('project_id', '=', project.id)
      .where('person_id', '=', Number(request.params.person))
      .executeTakeFirst();
    if (!member) throw notFound('There is no such team member.');
    return member;
  }

  // A role changed or taken away leaves no row behind: the person's updated_at says when, so that what
  // they may moderate (their private moderation feed's Last-Modified) moves forward.
  const markTeamChange = (personId: number) => app.db.updateTable('people').set({ updated_at: app.clock.now() }).where('id', '=', personId).execute();

  // POST /admin/projects/:project/team/:person/role — change a member's role
  app.post<{ Params: { project: string; person: string }; Body: FormBody }>('/admin/projects/:project/team/:person/role', async (request, reply) => {
    const { project } = accessOf(request);
    const member = await loadMember(request);
    const role = text(request.body, 'role');
    const field = `role-${member.person_id}`;
    if (!isRole(role)) return renderTeam(request, reply, 422, emptyAdd, { [field]: 'Choose a role.' });
    if (member.role === 'owner' && role !== 'owner' && (await countOwners(app.db, project.id)) <= 1) {
      return renderTeam(request, reply, 422, emptyAdd, { [field]: 'A project needs at least one owner. Make someone else an owner first.' });
    }
    await app.db.updateTable('memberships').set({ role }).where('project_id', '=', project.id).where('person_id', '=', member.person_id).execute();
    await markTeamChange(member.person_id);
    return reply.redirect(`${teamUrl(project.slug)}?updated=1`, 303);
  });

  // POST /admin/projects/:project/team/:person/remove — take someone off the team: first a page asking
  // "Remove … from the team?" (no script needed), whose form posts again with confirm=yes
  app.post<{ Params: { project: string; person: string }; Body: FormBody }>('/admin/projects/:project/team/:person/remove', async (request, reply) => {
    const { project } = accessOf(request);
    const member = await loadMember(request);
    if (member.role === 'owner' && (await countOwners(app.db, project.id)) <= 1) {
      return renderTeam(request, reply, 422, emptyAdd, { [`role-${member.person_id}`]: 'A project needs at least one owner. Make someone else an owner first.' });
    }
    if (text(request.body, 'confirm') !== 'yes') {
      const person = await app.db.selectFrom('people').select('display_name').where('id', '=', member.person_id).executeTakeFirstOrThrow();
      return reply.header('cache-control', 'no-store').page('pages/admin/confirm-remove', {
        title: `Remove ${person.display_name} from the team?`,
        noindex: true,
        p: project,
        member: { personId: member.person_id, displayName: person.display_name, role: member.role },
        teamUrl: teamUrl(project.slug),
      });
    }
    await app.db.deleteFrom('memberships').where('project_id', '=', project.id).where('person_id', '=', member.person_id).execute();
    await markTeamChange(member.person_id);
    return reply.redirect(`${teamUrl(project.slug)}?removed=1`, 303);
  });
}

