// Compressed copies of a stored page that has per-response values in it (the comment form's render
// stamp, a visitor's CSRF token), made once when the page is stored, so that answering a reader in
// Brotli or gzip is byte concatenation, as it is for the plain copy (page-cache.ts fillTemplate): no
// compression per response.
//
// gzip: each fixed part is compressed on its own as raw deflate ending on a sync flush (byte-aligned, not
// final, referring to nothing before it), each value goes in as a stored (uncompressed) block, an empty
// final block ends the stream; then the gzip header and trailer (CRC-32 and length of the whole page: a
// checksum, not compression) go around it (RFC 1951 §3.2.3–3.2.4, RFC 1952).
// Brotli: a Brotli stream cannot be cut and joined the same way (every later block may refer back into
// the value, and how a literal is coded depends on the two bytes before it), so the page up to its first
// value is compressed and flushed (byte-aligned, not final), and the rest goes in as uncompressed
// meta-blocks (RFC 7932 §9.2), then an empty last meta-block. That pays only when little follows the
// first value; when the Brotli copy would not be smaller than the gzip one it is not kept, and Brotli
// readers get gzip. (The post page is not made this way: its form and footer, 2.7 KB, follow the render
// stamp. Its stamp changes once a second, so the cache compresses it once a second instead: plugin.ts.)
import zlib from 'node:zlib';
import { brotliStoredOptions, compressionStats, gzipStoredOptions, type Encoding } from '../compression.js';

export type Slot = 'csrf' | 'stamp';

export interface CompressedTemplate {
  gzip: { segments: Buffer[]; slots: Slot[] };
  /** Undefined when Brotli would not beat gzip for this page. */
  br: { head: Buffer; rest: Buffer[]; slots: Slot[] } | undefined;
  /** The plain parts, for the CRC and the length of each filled copy. */
  parts: Buffer[];
  bytes: number;
}

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
/** A final, empty, fixed-Huffman deflate block, starting on a byte boundary. */
const DEFLATE_END = Buffer.from([0x03, 0x00]);
/** Brotli: ISLAST=1, ISLASTEMPTY=1. */
const BROTLI_END = Buffer.from([0x03]);

/**
 * Makes the compressed templates of a page split at its per-response values (page-cache.ts
 * splitTemplate): gzip always, Brotli when asked for and smaller than gzip.
 */
export function compressTemplate(template: { parts: Buffer[]; slots: Slot[] }, options: { brotli: boolean }): CompressedTemplate {
  compressionStats.bodies++;
  const { parts, slots } = template;
  const segments = parts.map((part) => zlib.deflateRawSync(part, { ...gzipStoredOptions, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  if (!options.brotli) return { gzip: { segments, slots }, br: undefined, parts, bytes: segments.reduce((n, s) => n + s.length, 0) };
  const head = zlib.brotliCompressSync(parts[0]!, { ...brotliStoredOptions, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  const rest = parts.slice(1);
  const restBytes = rest.reduce((n, p) => n + p.length + 3 * Math.ceil((p.length + 1) / 65_536), 0);
  const gzipBytes = segments.reduce((n, s) => n + s.length, GZIP_HEADER.length + DEFLATE_END.length + 8);
  const keepBr = head.length + restBytes < gzipBytes;
  const br = keepBr ? { head, rest, slots } : undefined;
  return {
    gzip: { segments, slots },
    br,
    parts,
    bytes: gzipBytes + (keepBr ? head.length + restBytes : 0),
  };
}

/** True when this template has a copy in `encoding` (else the reader gets another one). */
export function hasEncoding(t: CompressedTemplate, encoding: Encoding): boolean {
  return encoding === 'gzip' || t.br !== undefined;
}

/** The page in `encoding` with its values filled in: concatenation and a CRC, no compression. */
export function fillCompressed(t: CompressedTemplate, encoding: Encoding, values: { csrf?: string; stamp: string }): Buffer {
  const encoded = { csrf: Buffer.from(values.csrf ?? ''), stamp: Buffer.from(values.stamp) };
  if (encoding === 'br' && t.br) {
    const chunks: Buffer[] = [t.br.head];
    t.br.slots.forEach((slot, i) => {
      chunks.push(...uncompressedMetaBlocks(encoded[slot]));
      chunks.push(...uncompressedMetaBlocks(t.br!.rest[i]!));
    });
    chunks.push(BROTLI_END);
    return Buffer.concat(chunks);
  }
  const chunks: Buffer[] = [GZIP_HEADER, t.gzip.segments[0]!];
  let crc = crc32(t.parts[0]!, 0);
  let length = t.parts[0]!.length;
  t.gzip.slots.forEach((slot, i) => {
    const value = encoded[slot];
    chunks.push(...storedBlocks(value), t.gzip.segments[i + 1]!);
    crc = crc32(t.parts[i + 1]!, crc32(value, crc));
    length += value.length + t.parts[i + 1]!.length;
  });
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length >>> 0, 4);
  chunks.push(DEFLATE_END, trailer);
  return Buffer.concat(chunks);
}

/** CRC-32 continued over `data` (Node 20's zlib.crc32 answers 0 for an empty buffer, whatever the start). */
function crc32(data: Buffer, start: number): number {
  return data.length === 0 ? start : zlib.crc32(data, start);
}

/** Deflate stored blocks (not final) holding `data`, starting on a byte boundary (RFC 1951 §3.2.4). */
function storedBlocks(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += 65_535) {
    const chunk = data.subarray(at, at + 65_535);
    const header = Buffer.alloc(5);
    header[0] = 0x00; // BFINAL=0, BTYPE=00, padding
    header.writeUInt16LE(chunk.length, 1);
    header.writeUInt16LE(~chunk.length & 0xffff, 3);
    out.push(header, chunk);
  }
  return out;
}

/** Brotli uncompressed meta-blocks holding `data`, starting on a byte boundary (RFC 7932 §9.2). */
function uncompressedMetaBlocks(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += 65_536) {
    const chunk = data.subarray(at, at + 65_536);
    // ISLAST=0 (bit 0), MNIBBLES=4 (bits 1–2: 0), MLEN-1 (bits 3–18), ISUNCOMPRESSED=1 (bit 19), zero padding.
    const bits = ((chunk.length - 1) << 3) | (1 << 19);
    out.push(Buffer.from([bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff]), chunk);
  }
  return out;
}
