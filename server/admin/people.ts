// Site admins: /admin/people (list, add a person, issue a new set-password link, disable or enable
// an account) and /admin/projects/new. Registered behind requireSiteAdmin.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { deleteSessionsOf } from '../auth/sessions.js';
import { checkbox, hasErrors, text, type FormBody, type FormErrors } from '../forms.js';
import { createPersonWithLink, validateNewPerson } from '../accounts/people.js';
import { findPersonById } from '../accounts/queries.js';
import { issuePasswordToken, setPasswordUrl } from '../accounts/tokens.js';
import { accountRefusalText, queueAccountEmail } from '../email/account-emails.js';
import { listAccountRefusals } from '../email/queries.js';
import { ConflictError, notFound } from '../errors.js';
import { createProject, validateNewProject } from './projects.js';
import { disablePerson, enablePerson, listPeople } from './queries.js';
import { adminUrls } from '../urls.js';
import { param, withParams } from '../route-params.js';


export default async function sitePeopleRoutes(app: FastifyInstance) {
  async function renderPeople(reply: FastifyReply, status: number, values: Record<string, string>, errors: FormErrors, notice?: string) {
    const people = (await listPeople(app.db)).map((p) => ({
      id: p.id,
      handle: p.handle,
      displayName: p.display_name,
      email: p.email,
      isSiteAdmin: p.is_site_admin,
      disabled: p.disabled_at !== null,
      hasPassword: p.password_hash !== null,
    }));
    // Account emails the mail server refused (or that never got through), in plain words.
    const refusals = (await listAccountRefusals(app.db)).map((r) => accountRefusalText(r));
    return reply.code(status).header('cache-control', 'no-store').page('pages/admin/people', { title: 'People', noindex: true, people, values, errors, notice, refusals, canEmail: Boolean(app.config.smtpUrl) });
  }

  async function loadPerson(id: number) {
    const person = await findPersonById(app.db, id);
    if (!person) throw notFound('There is nobody with that number.');
    return person;
  }

  const emptyPerson = { email: '', displayName: '', handle: '', siteAdmin: '', emailLink: '' };

  /**
   * "Email it to them" (offered when SMTP_URL is set; the link is shown all the same): queued for the
   * email job. Without SMTP_URL nothing is sent and the link page says so.
   */
  const emailState = (asked: boolean): 'queued' | 'no-smtp' | 'not-asked' => (!asked ? 'not-asked' : app.config.smtpUrl ? 'queued' : 'no-smtp');

  // GET /admin/people — everyone with an account
  app.get<{ Querystring: { disabled?: string; enabled?: string } }>('/admin/people', async (request, reply) => {
    const notice = request.query.disabled ? 'The account has been disabled and signed out.' : request.query.enabled ? 'The account has been enabled.' : undefined;
    return renderPeople(reply, 200, emptyPerson, {}, notice);
  });

  // POST /admin/people — add a person; the answer shows their one-time link
  app.post<{ Body: FormBody }>('/admin/people', async (request, reply) => {
    const values = { email: text(request.body, 'email'), displayName: text(request.body, 'displayName'), handle: text(request.body, 'handle'), siteAdmin: checkbox(request.body, 'siteAdmin') ? 'on' : '', emailLink: checkbox(request.body, 'emailLink') ? 'on' : '' };
    const errors = await validateNewPerson(app.db, { email: values.email, displayName: values.displayName, handle: values.handle });
    if (hasErrors(errors)) return renderPeople(reply, 422, values, errors);
    const created = await createPersonWithLink(app.db, { ...values, siteAdmin: values.siteAdmin === 'on' }, request.user!.id, app.clock.now());
    const link = setPasswordUrl(app.config.publicUrl, created.token);
    const emailed = emailState(values.emailLink === 'on');
    if (emailed === 'queued') await queueAccountEmail(app.db, { personId: created.personId, invitedBy: request.user!.displayName, link: { url: link, expiresAt: created.expiresAt } });
    return reply.header('cache-control', 'no-store').page('pages/admin/link', {
      title: 'Set-password link',
      noindex: true,
      person: { displayName: values.displayName.trim(), email: values.email.trim().toLowerCase() },
      link,
      emailed,
      expiresAt: created.expiresAt,
      backUrl: '/admin/people',
      backLabel: 'Back to people',
    });
  });

  // POST /admin/people/:person/link — a new one-time link (also "forgot password"); voids older links
  // (the second button, shown when SMTP_URL is set, also emails it: emailLink=on)
  app.post<{ Params: { person: number }; Body: FormBody }>('/admin/people/:person/link', withParams({ person: param.id }), async (request, reply) => {
    const person = await loadPerson(request.params.person);
    const { token, expiresAt } = await issuePasswordToken(app.db, person.id, request.user!.id, app.clock.now());
    const link = setPasswordUrl(app.config.publicUrl, token);
    const emailed = emailState(checkbox(request.body, 'emailLink'));
    if (emailed === 'queued') await queueAccountEmail(app.db, { personId: person.id, invitedBy: request.user!.displayName, link: { url: link, expiresAt } });
    return reply.header('cache-control', 'no-store').page('pages/admin/link', {
      title: 'Set-password link',
      noindex: true,
      person: { displayName: person.display_name, email: person.email },
      link,
      emailed,
      expiresAt,
      backUrl: '/admin/people',
      backLabel: 'Back to people',
    });
  });

  // POST /admin/people/:person/disable — no more sign-in; ends their sessions and unused links
  app.post<{ Params: { person: number } }>('/admin/people/:person/disable', withParams({ person: param.id }), async (request, reply) => {
    const person = await loadPerson(request.params.person);
    if (person.id === request.user!.id) throw new ConflictError('You cannot disable your own account. Ask another site administrator.');
    const now = app.clock.now();
    await disablePerson(app.db, person.id, now);
    await deleteSessionsOf(app.db, person.id);
    return reply.redirect('/admin/people?disabled=1', 303);
  });

  // POST /admin/people/:person/enable — undo a disable
  app.post<{ Params: { person: number } }>('/admin/people/:person/enable', withParams({ person: param.id }), async (request, reply) => {
    const person = await loadPerson(request.params.person);
    await enablePerson(app.db, person.id, app.clock.now());
    return reply.redirect('/admin/people?enabled=1', 303);
  });

  const renderNewProject = (reply: FastifyReply, status: number, values: Record<string, string>, errors: FormErrors) =>
    reply.code(status).page('pages/admin/new-project', { title: 'New project', noindex: true, values, errors });

  // GET /admin/projects/new — the new-project form
  app.get('/admin/projects/new', async (_request, reply) => renderNewProject(reply, 200, { slug: '', title: '', summary: '', ownerEmail: '' }, {}));

  // POST /admin/projects/new — create it, then go to its settings
  app.post<{ Body: FormBody }>('/admin/projects/new', async (request, reply) => {
    const values = { slug: text(request.body, 'slug'), title: text(request.body, 'title'), summary: text(request.body, 'summary'), ownerEmail: text(request.body, 'ownerEmail') };
    const { errors, ownerId } = await validateNewProject(app.db, values);
    if (hasErrors(errors)) return renderNewProject(reply, 422, values, errors);
    await createProject(app.db, values, ownerId, app.clock.now());
    return reply.redirect(adminUrls.settings(values.slug.trim()), 303);
  });
}
