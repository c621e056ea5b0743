// The ceiling: a bare Fastify server answering every GET with one fixed HTML string, nothing else (no
// plugins, no hooks). The string is the measured post page's own HTML, read once from the file given as
// argv[2]: the same size and the same bytes, so that the load generator (which shares the cores and
// decodes every body) spends the same on a ceiling response as on an app response. With a body of one
// repeated ASCII letter it spent about half as much (plain ASCII decodes on a fast path; the page's
// few “curly quotes” and middle dots take the slow one), which flattered the ceiling, not the app.
// Prints {"port":N} when listening; stops on SIGTERM.
import fs from 'node:fs';
import Fastify from 'fastify';

const file = process.argv[2];
if (!file) throw new Error('usage: ceiling.ts <file with the body to serve>');
const body = fs.readFileSync(file, 'utf8');
const app = Fastify({ logger: false });
app.get('/*', async (_request, reply) => reply.type('text/html; charset=utf-8').send(body));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
