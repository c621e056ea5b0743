// The public side of the social web: the webmention endpoint (a public API for other sites: no CSRF
// token, flood-limited per source host and per sender, counted in PostgreSQL) and the status page of each webmention.
import type { FastifyInstance } from 'fastify';
import { isStorageFull } from '../errors.js';
import { acceptWebmention, checkWebmentionRequest, findWebmentionByToken, webmentionFloodAllows } from './receive.js';
import { WEBMENTION_PATH, webmentionStatusPath } from './links.js';
import { param, withParams } from '../route-params.js';

export default async function responseRoutes(app: FastifyInstance) {
  // POST /webmention — source and target (form-encoded); 202 with a status URL, 400 with the reason, 429 on floods
  app.post<{ Body: Record<string, unknown> | undefined }>(WEBMENTION_PATH, { config: { csrf: false } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const body = request.body && typeof request.body === 'object' ? request.body : {};
    const check = await checkWebmentionRequest(app.db, app.config, app.clock.now(), body.source, body.target);
    if (!check.ok) return reply.code(400).type('text/plain; charset=utf-8').send(`${check.reason}\n`);
    const sourceHost = new URL(check.source).host.toLowerCase();
    if (!(await webmentionFloodAllows(app.db, [`host:${sourceHost}`, `client:${request.ip}`], app.config.webmentionsPerHour, app.clock.now()))) {
      return reply
        .code(429)
        .header('retry-after', '3600')
        .type('text/plain; charset=utf-8')
        .send(`Too many webmentions from ${sourceHost} or from your address in the last hour. Please try again later.\n`);
    }
    try {
      const token = await acceptWebmention(app.db, check, app.clock.now());
      const statusUrl = `${app.config.publicUrl}${webmentionStatusPath(token)}`;
      return reply
        .code(202)
        .header('location', statusUrl)
        .type('text/plain; charset=utf-8')
        .send(`Accepted: we will check that your page links to ours. Follow what becomes of it at ${statusUrl}\n`);
    } catch (error) {
      if (isStorageFull(error)) return reply.code(503).header('retry-after', '300').type('text/plain; charset=utf-8').send('The site cannot store anything right now. Please try again later.\n');
      throw error;
    }
  });

  // GET /webmention/status/:token — what became of one webmention, in plain words
  app.get<{ Params: { token: string } }>(`${WEBMENTION_PATH}/status/:token`, withParams({ token: param.webmentionToken }), async (request, reply) => {
    reply.header('cache-control', 'private, no-store');
    const token = request.params.token;
    const state = await findWebmentionByToken(app.db, token);
    if (!state) {
      reply.code(404);
      return reply.page('pages/responses/status', { title: 'No such webmention', noindex: true, state: null, words: 'This status address is not known here.' });
    }
    return reply.page('pages/responses/status', { title: `Webmention: ${state.status}`, noindex: true, state, words: describeState(state) });
  });
}

function describeState(state: NonNullable<Awaited<ReturnType<typeof findWebmentionByToken>>>): string {
  switch (state.status) {
    case 'pending':
      return 'Received: we have not checked the source yet.';
    case 'rejected':
      return `Rejected: ${state.reason ?? 'the source could not be verified.'}`;
    case 'removed':
      return `Removed: ${state.reason ?? 'the source no longer links here.'}`;
    case 'verified':
      switch (state.moderation) {
        case 'approved':
          return 'Verified and shown under the post, in “Responses elsewhere”.';
        case 'pending':
          return 'Verified: the source links to the post. It waits for the project team’s moderators, as comments do.';
        case 'deleted':
          return 'Verified, then removed from the post.';
        default:
          return 'Verified, but the project team decided not to show it under the post.';
      }
  }
}
