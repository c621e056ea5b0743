// POST /websub — the built-in WebSub hub's public endpoint (a public API for subscribers: no CSRF
// token). Checks the request, answers 202, and verifies the subscriber's intent in a job
// (server/websub/hub.ts). With WEBSUB_HUB_URL set, feeds name that hub and this one refuses.
import type { FastifyInstance } from 'fastify';
import { WEBSUB_PATH } from '../responses/links.js';
import { queueVerification, readSubscriptionRequest } from './hub.js';

export default async function websubRoutes(app: FastifyInstance) {
  // POST /websub — hub.mode=subscribe|unsubscribe, hub.callback, hub.topic, hub.lease_seconds, hub.secret
  app.post<{ Body: Record<string, unknown> | undefined }>(WEBSUB_PATH, { config: { csrf: false } }, async (request, reply) => {
    reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8');
    if (app.config.websubHubUrl) return reply.code(400).send(`This site's feeds use the hub at ${app.config.websubHubUrl}.\n`);
    const body = request.body && typeof request.body === 'object' ? request.body : {};
    const checked = readSubscriptionRequest(body, app.config.publicUrl);
    if ('problem' in checked) return reply.code(400).send(`${checked.problem}\n`);
    // The topic must be a feed this site serves now (a GET through our own routes, as a reader).
    const topic = await app.inject({ method: 'GET', url: checked.topicPath });
    if (topic.statusCode !== 200) return reply.code(400).send('hub.topic is not a feed of this site (it does not answer 200).\n');
    await queueVerification(app.db, checked);
    return reply.code(202).send(`Accepted: the hub will confirm with your callback (hub.challenge) before it ${checked.mode === 'subscribe' ? 'delivers anything' : 'stops delivering'}.\n`);
  });
}
