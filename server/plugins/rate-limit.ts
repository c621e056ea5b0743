// A flood from one address gets 429s; other readers are not slowed. Per server, in memory: behind a
// load balancer set TRUST_PROXY so the address is the client's.
//
// One application-wide onRequest hook, not the plugin's per-route ones: those run after every
// application hook, so a page answered from the page cache was never counted and a flood of it never
// limited. A refusal must cost less than serving a cached page, or a flood of refusals is the cheaper
// attack: it is answered here with a page rendered once, not through the error handler (which made an
// Error with a stack trace and rendered the template for each one: ~3k refusals/s against ~11k cached
// pages/s on this machine).
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { renderAnonymousPage } from './view.js';
import { compressBody, type CompressedForms } from '../compression.js';

const REFUSED = Object.freeze({ statusCode: 429, rateLimited: true });
const MESSAGE = 'You have sent too many requests in a short time. Please wait a minute and try again.';

export async function registerRateLimit(app: FastifyInstance, config: Config) {
  await app.register(rateLimit, {
    global: false,
    max: config.rateLimitPerMinute || 1,
    timeWindow: 60_000,
    allowList: (request) => request.url.startsWith('/static/') || request.url.startsWith('/media/') || request.url === '/healthz' || request.url === '/readyz',
    // Not an Error: no stack trace is captured for each refusal.
    errorResponseBuilder: () => REFUSED,
  });
  if (config.rateLimitPerMinute <= 0) return;
  let page: Buffer | undefined;
  let compressed: CompressedForms | undefined;
  app.addHook('onReady', async () => {
    page = await renderAnonymousPage(app, 'errors/error', { title: 'Too many requests', status: 429, message: MESSAGE, noindex: true });
    compressed = compressBody(page); // once: a refusal costs no compression either
  });
  const check = app.rateLimit();
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    check.call(app, request, reply).then(
      () => done(),
      (err: unknown) => {
        if (err !== REFUSED) return done(err as Error);
        // The plugin has set Retry-After and the x-ratelimit-* headers.
        reply.code(429).header('cache-control', 'no-store');
        if (request.method === 'HEAD' || !page) return void reply.send();
        void reply.type('text/html; charset=utf-8').offerCompressed(page, compressed).send(page);
      },
    );
  });
}
