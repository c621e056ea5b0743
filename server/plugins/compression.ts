// Compressed responses (Brotli or gzip by Accept-Encoding, rules in compression.ts), three ways, cheapest
// first:
//   - Bodies kept in memory (page cache, feed cache, the 429 page) have their encoded forms made once,
//     beside the plain one; a route or hook hands them over with reply.offerCompressed(forms) and sends
//     the plain body; the onSend hook here swaps in the form the reader accepts. The page cache sees the
//     plain body first (its onSend hook is registered before this one), so what it stores is plain.
//   - Static files are compressed once at start into a folder beside the process (keyed by the files'
//     sizes and dates, so it is made again only when they change) and served by @fastify/static's
//     `preCompressed`, with Vary and an ETag of the file actually sent.
//   - Every other text response of a route (pages rendered for a signed-in person, search, admin) is
//     compressed as it goes out by @fastify/compress (Brotli quality 4, its recommended default for
//     dynamic bodies), and gets the weak form of its ETag (compression.ts explains why).
// Every text response gets `Vary: Accept-Encoding`, encoded or not, so that no shared cache hands the
// plain copy to a reader who asked for Brotli or the other way round.
import fastifyCompress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import {
  COMPRESSIBLE_TYPE,
  type CompressedForms,
  etagForEncoding,
  MIN_COMPRESS_BYTES,
  negotiateEncoding,
  varyWithAcceptEncoding,
} from '../compression.js';

const OFFERED = Symbol('offeredCompressedForms');
type WithOffer = FastifyReply & { [OFFERED]?: { plain: unknown; forms: CompressedForms } | undefined };

/** The encoded forms a reply was offered for `payload` (see offerCompressed), if it was. */
export function offeredForms(reply: FastifyReply, payload: unknown): CompressedForms | undefined {
  const offer = (reply as WithOffer)[OFFERED];
  return offer && offer.plain === payload ? offer.forms : undefined;
}

/** Static files served from /static/, compressed copies included. Before the routes, so that @fastify/compress leaves them alone. */
export async function registerStaticFiles(app: FastifyInstance, staticDir: string) {
  const compressedDir = precompressStaticFiles(staticDir, app);
  await app.register(fastifyStatic, {
    // The compressed copies first: @fastify/static looks for name.br / name.gz in each root in turn and
    // falls back to the plain file, which only the second root has.
    root: compressedDir ? [compressedDir, staticDir] : staticDir,
    preCompressed: compressedDir !== undefined,
    prefix: '/static/',
    maxAge: 3_600_000,
    index: false,
    list: false,
  });
}

/** Compression for everything else; registered after the page cache and before the routes. */
export async function registerCompression(app: FastifyInstance) {
  app.decorateReply('offerCompressed', function offerCompressed(this: FastifyReply, plain: string | Buffer, forms: CompressedForms | undefined) {
    (this as WithOffer)[OFFERED] = forms ? { plain, forms } : undefined;
    return this;
  });

  // Bodies with ready-made forms: swap in the one the reader accepts (no compression here).
  app.addHook('onSend', (request: FastifyRequest, reply: WithOffer, payload, done) => {
    const offer = reply[OFFERED];
    // Only for the body the forms were made from (not a 304, not an error page sent instead).
    if (!offer || payload !== offer.plain || reply.hasHeader('content-encoding')) return done(null, payload);
    reply.header('vary', varyWithAcceptEncoding(reply.getHeader('vary')));
    const encoding = negotiateEncoding(request.headers['accept-encoding']);
    if (encoding === 'identity') return done(null, payload);
    const etag = reply.getHeader('etag');
    if (typeof etag === 'string') reply.header('etag', etagForEncoding(etag, encoding));
    reply.header('content-encoding', encoding);
    return done(null, offer.forms[encoding]);
  });

  await app.register(fastifyCompress, {
    global: true,
    // Request bodies are forms: a compressed request body is not something a browser sends.
    globalDecompression: false,
    encodings: ['br', 'gzip', 'identity'],
    threshold: MIN_COMPRESS_BYTES,
    customTypes: COMPRESSIBLE_TYPE,
  });
  // After @fastify/compress's own per-route hook (onRoute hooks run in the order they were added).
  app.addHook('onRoute', (route) => {
    const hooks = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend];
    route.onSend = [...hooks, markEncoding as onSendHookHandler];
  });
}

/** Vary on every text response; the weak ETag on one that @fastify/compress encoded. */
function markEncoding(_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload: unknown) => void) {
  const type = reply.getHeader('content-type');
  if (typeof type === 'string' && COMPRESSIBLE_TYPE.test(type)) {
    reply.header('vary', varyWithAcceptEncoding(reply.getHeader('vary')));
    const encoding = reply.getHeader('content-encoding');
    const etag = reply.getHeader('etag');
    if ((encoding === 'br' || encoding === 'gzip') && typeof etag === 'string') reply.header('etag', etagForEncoding(etag, encoding));
  }
  done(null, payload);
}

const STATIC_COMPRESSIBLE = /\.(css|js|mjs|svg|txt|json|xml|html|map|webmanifest)$/i;

/**
 * Writes name.br and name.gz for every text file of `staticDir` worth compressing into a folder under the
 * system's temporary folder named by the files' paths, sizes and dates (made once per version of the
 * files, by whichever process starts first; a half-written folder is never used). Undefined when that
 * is impossible (a read-only temporary folder): the files are then served plain.
 */
export function precompressStaticFiles(staticDir: string, app?: FastifyInstance): string | undefined {
  try {
    const files: string[] = [];
    const stamp = createHash('sha256').update(`v1\n${staticDir}\n`);
    for (const entry of fs.readdirSync(staticDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !STATIC_COMPRESSIBLE.test(entry.name)) continue;
      const file = path.join(entry.parentPath, entry.name);
      const { size, mtimeMs } = fs.statSync(file);
      if (size < MIN_COMPRESS_BYTES) continue;
      const relative = path.relative(staticDir, file);
      files.push(relative);
      stamp.update(`${relative}\0${size}\0${mtimeMs}\n`);
    }
    const dir = path.join(os.tmpdir(), 'project-blogs-static', stamp.digest('hex').slice(0, 24));
    if (fs.existsSync(dir)) return dir;
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    fs.mkdirSync(tmp, { recursive: true });
    for (const relative of files) {
      const body = fs.readFileSync(path.join(staticDir, relative));
      fs.mkdirSync(path.dirname(path.join(tmp, relative)), { recursive: true });
      fs.writeFileSync(path.join(tmp, `${relative}.br`), zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT } }));
      fs.writeFileSync(path.join(tmp, `${relative}.gz`), zlib.gzipSync(body, { level: 9 }));
    }
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(dir)) throw err; // another process won the race otherwise
    }
    return dir;
  } catch (err) {
    app?.log.warn({ err }, 'static files could not be compressed; serving them plain');
    return undefined;
  }
}

declare module 'fastify' {
  interface FastifyReply {
    /** This reply's plain body also exists in these encodings, made once: send the plain one, the reader gets the right one. */
    offerCompressed(plain: string | Buffer, forms: CompressedForms | undefined): FastifyReply;
  }
}
