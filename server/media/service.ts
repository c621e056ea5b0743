// Image uploads: the type is decided by the file's first bytes (magic numbers), never by its name or
// the browser's claim; the content hash names the file, so the same image is stored once.
import { createHash } from 'node:crypto';

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

export interface ImageType {
  contentType: string;
  ext: 'png' | 'jpg' | 'gif' | 'webp';
}

export const IMAGE_TYPES: ImageType[] = [
  { contentType: 'image/png', ext: 'png' },
  { contentType: 'image/jpeg', ext: 'jpg' },
  { contentType: 'image/gif', ext: 'gif' },
  { contentType: 'image/webp', ext: 'webp' },
];

const byExt = (ext: ImageType['ext']) => IMAGE_TYPES.find((t) => t.ext === ext)!;

/** PNG, JPEG, GIF or WebP from the first bytes; undefined for anything else. */
export function detectImageType(bytes: Buffer): ImageType | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return byExt('png');
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return byExt('jpg');
  if (bytes.length >= 6) {
    const head = bytes.subarray(0, 6).toString('latin1');
    if (head === 'GIF87a' || head === 'GIF89a') return byExt('gif');
  }
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return byExt('webp');
  return undefined;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export const mediaUrl = (sha256: string, ext: string) => `/media/${sha256}.${ext}`;

export type UploadCheck = { ok: true; type: ImageType } | { ok: false; status: number; message: string };

export function checkUpload(bytes: Buffer | undefined, tooLarge = false): UploadCheck {
  if (tooLarge || (bytes && bytes.length > MAX_IMAGE_BYTES)) return { ok: false, status: 413, message: 'The image is larger than 5 MB. Make it smaller and try again.' };
  if (!bytes) return { ok: false, status: 422, message: 'Choose an image file to upload.' };
  if (bytes.length === 0) return { ok: false, status: 422, message: 'The file is empty. Choose an image file.' };
  const type = detectImageType(bytes);
  if (!type) return { ok: false, status: 415, message: 'This file is not a PNG, JPEG, GIF or WebP image. Only these image types can be uploaded.' };
  return { ok: true, type };
}

export const MAX_ALT_LENGTH = 500;

export type AltCheck = { ok: true; alt: string } | { ok: false; message: string };

/**
 * Every upload says what the image shows, or is marked decorative on purpose ('' alt, which screen
 * readers skip). Nothing is assumed: no description and no tick is refused.
 */
export function checkAltText(alt: string | undefined, decorative: boolean): AltCheck {
  const text = (alt ?? '').replace(/\s+/g, ' ').trim();
  if (decorative) return { ok: true, alt: '' };
  if (!text) return { ok: false, message: 'Describe the image for people who cannot see it, or tick “Decorative only” if it adds nothing to the text.' };
  if (text.length > MAX_ALT_LENGTH) return { ok: false, message: `The description is too long: ${MAX_ALT_LENGTH} characters at most. Put longer explanations in the text.` };
  return { ok: true, alt: text };
}

/** The Markdown that shows an uploaded image with its description (brackets and backslashes escaped). */
export function imageMarkdown(url: string, alt: string): string {
  return `![${alt.replace(/[\\[\]]/g, (c) => `\\${c}`)}](${url})`;
}
