// A small "web" on loopback for the listening tests: routes that a test sets and changes over time, and
// a log of the requests each path received (with their conditional headers).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface TestWeb {
  base: string;
  route(path: string, handler: Handler): void;
  /** Requests received, oldest first. */
  requests: Array<{ path: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export async function startWeb(host = '127.0.0.1'): Promise<TestWeb> {
  const routes = new Map<string, Handler>();
  const requests: TestWeb['requests'] = [];
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ path, headers: req.headers });
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://${host}:${port}`,
    route: (path, handler) => routes.set(path, handler),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface FeedItemSpec {
  id: string;
  title: string;
  content?: string;
  link?: string;
  author?: string;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function rss(title: string, items: FeedItemSpec[], extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>${xml(title)}</title><link>https://elsewhere.example/</link><description>d</description>${extra}
${items.map((i) => `<item><title>${xml(i.title)}</title><link>${xml(i.link ?? `https://elsewhere.example/${i.id}`)}</link><guid isPermaLink="false">${xml(i.id)}</guid>${i.author ? `<author>${xml(i.author)}</author>` : ''}<description>${xml(i.content ?? '')}</description><pubDate>Tue, 16 Jun 2026 10:00:00 GMT</pubDate></item>`).join('\n')}
</channel></rss>`;
}

export function atom(title: string, items: FeedItemSpec[]): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>${xml(title)}</title><id>urn:x:feed</id><updated>2026-06-16T10:00:00Z</updated><link href="https://elsewhere.example/"/>
${items.map((i) => `<entry><title type="text">${xml(i.title)}</title><id>${xml(i.id)}</id><link href="${xml(i.link ?? `https://elsewhere.example/${i.id}`)}"/><updated>2026-06-16T10:00:00Z</updated><author><name>${xml(i.author ?? 'Someone')}</name></author><content type="html">${xml(i.content ?? '')}</content></entry>`).join('\n')}
</feed>`;
}

/** Serves a body with an ETag; answers 304 when the client already has it. */
export function withEtag(contentType: string, body: () => string): Handler {
  return (req, res) => {
    const text = body();
    const etag = `"${createHash('sha1').update(text).digest('hex').slice(0, 16)}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': contentType, etag }).end(text);
  };
}
