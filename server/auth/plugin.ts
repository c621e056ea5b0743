// Reads the session cookie on every request and sets request.user. Pages for the signed-in side use
// requireUser (a preHandler set once per route group); public pages never depend on the session.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden } from '../errors.js';
import { findSessionUser, sessionTokenOf } from './sessions.js';

async function authPlugin(app: FastifyInstance) {
  app.addHook('preHandler', async (request) => {
    const token = sessionTokenOf(request);
    if (!token) return;
    request.user = await findSessionUser(app.db, token, app.clock.now());
  });
}

export default fp(authPlugin, { name: 'auth' });

/** preHandler for signed-in route groups: the public is sent to the sign-in page. */
export async function requireUser(request: FastifyRequest, reply: FastifyReply) {
  if (request.user) return;
  if (request.method === 'GET' || request.method === 'HEAD') {
    return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
  }
  throw forbidden('You need to sign in to do that.');
}

/** preHandler for site-admin-only route groups. */
export async function requireSiteAdmin(request: FastifyRequest, reply: FastifyReply) {
  await requireUser(request, reply);
  if (reply.sent) return;
  if (!request.user?.isSiteAdmin) throw forbidden('Only site administrators can do that.');
}
