// Health checks for load balancers: /healthz says the process is up; /readyz that the database answers.
import { pingDatabase } from '../db/sql-helpers.js';
import type { FastifyInstance } from 'fastify';

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      await Promise.race([
        pingDatabase(app.db),
        new Promise((_, reject) => setTimeout(() => reject(new Error('database check timed out')), 2_000).unref()),
      ]);
      return reply.send({ status: 'ready' });
    } catch (err) {
      request.log.warn({ err }, 'not ready: database does not answer');
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', reason: 'database does not answer' });
    }
  });
}
