// /admin/projects/:project/team — owners (and site admins) add people, set roles, remove people.
// Registered behind requireProjectAction('manage-team'). A project always keeps at least one owner
// (team-rules.ts, in a transaction).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkbox, emailProblem, hasErrors, text, type FormBody, type FormErrors } from '../forms.js';
import { ROLES, createPersonWithLink, isRole, validateNewPerson } from '../accounts/people.js';
import { findPersonByEmail } from '../accounts/queries.js';
import { setPasswordUrl } from '../accounts/tokens.js';
import type { Role } from '../db/schema.js';
import { queueAccountEmail } from '../email/account-emails.js';
import { notFound } from '../errors.js';
import { countOwners, findDisplayName, findMembership, insertMembership, listAdminTeam } from './queries.js';
import { changeMemberRole, LAST_OWNER, removeMember } from './team-rules.js';
import { accessOf } from '../auth/project-access.js';
import { adminUrls } from '../urls.js';

const PERSON_ID = /^[1-9][0-9]{0,14}$/;

export default async function teamRoutes(app: FastifyInstance) {
  const teamUrl = adminUrls.team;

  async function renderTeam(request: FastifyRequest, reply: FastifyReply, status: number, values: Record<string, string>, errors: FormErrors, notice?: string) {
    const { project } = accessOf(request);
    const team = await listAdminTeam(app.db, project.id);
    return reply.code(status).header('cache-control', 'no-store').page('pages/admin/team', {
      // Not the public team page's title ("Team: …"): the two are different pages in a browser's history and tabs.
      title: `Manage the team: ${project.title}`,
      noindex: true,
      projectTitle: project.title,
      team,
      roles: ROLES,
      values,
      errors,
      notice,
      teamUrl: teamUrl(project.slug),
      canEmail: Boolean(app.config.smtpUrl),
    });
  }

  const emptyAdd = { email: '', displayName: '', handle: '', role: 'author', emailLink: '' };

  // GET /admin/projects/:project/team — the team, with forms to add, change roles, remove
  app.get<{ Querystring: { added?: string; removed?: string; updated?: string } }>('/admin/projects/:project/team', async (request, reply) => {
    const q = request.query;
    const notice = q.added === 'emailed' ? 'The person has been added to the team, and an email telling them is on its way.' : q.added === 'not-emailed' ? 'The person has been added to the team. No email was sent: this site has no SMTP_URL set, so tell them yourself.' : q.added ? 'The person has been added to the team.' : q.removed ? 'The person has been removed from the team.' : q.updated ? 'The role has been changed.' : undefined;
    return renderTeam(request, reply, 200, emptyAdd, {}, notice);
  });

  // POST /admin/projects/:project/team — add a person: an existing account by email, or a new one
  // (then the one-time set-password link is shown, once, to hand over)
  app.post<{ Body: FormBody }>('/admin/projects/:project/team', async (request, reply) => {
    const { project } = accessOf(request);
    const values = { email: text(request.body, 'email'), displayName: text(request.body, 'displayName'), handle: text(request.body, 'handle'), role: text(request.body, 'role'), emailLink: checkbox(request.body, 'emailLink') ? 'on' : '' };
    // "Email them" (offered when SMTP_URL is set): the invitation goes through the email job queue.
    const emailed = values.emailLink !== 'on' ? 'not-asked' : app.config.smtpUrl ? 'queued' : 'no-smtp';
    const errors: FormErrors = {};
    if (!isRole(values.role)) errors.role = 'Choose a role.';
    const email = values.email.trim().toLowerCase();
    const emailError = emailProblem(email);
    if (emailError) errors.email = emailError;
    const existing = emailError ? undefined : await findPersonByEmail(app.db, email);
    if (existing) {
      const member = await findMembership(app.db, project.id, existing.id);
      if (member) errors.email = `${existing.display_name} is already on the team, as ${member.role}.`;
      if (hasErrors(errors)) return renderTeam(request, reply, 422, values, errors);
      await app.db.transaction().execute(async (tx) => {
        await insertMembership(tx, project.id, existing.id, values.role as Role);
        if (emailed === 'queued') await queueAccountEmail(tx, { personId: existing.id, invitedBy: request.user!.displayName, project: { id: project.id, role: values.role } });
      });
      return reply.redirect(`${teamUrl(project.slug)}?added=${emailed === 'queued' ? 'emailed' : emailed === 'no-smtp' ? 'not-emailed' : '1'}`, 303);
    }
    if (!emailError) {
      const personErrors = await validateNewPerson(app.db, { email, displayName: values.displayName, handle: values.handle });
      if (personErrors.displayName) personErrors.displayName = 'Nobody has this email address yet: enter their name to create an account.';
      Object.assign(errors, personErrors);
    }
    if (hasErrors(errors)) return renderTeam(request, reply, 422, values, errors);
    const now = app.clock.now();
    const created = await createPersonWithLink(app.db, { email, displayName: values.displayName, handle: values.handle }, request.user!.id, now);
    const link = setPasswordUrl(app.config.publicUrl, created.token);
    await app.db.transaction().execute(async (tx) => {
      await insertMembership(tx, project.id, created.personId, values.role as Role);
      if (emailed === 'queued') await queueAccountEmail(tx, { personId: created.personId, invitedBy: request.user!.displayName, link: { url: link, expiresAt: created.expiresAt }, project: { id: project.id, role: values.role } });
    });
    // The link is shown on this response only (never in a URL or cookie), so no redirect here.
    return reply.header('cache-control', 'no-store').page('pages/admin/link', {
      title: 'Set-password link',
      noindex: true,
      person: { displayName: values.displayName.trim(), email },
      link,
      emailed,
      expiresAt: created.expiresAt,
      backUrl: teamUrl(project.slug),
      backLabel: `Back to the team of ${project.title}`,
    });
  });

  async function loadMember(request: FastifyRequest<{ Params: { person: string } }>) {
    const { project } = accessOf(request);
    if (!PERSON_ID.test(request.params.person)) throw notFound('There is no such team member.');
    const member = await findMembership(app.db, project.id, Number(request.params.person));
    if (!member) throw notFound('There is no such team member.');
    return member;
  }

  // POST /admin/projects/:project/team/:person/role — change a member's role
  app.post<{ Params: { project: string; person: string }; Body: FormBody }>('/admin/projects/:project/team/:person/role', async (request, reply) => {
    const { project } = accessOf(request);
    const member = await loadMember(request);
    const role = text(request.body, 'role');
    const field = `role-${member.person_id}`;
    if (!isRole(role)) return renderTeam(request, reply, 422, emptyAdd, { [field]: 'Choose a role.' });
    // Checked again inside the change's transaction: the member may have gone meanwhile.
    const outcome = await changeMemberRole(app.db, project.id, member.person_id, role, app.clock.now());
    if (outcome === 'not-member') throw notFound('There is no such team member.');
    if (outcome === 'last-owner') return renderTeam(request, reply, 422, emptyAdd, { [field]: LAST_OWNER });
    return reply.redirect(`${teamUrl(project.slug)}?updated=1`, 303);
  });

  // POST /admin/projects/:project/team/:person/remove — take someone off the team: first a page asking
  // "Remove … from the team?" (no script needed), whose form posts again with confirm=yes
  app.post<{ Params: { project: string; person: string }; Body: FormBody }>('/admin/projects/:project/team/:person/remove', async (request, reply) => {
    const { project } = accessOf(request);
    const member = await loadMember(request);
    if (text(request.body, 'confirm') !== 'yes') {
      // The last owner is refused before asking (removeMember refuses it again, under the project's lock).
      if (member.role === 'owner' && (await countOwners(app.db, project.id)) <= 1) {
        return renderTeam(request, reply, 422, emptyAdd, { [`role-${member.person_id}`]: LAST_OWNER });
      }
      const displayName = await findDisplayName(app.db, member.person_id);
      return reply.header('cache-control', 'no-store').page('pages/admin/confirm-remove', {
        title: `Remove ${displayName} from the team?`,
        noindex: true,
        // Not `project`: the layout would name it in the header, which the team's pages do not.
        projectTitle: project.title,
        member: { personId: member.person_id, displayName, role: member.role },
        teamUrl: teamUrl(project.slug),
      });
    }
    const outcome = await removeMember(app.db, project.id, member.person_id, app.clock.now());
    if (outcome === 'not-member') throw notFound('There is no such team member.');
    if (outcome === 'last-owner') return renderTeam(request, reply, 422, emptyAdd, { [`role-${member.person_id}`]: LAST_OWNER });
    return reply.redirect(`${teamUrl(project.slug)}?removed=1`, 303);
  });
}

