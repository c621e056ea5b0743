// What the request log may hold. URLs that carry a secret (a one-time set-password link, a moderator's
// private feed address) are logged with the secret replaced, and a server that is not told to trust a
// proxy says once when requests look as if they came through one.
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';

const SECRET_IN_PATH = /^(\/set-password\/|\/moderation\/feed\/|\/listening\/(?:feed|websub)\/|\/email\/(?:confirm|manage|unsubscribe)\/)[^/?#]+/;

/** The URL with the secret path segment of a set-password link or a private feed replaced. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_IN_PATH, '$1[redacted]');
}

/** Fastify's own request serializer, but with the URL redacted. */
function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** The logger options with the redacting request serializer added (false stays false). */
export function withRedactedUrls(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return logger;
  const base = logger === true ? {} : logger;
  return { ...base, serializers: { ...base.serializers, req: serializeRequest as never } };
}

/**
 * Without TRUST_PROXY every visitor behind a proxy shares the proxy's address, so every per-address limit
 * (comments, sign-in, requests per minute) becomes a limit for the whole site: say so once in the log.
 */
export function warnOnceAboutProxy(app: FastifyInstance, trustProxy: boolean) {
  if (trustProxy) return;
  let warned = false;
  app.addHook('onRequest', (request, _reply, done) => {
    if (!warned && request.headers['x-forwarded-for'] !== undefined) {
      warned = true;
      request.log.warn(
        'A request arrived with X-Forwarded-For but TRUST_PROXY is not set: if this server is behind a proxy or load balancer, every visitor shares its address and the per-address limits apply to all of them together. Set TRUST_PROXY=1 (and have the proxy replace the header).',
      );
    }
    done();
  });
}
