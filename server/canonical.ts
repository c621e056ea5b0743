// One URL per page: case and trailing-slash variants of a public URL redirect (301) to the canonical
// one, so links and feed readers converge. Project homes end in a slash (/{project}/); nothing else does.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RESERVED_SLUGS } from './urls.js';

export function canonicalPath(pathname: string): string | undefined {
  if (pathname === '/' || pathname.startsWith('/static/') || pathname.startsWith('/media/')) return undefined;
  const firstRaw = pathname.split('/')[1]?.toLowerCase() ?? '';
  // Lowercase only the public reading URLs; tokens elsewhere (set-password links) are case-sensitive.
  const publicReading = firstRaw === 'people' || !RESERVED_SLUGS.has(firstRaw);
  // Percent-escapes keep their case (%3C and %3c are the same byte; rewriting them would loop).
  let canonical = publicReading ? pathname.replace(/%[0-9A-Fa-f]{2}|[A-Z]+/g, (m) => (m.startsWith('%') ? m : m.toLowerCase())) : pathname;
  const segments = canonical.split('/').filter(Boolean);
  const first = segments[0] ?? '';
  // Old WordPress addresses (/{project}/wp/…) are answered as they came (server/import/redirects.ts).
  if (segments[1] === 'wp' && !RESERVED_SLUGS.has(first)) return undefined;
  const isProjectHome = segments.length === 1 && !RESERVED_SLUGS.has(first) && !first.includes('.');
  if (isProjectHome) canonical = `/${first}/`;
  else canonical = canonical.replace(/\/+$/, '') || '/';
  if (canonical.includes('//')) canonical = canonical.replace(/\/{2,}/g, '/');
  return canonical === pathname ? undefined : canonical;
}

export async function canonicalRedirect(request: FastifyRequest, reply: FastifyReply) {
  if (request.method !== 'GET' && request.method !== 'HEAD') return;
  const [pathname = '/', query] = request.url.split('?', 2);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return; // malformed escapes: let routing answer 404
  }
  if (/[^\x21-\x7e]/.test(decoded)) return; // non-ASCII or spaces: not one of our URLs, so a 404
  const target = canonicalPath(pathname);
  if (target) return reply.redirect(query ? `${target}?${query}` : target, 301);
}
