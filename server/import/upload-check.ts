// The first look at an export file, as it is staged (web upload or CLI): what a person may pick by mistake
// (an image, a web page, a JSON file, a zip, a plain RSS feed, an empty file) is refused at once with a
// message naming the file and what to do, before anything is stored or imported, instead of failing
// later in the background with an XML parser's words. It also:
// - decompresses a gzip'd export (export.xml.gz) as it streams. The decompressed bytes are what the
//   staging counts against the upload limit, so a "gzip bomb" stops at the limit (the transaction that
//   stages it is rolled back: nothing kept), whatever its ratio;
// - checks that the text is UTF-8 (or transcodes it to UTF-8 when the XML declaration names another
//   encoding, such as an old site's ISO-8859-1, unless its start reads as UTF-8 all the same), so the
//   importer never turns bytes into "�" or "Ã©" silently;
//   a byte that is not UTF-8 is refused with its line.
// A DOCTYPE is refused here too (the reader refuses it again: server/import/wxr-parser.ts).
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** A file refused before it was staged: the message is shown as it is to the person importing. */
export class UploadRefused extends Error {}

/** How much of the (decompressed) start of a file is read to recognise it. */
const HEAD_BYTES = 64 * 1024;
const EXPORT_HOW = 'In WordPress, use Tools → Export → All content, and upload the .xml file it downloads.';

/** The file's bytes, decompressed and as UTF-8, once its start has been recognised as a WordPress export. */
export async function* checkedExport(name: string, chunks: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer> {
  // Enough bytes to recognise the container (gzip, zip, images).
  const { head: start, all: rest } = await peek(chunks, 8);
  if (start.length === 0) throw new UploadRefused(`${name} is empty (0 bytes). ${EXPORT_HOW}`);
  if (start[0] === 0x1f && start[1] === 0x8b) {
    yield* checkedText(name, gunzip(name, rest), true);
    return;
  }
  const container = binaryKind(start);
  if (container) throw new UploadRefused(`${name} is ${container}, not a WordPress export. ${container.startsWith('a zip') ? 'Unzip it and upload the .xml file inside. ' : ''}${EXPORT_HOW}`);
  yield* checkedText(name, rest, false);
}

/** Reads at least `bytes` from the start of a stream (less if it ends first) and gives them, and the whole stream again. */
async function peek(chunks: AsyncIterable<Buffer | Uint8Array>, bytes: number): Promise<{ head: Buffer; done: boolean; all: AsyncGenerator<Buffer> }> {
  const source = chunks[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < bytes) {
    const next = await source.next();
    if (next.done) {
      done = true;
      break;
    }
    parts.push(asBuffer(next.value));
    size += next.value.length;
  }
  const head = Buffer.concat(parts);
  const all = (async function* () {
    yield head;
    if (done) return;
    for (;;) {
      const next = await source.next();
      if (next.done) return;
      yield asBuffer(next.value);
    }
  })();
  return { head, done, all };
}

/** The same bytes as a Buffer, not copied. */
const asBuffer = (bytes: Buffer | Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

function binaryKind(b: Buffer): string | undefined {
  const starts = (hex: string) => b.subarray(0, hex.length / 2).equals(Buffer.from(hex, 'hex'));
  if (starts('504b0304') || starts('504b0506')) return 'a zip archive';
  if (starts('89504e47')) return 'a PNG image';
  if (starts('ffd8ff')) return 'a JPEG image';
  if (starts('47494638')) return 'a GIF image';
  if (starts('25504446')) return 'a PDF document';
  if (starts('425a68')) return 'a bzip2-compressed file';
  if (starts('fd377a585a00')) return 'an xz-compressed file';
  if (starts('377abcaf271c')) return 'a 7-Zip archive';
  return undefined;
}

async function* gunzip(name: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const input = Readable.from(chunks);
  const output = createGunzip();
  // A failure reading the upload itself (cut off, over the limit) is passed on as it is.
  input.on('error', (e) => output.destroy(e));
  input.pipe(output);
  try {
    for await (const chunk of output) yield chunk as Buffer;
  } catch (e) {
    if (typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code.startsWith('Z_')) {
      throw new UploadRefused(`${name} looks gzip-compressed but could not be decompressed (it may be cut off or damaged). Download the export again.`);
    }
    throw e;
  } finally {
    input.destroy();
    output.destroy();
  }
}

/** Recognises the start of the text, then passes the bytes on as UTF-8, checked or transcoded. */
async function* checkedText(name: string, chunks: AsyncIterable<Buffer>, gzipped: boolean): AsyncGenerator<Buffer> {
  const { head: headBytes, done, all: rest } = await peek(chunks, HEAD_BYTES);
  const what = gzipped ? `${name} (decompressed)` : name;
  if (headBytes.length === 0) throw new UploadRefused(`${what} is empty. ${EXPORT_HOW}`);
  if (!gzipped && binaryKind(headBytes)) throw new UploadRefused(`${name} is ${binaryKind(headBytes)}, not a WordPress export. ${EXPORT_HOW}`);
  if ((headBytes[0] === 0xff && headBytes[1] === 0xfe) || (headBytes[0] === 0xfe && headBytes[1] === 0xff)) {
    throw new UploadRefused(`${what} is saved as UTF-16 text. Save it as UTF-8 (any text editor can), then upload it again.`);
  }
  const encoding = declaredEncoding(headBytes);
  let decoder: TextDecoder | undefined;
  if (encoding && !/^utf-?8$/i.test(encoding)) {
    try {
      decoder = new TextDecoder(encoding);
    } catch {
      throw new UploadRefused(`${what} declares the text encoding “${encoding.slice(0, 40)}”, which this site cannot read. Convert the file to UTF-8 (for example: iconv -f ${encoding.slice(0, 40)} -t UTF-8), change its first line to say encoding="UTF-8", and upload it again.`);
    }
    if (decoder.encoding.startsWith('utf-16')) throw new UploadRefused(`${what} is saved as UTF-16 text. Save it as UTF-8 (any text editor can), then upload it again.`);
    // A WordPress site whose setting says ISO-8859-1 often stores UTF-8 all the same, and its export
    // declares the setting: text beyond ASCII that reads as UTF-8 (which Latin-1 text almost never does)
    // is read as UTF-8, not turned into "CafÃ©".
    if (headBytes.some((b) => b >= 0x80) && readsAsUtf8(headBytes)) decoder = undefined;
  }
  refuseUnlessExport(what, (decoder ?? new TextDecoder()).decode(headBytes), headBytes.length >= HEAD_BYTES || !done);

  if (decoder) {
    // Another encoding, declared: transcoded to UTF-8 (the reader reads UTF-8; its declaration is ignored).
    for await (const chunk of rest) yield Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8');
    const tail = decoder.decode();
    if (tail) yield Buffer.from(tail, 'utf8');
    return;
  }
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let lines = 1;
  for await (const chunk of rest) {
    try {
      utf8.decode(chunk, { stream: true });
    } catch {
      throw notUtf8(what, chunk, lines);
    }
    lines += countNewlines(chunk);
    yield chunk;
  }
  try {
    utf8.decode();
  } catch {
    throw new UploadRefused(`${what} is not UTF-8 text: it ends in the middle of a character (line ${lines}). It may be cut off; export it again.`);
  }
}

/** Whether bytes are UTF-8 (a character cut off at their end allowed: they are the start of a stream). */
function readsAsUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function notUtf8(what: string, chunk: Buffer, linesBefore: number): UploadRefused {
  // Where: the first replacement character of a lenient decoding of this chunk (near enough to find it).
  const text = new TextDecoder().decode(chunk);
  const at = Math.max(0, text.indexOf('\uFFFD'));
  const line = linesBefore + (text.slice(0, at).match(/\n/g)?.length ?? 0);
  return new UploadRefused(`${what} is not UTF-8 text: line ${line} has bytes that are not UTF-8, so its characters cannot be read. If the site uses another encoding, the file’s first line must name it (encoding="ISO-8859-1"); otherwise fix or remove those characters and upload it again.`);
}

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

function declaredEncoding(head: Buffer): string | undefined {
  const text = head.subarray(0, 300).toString('latin1').replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, '');
  return /^\s*<\?xml\s[^?]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(text)?.[1];
}

/** The start of the text must be XML with an <rss> root in WordPress's export namespace. */
function refuseUnlessExport(what: string, text: string, partial: boolean): void {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (body.startsWith('{') || body.startsWith('[')) throw new UploadRefused(`${what} is a JSON file, not a WordPress export. ${EXPORT_HOW}`);
  if (!body.startsWith('<')) throw new UploadRefused(`${what} is not a WordPress export: it is not XML (it does not start with “<”). ${EXPORT_HOW}`);
  // Past the declaration, comments and processing instructions, to the DOCTYPE or the root element.
  let rest = body;
  for (;;) {
    const skipped = rest.replace(/^(?:<\?[\s\S]*?\?>|<!--[\s\S]*?-->)\s*/, '');
    if (skipped === rest) break;
    rest = skipped;
  }
  if (/^<!DOCTYPE\s+html/i.test(rest) || /^<html[\s>]/i.test(rest)) throw new UploadRefused(`${what} is a web page (HTML), not a WordPress export. ${EXPORT_HOW}`);
  if (/^<!DOCTYPE/i.test(rest)) throw new UploadRefused(`${what} was refused: it declares a DOCTYPE (document type or entities). A WordPress export never needs one, and entity declarations can be used to read files or exhaust memory.`);
  const root = /^<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/.exec(rest);
  if (!root && partial) return; // a very long prolog: the reader decides
  if (!root) throw new UploadRefused(`${what} is not a WordPress export: it has no root element. ${EXPORT_HOW}`);
  if (root[2] === 'feed') throw new UploadRefused(`${what} is an Atom feed, not a WordPress export: a feed holds only the latest posts. ${EXPORT_HOW}`);
  if (root[2] !== 'rss') throw new UploadRefused(`${what} is not a WordPress export: its root element is <${(root[1] ?? '') + root[2]}>, not <rss>. ${EXPORT_HOW}`);
  if (!/\bwordpress\.org\/export\/1\.\d+\/?["']/.test(rest)) {
    throw new UploadRefused(`${what} is an RSS feed, not a WordPress export (it does not use WordPress's export format, WXR): a feed holds only the latest posts, without comments or pages. ${EXPORT_HOW}`);
  }
}
