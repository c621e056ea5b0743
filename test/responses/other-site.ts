// A local "other site" for the social-web tests: a real HTTP server on loopback whose pages are set per
// test (status, headers, body; or a handler), and which records what it receives (webmentions, WebSub
// verifications and deliveries).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Page =
  | { status?: number; headers?: Record<string, string>; body?: string | Buffer }
  | ((req: http.IncomingMessage, res: http.ServerResponse, body: string) => void);

export interface OtherSite {
  base: string;
  pages: Map<string, Page>;
  received: Received[];
  set(path: string, page: Page): void;
  html(path: string, html: string): void;
  close(): Promise<void>;
}

export async function startOtherSite(): Promise<OtherSite> {
  const pages = new Map<string, Page>();
  const received: Received[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const url = req.url ?? '/';
      received.push({ method: req.method ?? 'GET', path: url, headers: req.headers, body });
      const page = pages.get(url) ?? pages.get(url.split('?')[0]!);
      if (!page) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      if (typeof page === 'function') {
        open.add(res);
        res.on('close', () => open.delete(res));
        return page(req, res, body);
      }
      res.writeHead(page.status ?? 200, { 'content-type': 'text/html; charset=utf-8', ...page.headers }).end(page.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    pages,
    received,
    set: (path, page) => void pages.set(path, page),
    html: (path, html) => void pages.set(path, { body: html }),
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
