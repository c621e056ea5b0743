// Forms: urlencoded bodies, cookies (signed with the site secret), and CSRF protection that runs
// before every state-changing request. The CSRF secret lives in a cookie, so anonymous forms (comments)
// are protected as well as signed-in ones, and any app server can check any token.
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import querystring from 'node:querystring';
import type { FastifyInstance } from 'fastify';

export const BODY_LIMIT = 1024 * 1024; // forms; image uploads set their own limit

export async function registerForms(app: FastifyInstance, options: { cookieSecret: string; secureCookies: boolean }) {
  // PostgreSQL text cannot hold a NUL character, and no person types one: drop them from every form
  // field here, once, rather than letting any handler's query fail with a 500.
  await app.register(formbody, { bodyLimit: BODY_LIMIT, parser: (body) => withoutNul(querystring.parse(body)) });
  await app.register(cookie, { secret: options.cookieSecret });
  await app.register(csrf, {
    cookieKey: '_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: options.secureCookies, signed: true },
    getToken: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      const fromBody = body && typeof body === 'object' ? body._csrf : undefined;
      if (typeof fromBody === 'string') return fromBody;
      // Multipart fields arrive as { value } objects.
      if (fromBody && typeof fromBody === 'object' && 'value' in fromBody) return String((fromBody as { value: unknown }).value);
      const header = req.headers['x-csrf-token'];
      return typeof header === 'string' ? header : undefined;
    },
  });
  // CSRF check for every state-changing request; runs as preHandler because the body is parsed by then.
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return done();
    if (request.routeOptions.config?.csrf === false) return done();
    app.csrfProtection(request, reply, done);
  });
}

function withoutNul(fields: querystring.ParsedUrlQuery): Record<string, string | string[]> {
  const clean = (v: string) => (v.includes('\u0000') ? v.replaceAll('\u0000', '') : v);
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) out[clean(key)] = Array.isArray(value) ? value.map(clean) : clean(value);
  }
  return out;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false only for endpoints that are not forms (none yet). */
    csrf?: boolean;
  }
}
