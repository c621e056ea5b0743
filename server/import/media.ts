// Images of imported posts, stored like uploaded images (bytes in the database, named by their hash,
// server/media): read from the old site's uploads folder given with --media-dir (the path after
// wp-content/uploads/ in the old URL), or with --fetch-media downloaded from the old site through the one
// guarded outbound client (timeouts, a size cap, no private addresses). References in the Markdown are
// rewritten to the new /media/ URL. A missing or unreadable image is reported and its old reference
// kept: it never fails the import.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Tx } from '../db/create-db.js';
import { detectImageType, MAX_IMAGE_BYTES, mediaUrl, sha256Hex } from '../media/service.js';
import { fetchOutbound, OutboundError } from '../outbound/http.js';
import type { WxrSite } from './wxr-parser.js';

export interface MediaOptions {
  projectId: number;
  mediaDir?: string;
  fetchMedia?: boolean;
  allowPrivateFetch?: boolean;
  fetchTimeoutMs?: number;
}

export interface MediaResult {
  markdown: string;
  stored: number;
  missing: Array<{ url: string; reason: string }>;
}

export interface MediaStore {
  rewrite(tx: Tx, markdown: string, site: WxrSite | undefined): Promise<MediaResult>;
  /** How many images are known so far; `forget(mark)` drops those learnt after it (their rows were rolled back). */
  mark(): number;
  forget(mark: number): void;
}

const IMAGE_REF = /!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(\s+"[^"]*")?\s*\)/g;
// An <img> in HTML the converter kept (a table with merged cells or without a header row): its src, as
// content.ts writes it (double quotes, `&` as `&amp;`).
const HTML_IMAGE_SRC = /(<img\b[^>]*?\bsrc=")([^"]+)(")/gi;
const htmlSrc = (src: string) => src.replace(/&amp;/g, '&');

export function createMediaStore(options: MediaOptions): MediaStore {
  // One old URL → new URL per import run (the same image in many posts is read once).
  const done = new Map<string, string | { reason: string }>();
  const learnt: string[] = [];

  async function load(url: string): Promise<Buffer | { reason: string }> {
    const uploads = /\/wp-content\/uploads\/(.+)$/.exec(new URL(url).pathname)?.[1];
    if (options.mediaDir && uploads) {
      const root = path.resolve(options.mediaDir);
      const file = path.resolve(root, decodeURIComponent(uploads));
      if (!file.startsWith(root + path.sep)) return { reason: 'its path leaves the media folder' };
      try {
        const stat = await fs.stat(file);
        if (stat.size > MAX_IMAGE_BYTES) return { reason: `larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB` };
        return await fs.readFile(file);
      } catch {
        if (!options.fetchMedia) return { reason: `not found in the media folder (${uploads})` };
      }
    }
    if (options.fetchMedia) {
      try {
        const response = await fetchOutbound(url, { timeoutMs: options.fetchTimeoutMs ?? 15_000, maxBytes: MAX_IMAGE_BYTES, allowPrivate: options.allowPrivateFetch ?? false });
        if (response.status !== 200) return { reason: `the old site answered ${response.status}` };
        return response.body;
      } catch (e) {
        return { reason: e instanceof OutboundError ? e.message : 'it could not be downloaded' };
      }
    }
    return { reason: uploads ? 'no media folder or download was asked for' : 'not in the uploads folder' };
  }

  return {
    mark: () => learnt.length,
    forget(mark) {
      for (const ref of learnt.splice(mark)) done.delete(ref);
    },
    async rewrite(tx, markdown, site) {
      const result: MediaResult = { markdown, stored: 0, missing: [] };
      const refs = [...[...markdown.matchAll(IMAGE_REF)].map((m) => m[2] ?? ''), ...[...markdown.matchAll(HTML_IMAGE_SRC)].map((m) => htmlSrc(m[2] ?? ''))];
      const oldHost = site ? safeHost(site.baseSiteUrl || site.link) : undefined;
      for (const ref of new Set(refs)) {
        let url: URL;
        try {
          url = new URL(ref);
        } catch {
          continue;
        }
        if (!/^https?:$/.test(url.protocol)) continue;
        // Only the old site's own images (and anything under wp-content/uploads) are brought across.
        if (url.hostname !== oldHost && !url.pathname.includes('/wp-content/uploads/')) continue;
        let outcome = done.get(ref);
        if (!outcome) {
          const bytes = await load(ref);
          if (Buffer.isBuffer(bytes)) {
            const type = detectImageType(bytes);
            if (!type) outcome = { reason: 'not a PNG, JPEG, GIF or WebP image' };
            else {
              const sha = sha256Hex(bytes);
              await tx
                .insertInto('images')
                .values({ sha256: sha, content_type: type.contentType, byte_size: bytes.length, bytes, project_id: options.projectId, uploaded_by: null, alt_text: null })
                .onConflict((oc) => oc.column('sha256').doNothing())
                .execute();
              outcome = mediaUrl(sha, type.ext);
              result.stored++;
            }
          } else outcome = bytes;
          done.set(ref, outcome);
          learnt.push(ref);
        }
        if (typeof outcome === 'string') {
          const newUrl = outcome;
          result.markdown = result.markdown.replace(IMAGE_REF, (m, alt: string, target: string, title: string | undefined) => (target === ref ? `![${alt}](${newUrl}${title ?? ''})` : m));
          result.markdown = result.markdown.replace(HTML_IMAGE_SRC, (m, before: string, src: string, after: string) => (htmlSrc(src) === ref ? `${before}${newUrl}${after}` : m));
        } else result.missing.push({ url: ref, reason: outcome.reason });
      }
      return result;
    },
  };
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
