// Accounts: sign in and out, set a password from a one-time link (public). Changing one's own profile
// and password is on the signed-in side: admin/profile.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashPassword, needsRehash, verifyPassword } from '../auth/passwords.js';
import { createSession, deleteSession, deleteSessionsOf, sessionTokenOf } from '../auth/sessions.js';
import { urls } from '../urls.js';
import { hasErrors, text, type FormBody, type FormErrors } from '../forms.js';
import { passwordProblem } from './password-rules.js';
import { findPersonByEmail, setPasswordHash } from './queries.js';
import { clearSessionCookie, safeNextPath, setSessionCookie } from './session-cookie.js';
import { blockedUntil, clearLoginFailures, loginThrottleKeys, recordLoginFailure } from './throttle.js';
import { consumePasswordToken, findTokenPerson, unusableTokenState, type PasswordLinkState } from './tokens.js';
import { param, withParams } from '../route-params.js';

const BAD_CREDENTIALS = 'The email address or password is not right.';

// Unknown emails still cost one argon2 verification, so timing does not tell which emails exist.
let dummyHash: Promise<string> | undefined;

function waitText(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

async function startSession(app: FastifyInstance, request: FastifyRequest, reply: import('fastify').FastifyReply, personId: number) {
  // A new session id at every sign-in: a session planted before sign-in is never promoted.
  const old = sessionTokenOf(request);
  if (old) await deleteSession(app.db, old);
  const token = await createSession(app.db, personId, app.clock.now(), { ip: request.ip, userAgent: request.headers['user-agent'] });
  setSessionCookie(app, reply, token);
}

export default async function accountRoutes(app: FastifyInstance) {
  const renderLogin = (reply: import('fastify').FastifyReply, status: number, values: { email: string; next: string }, errors: FormErrors = {}) =>
    reply.code(status).header('cache-control', 'no-store').page('pages/accounts/login', { title: 'Team sign in', noindex: true, values, errors });

  // GET /login — the sign-in form
  app.get<{ Querystring: { next?: string } }>('/login', async (request, reply) => {
    const next = safeNextPath(request.query.next);
    if (request.user) return reply.redirect(next, 303);
    return renderLogin(reply, 200, { email: '', next });
  });

  // POST /login — check the password (throttled), start a new session, go to ?next
  app.post<{ Body: FormBody }>('/login', async (request, reply) => {
    const email = text(request.body, 'email').trim().toLowerCase();
    const password = text(request.body, 'password');
    const next = safeNextPath(text(request.body, 'next'));
    const values = { email: text(request.body, 'email'), next };
    const errors: FormErrors = {};
    if (!email) errors.email = 'Enter your email address.';
    if (!password) errors.password = 'Enter your password.';
    if (hasErrors(errors)) return renderLogin(reply, 422, values, errors);

    const now = app.clock.now();
    const keys = loginThrottleKeys(email, request.ip);
    const until = await blockedUntil(app.db, keys, now);
    if (until) {
      return renderLogin(reply, 429, values, {
        password: `Too many failed attempts to sign in. Wait ${waitText(until.getTime() - now.getTime())} and try again.`,
      });
    }
    const person = await findPersonByEmail(app.db, email);
    let ok = false;
    if (person?.password_hash && !person.disabled_at) ok = await verifyPassword(person.password_hash, password);
    else await verifyPassword(await (dummyHash ??= hashPassword('no account has this password')), password);
    if (!ok || !person) {
      await recordLoginFailure(app.db, keys, now);
      return renderLogin(reply, 422, values, { password: BAD_CREDENTIALS });
    }
    await clearLoginFailures(app.db, keys);
    if (needsRehash(person.password_hash!)) await setPasswordHash(app.db, person.id, await hashPassword(password), now);
    await startSession(app, request, reply, person.id);
    return reply.redirect(next, 303);
  });

  // POST /logout — end this session
  app.post('/logout', async (request, reply) => {
    const token = sessionTokenOf(request);
    if (token) await deleteSession(app.db, token);
    clearSessionCookie(app, reply);
    return reply.redirect('/', 303);
  });

  const ASK = 'Ask a site administrator or your project owner for a new one.';
  const LINK_UNUSABLE: Record<PasswordLinkState, { title: string; message: string }> = {
    used: {
      title: 'This link has already been used',
      message: `A password has already been chosen with this link, and a link works only once: sign in with that password. If you have forgotten it, or did not choose it yourself, ask a site administrator or your project owner for a new link.`,
    },
    expired: { title: 'This link has expired', message: `Links to choose a password work for 72 hours. ${ASK}` },
    unknown: { title: 'This link does not work', message: `It may have been replaced by a newer link, or copied incompletely. ${ASK}` },
  };

  /** 410 for a set-password link that cannot be used, saying why (used, expired, unknown). */
  async function linkUnusable(reply: FastifyReply, token: string, now: Date) {
    const state = await unusableTokenState(app.db, token, now);
    return reply.code(410).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').page('pages/accounts/link-unusable', {
      ...LINK_UNUSABLE[state],
      state,
      noindex: true,
    });
  }

  // GET /set-password/:token — choose a password with a one-time link
  app.get<{ Params: { token: string } }>('/set-password/:token', withParams({ token: param.linkToken }), async (request, reply) => {
    const now = app.clock.now();
    const person = await findTokenPerson(app.db, request.params.token, now);
    if (!person) return linkUnusable(reply, request.params.token, now);
    return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').page('pages/accounts/set-password', {
      title: 'Choose your password',
      noindex: true,
      person: { email: person.email, displayName: person.display_name },
      errors: {},
    });
  });

  // POST /set-password/:token — set it, use up the link, end old sessions, sign in
  app.post<{ Params: { token: string }; Body: FormBody }>('/set-password/:token', withParams({ token: param.linkToken }), async (request, reply) => {
    const now = app.clock.now();
    const person = await findTokenPerson(app.db, request.params.token, now);
    if (!person) return linkUnusable(reply, request.params.token, now);
    const password = text(request.body, 'password');
    const confirm = text(request.body, 'confirm');
    const errors: FormErrors = {};
    const problem = passwordProblem(password);
    if (problem) errors.password = problem;
    else if (password !== confirm) errors.confirm = 'The two passwords are not the same.';
    if (hasErrors(errors)) {
      return reply.code(422).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').page('pages/accounts/set-password', {
        title: 'Choose your password',
        noindex: true,
        person: { email: person.email, displayName: person.display_name },
        errors,
      });
    }
    const passwordHash = await hashPassword(password);
    const personId = await app.db.transaction().execute(async (tx) => {
      const id = await consumePasswordToken(tx, request.params.token, now);
      if (id !== undefined) await setPasswordHash(tx, id, passwordHash, now);
      return id;
    });
    if (personId === undefined) return linkUnusable(reply, request.params.token, now);
    await deleteSessionsOf(app.db, personId);
    await startSession(app, request, reply, personId);
    return reply.redirect(`${urls.admin()}?welcome=1`, 303);
  });
}
