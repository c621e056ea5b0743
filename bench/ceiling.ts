// The ceiling: a bare Fastify server answering every GET with a fixed HTML string of the given size,
// nothing else (no plugins, no hooks). Prints {"port":N} when listening; stops on SIGTERM.
import Fastify from 'fastify';

const size = Number(process.argv[2] ?? 10_000);
const body = `<!doctype html><html><body>${'x'.repeat(Math.max(0, size - 40))}</body></html>`;
const app = Fastify({ logger: false });
app.get('/*', async (_request, reply) => reply.type('text/html; charset=utf-8').send(body));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
