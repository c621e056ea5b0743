// Content encodings, the rules every path that answers shares: which encoding a request gets (Brotli,
// gzip or none, by Accept-Encoding with its q-values, the same negotiator @fastify/compress uses), which
// responses are worth compressing, how a body is compressed once to be stored, and how an ETag names an
// encoded copy. No Fastify here: the page cache, the feed cache and plugins/compression.ts all use it.
//
// ETags: an encoded copy carries the weak form of the plain copy's ETag (W/"…", as nginx does). Weak
// means "the same content, maybe not the same bytes", which is what another encoding is; If-None-Match is
// compared weakly for GET (conditional-get.ts), so a 304 still works whatever encoding the reader holds,
// and a strong ETag is never sent for two different byte strings.
import { negotiate } from '@fastify/accept-negotiator';
import zlib from 'node:zlib';

export type Encoding = 'br' | 'gzip';

/** A body in each encoding we serve, made once. */
export interface CompressedForms {
  br: Buffer;
  gzip: Buffer;
}

/** Below this a response is sent as it is: the encoding's framing eats most of the gain (same as @fastify/compress). */
export const MIN_COMPRESS_BYTES = 1024;

/** Types we compress: text of every kind. Images, fonts in woff2 and archives are compressed already. */
export const COMPRESSIBLE_TYPE = /^(text\/|application\/(atom\+xml|rss\+xml|xml|json|javascript|manifest\+json)|image\/svg\+xml)/;

// Our order of preference when the reader likes both equally (Brotli is ~15% smaller on our pages).
const OFFERS = { both: ['br', 'gzip', 'identity'], gzip: ['gzip', 'identity'] } as const;
const recent = { both: new Map<string, Encoding | 'identity'>(), gzip: new Map<string, Encoding | 'identity'>() };

/**
 * What to send for an Accept-Encoding value, among what we have ('both', or 'gzip' for a stored page
 * whose Brotli copy was not worth keeping). No header, identity preferred, or nothing we have is
 * acceptable: the plain body (identity is always understood, and a 406 helps nobody).
 */
export function negotiateEncoding(acceptEncoding: string | string[] | undefined, have: 'both' | 'gzip' = 'both'): Encoding | 'identity' {
  if (acceptEncoding === undefined) return 'identity';
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(', ') : acceptEncoding;
  const known = recent[have];
  let chosen = known.get(header);
  if (chosen === undefined) {
    // `*` stands for anything we have; x-gzip is an old name of gzip (RFC 9110 §8.4.1.3).
    const picked = negotiate(header.toLowerCase().replace(/x-gzip/g, 'gzip'), [...OFFERS[have]]);
    chosen = picked === 'br' || picked === 'gzip' ? picked : 'identity';
    // Readers send a handful of distinct values; bounded so that made-up ones cannot grow it.
    if (known.size >= 200) known.clear();
    known.set(header, chosen);
  }
  return chosen;
}

/**
 * Brotli quality for copies made as a page is stored. Measured on 55 KB of our HTML and CSS: quality 6
 * takes 0.9 ms for 4,321 bytes, 9 takes 13 ms for 4,315, 11 takes 37 ms for 3,922 (gzip -9: 0.7 ms,
 * 5,019). A store happens on a miss, on the event loop: 11 is kept for static files, made once at start.
 */
const STORED_BROTLI_QUALITY = 6;

export const brotliStoredOptions: zlib.BrotliOptions = {
  params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: STORED_BROTLI_QUALITY,
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
  },
};
export const gzipStoredOptions: zlib.ZlibOptions = { level: 9 };

/** Counts the compressions made here (tests prove that a cache hit makes none). */
export const compressionStats = { bodies: 0 };

/** Both encoded forms of a body that will be stored, or undefined when it is too small to be worth it. */
export function compressBody(body: Buffer): CompressedForms | undefined {
  if (body.length < MIN_COMPRESS_BYTES) return undefined;
  compressionStats.bodies++;
  return { br: zlib.brotliCompressSync(body, brotliStoredOptions), gzip: zlib.gzipSync(body, gzipStoredOptions) };
}

/** One body in Brotli, at the stored quality. */
export function brotliOf(body: Buffer): Buffer {
  compressionStats.bodies++;
  return zlib.brotliCompressSync(body, brotliStoredOptions);
}

/** The ETag of an encoded copy: the weak form of the plain one's. */
export function etagForEncoding(etag: string, encoding: Encoding | 'identity'): string {
  return encoding === 'identity' || etag.startsWith('W/') ? etag : `W/${etag}`;
}

/** A Vary value with accept-encoding added (once). */
export function varyWithAcceptEncoding(vary: unknown): string {
  const current = Array.isArray(vary) ? vary.join(', ') : typeof vary === 'string' ? vary : '';
  if (current === '') return 'accept-encoding';
  if (/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(current)) return current;
  return `${current}, accept-encoding`;
}
