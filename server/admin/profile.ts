// Own profile and password, at /admin/profile and /admin/password: registered by admin/routes.ts
// behind requireUser. Changing the password ends every other session of that person.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasErrors, text, type FormBody, type FormErrors } from '../forms.js';
import { passwordProblem } from '../accounts/password-rules.js';
import { MAX_BIO_LENGTH, displayNameProblem, handleProblem } from '../accounts/people.js';
import { findPersonById, setPasswordHash, updateProfile } from '../accounts/queries.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { deleteSessionsOf, sessionTokenOf } from '../auth/sessions.js';

export default async function profileRoutes(app: FastifyInstance) {
  const profilePage = async (request: FastifyRequest, reply: FastifyReply, status: number, values: Record<string, string>, errors: FormErrors, notice?: string) =>
    reply.code(status).page('pages/accounts/profile', { title: 'Your profile', noindex: true, values, errors, notice, maxBio: MAX_BIO_LENGTH });

  // GET /admin/profile — display name, handle, bio
  app.get<{ Querystring: { saved?: string; password?: string } }>('/admin/profile', async (request, reply) => {
    const me = (await findPersonById(app.db, request.user!.id))!;
    const notice = request.query.password === 'changed' ? 'Your password has been changed. You have been signed out everywhere else.' : request.query.saved ? 'Your profile has been saved.' : undefined;
    return profilePage(request, reply, 200, { displayName: me.display_name, handle: me.handle, bio: me.bio }, {}, notice);
  });

  // POST /admin/profile — save them
  app.post<{ Body: FormBody }>('/admin/profile', async (request, reply) => {
    const values = { displayName: text(request.body, 'displayName'), handle: text(request.body, 'handle'), bio: text(request.body, 'bio') };
    const errors: FormErrors = {};
    const nameError = displayNameProblem(values.displayName);
    if (nameError) errors.displayName = nameError;
    const handleError = await handleProblem(app.db, values.handle.trim(), request.user!.id);
    if (handleError) errors.handle = handleError;
    if (values.bio.trim().length > MAX_BIO_LENGTH) errors.bio = `Use at most ${MAX_BIO_LENGTH} characters.`;
    if (hasErrors(errors)) return profilePage(request, reply, 422, values, errors);
    await updateProfile(app.db, request.user!.id, { displayName: values.displayName.trim(), handle: values.handle.trim(), bio: values.bio.trim() }, app.clock.now());
    return reply.redirect('/admin/profile?saved=1', 303);
  });

  const passwordPage = (reply: FastifyReply, status: number, errors: FormErrors) =>
    reply.code(status).header('cache-control', 'no-store').page('pages/accounts/password', { title: 'Change your password', noindex: true, errors });

  // GET /admin/password — change password form
  app.get('/admin/password', async (_request, reply) => passwordPage(reply, 200, {}));

  // POST /admin/password — needs the current password; ends every other session
  app.post<{ Body: FormBody }>('/admin/password', async (request, reply) => {
    const current = text(request.body, 'current');
    const password = text(request.body, 'password');
    const confirm = text(request.body, 'confirm');
    const me = (await findPersonById(app.db, request.user!.id))!;
    const errors: FormErrors = {};
    if (!current) errors.current = 'Enter your current password.';
    else if (!me.password_hash || !(await verifyPassword(me.password_hash, current))) errors.current = 'Your current password is not right.';
    const problem = passwordProblem(password);
    if (problem) errors.password = problem;
    else if (password !== confirm) errors.confirm = 'The two passwords are not the same.';
    if (hasErrors(errors)) return passwordPage(reply, 422, errors);
    await setPasswordHash(app.db, me.id, await hashPassword(password), app.clock.now());
    await deleteSessionsOf(app.db, me.id, sessionTokenOf(request));
    return reply.redirect('/admin/profile?password=changed', 303);
  });
}
