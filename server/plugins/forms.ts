// Forms: urlencoded bodies, cookies (signed with the site secret), NUL characters dropped from every
// parsed body, and CSRF protection that runs before every state-changing request. The CSRF secret lives in a cookie, so anonymous forms (comments)
// are protected as well as signed-in ones, and any app server can check any token.
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import { randomBytes } from 'node:crypto';
import querystring from 'node:querystring';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const BODY_LIMIT = 1024 * 1024; // forms; image uploads set their own limit

export const CSRF_COOKIE = '_csrf';

function csrfCookieOptions(secure: boolean) {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure, signed: true } as const;
}

/**
 * A new CSRF secret for this browser, at sign-in and sign-out: tokens issued before (to whoever saw a
 * page of this browser's earlier session, or planted a secret before sign-in) stop working.
 */
export function renewCsrfSecret(reply: FastifyReply, secure: boolean) {
  reply.setCookie(CSRF_COOKIE, randomBytes(18).toString('base64url'), csrfCookieOptions(secure));
}

export async function registerForms(app: FastifyInstance, options: { cookieSecret: string; secureCookies: boolean }) {
  await app.register(formbody, { bodyLimit: BODY_LIMIT, parser: (body) => querystring.parse(body) });
  await app.register(cookie, { secret: options.cookieSecret });
  await app.register(csrf, {
    cookieKey: CSRF_COOKIE,
    cookieOpts: csrfCookieOptions(options.secureCookies),
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
  // PostgreSQL text cannot hold a NUL character, and no person types one: drop them from every parsed
  // body here, once — urlencoded, JSON (Fastify parses it too) and multipart fields alike — rather than
  // letting any handler's query fail with a 500. A preHandler, because multipart bodies are attached in
  // their scope's preValidation; registered before the CSRF check so the token is read clean as well.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.body !== undefined && request.body !== null) request.body = withoutNul(request.body, new WeakSet());
    done();
  });
  // CSRF check for every state-changing request; runs as preHandler because the body is parsed by then.
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return done();
    // No route: nothing to protect, and the answer is a 404 or 405 page (plugins/error-pages.ts).
    if (request.is404) return done();
    if (request.routeOptions.config?.csrf === false) return done();
    app.csrfProtection(request, reply, done);
  });
}

/**
 * The body with NUL characters removed from every string in it, keys included, at any depth. Objects
 * are cleaned in place (a multipart field points back at the whole body, hence `seen`); anything that
 * is not a plain object or array (a multipart file and its stream) is left alone.
 */
export function withoutNul(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = withoutNul(value[i], seen);
    return value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const cleanValue = withoutNul(record[key], seen);
    const cleanKey = withoutNul(key, seen) as string;
    if (cleanKey === key) record[key] = cleanValue;
    else {
      delete record[key];
      // A key that becomes "__proto__" would set the object's prototype: such a field is dropped.
      if (cleanKey !== '__proto__') record[cleanKey] = cleanValue;
    }
  }
  return record;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false only for endpoints that are not forms (none yet). */
    csrf?: boolean;
  }
}
