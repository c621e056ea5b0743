// The CPU-heavy part of importing one post or its comments, as plain data in and out: WordPress HTML →
// Markdown (content.ts) → HTML (the one pipeline, server/markdown). The worker threads of
// convert-pool.ts run exactly these functions, and the importer runs them itself when no pool is used, so
// both paths give the same bytes. No database, no media: a post whose conversion needs the transaction
// (a [gallery]) is converted by the importer on its own thread.
import { renderCommentHtml, renderPostHtml } from '../markdown/render.js';
import { convertCommentContent, convertPostContent, type ConvertNotes } from './content.js';

export type ConvertTask =
  | { kind: 'post'; html: string; postId: string; footnotes?: Array<{ id: string; content: string }> }
  | { kind: 'comments'; contents: string[] };

export interface ConvertedPost {
  markdown: string;
  notes: ConvertNotes;
  /** renderPostHtml(markdown): right unless the media store rewrites the Markdown afterwards. */
  html: string;
}

/** Each comment's Markdown source ('(empty comment)' for none) and its rendered HTML. */
export type ConvertedComments = Array<{ src: string; html: string }>;

export function convertPost(task: Extract<ConvertTask, { kind: 'post' }>): ConvertedPost {
  const { markdown, notes } = convertPostContent(task.html, { postId: task.postId, footnotes: task.footnotes });
  return { markdown, notes, html: renderPostHtml(markdown) };
}

export function convertComment(content: string): { src: string; html: string } {
  const src = convertCommentContent(content) || '(empty comment)';
  return { src, html: renderCommentHtml(src) };
}

/**
 * The most the importer converts on its own thread (the server's, when no worker threads are used: a
 * small export, or a post with a [gallery]). Converting builds a DOM of the HTML, and the server's heap is
 * capped (scripts/server-command.mjs: 128 MB): 1 MB of `<b>x</b>` ended the whole server with "JavaScript
 * heap out of memory" (test/import/faults.test.ts). On a worker thread the worker's own cap
 * (convert-pool.ts) ends only that worker, so this limit is not applied there.
 */
export const MAX_CONVERT_CHARS_HERE = 1_000_000;
export const MAX_CONVERT_ELEMENTS_HERE = 25_000;

/** Throws (the item is then skipped, with this reason) when `html` is more than this thread may convert. */
export function checkConvertibleHere(html: string, what: string): void {
  let reason: string | undefined;
  if (html.length > MAX_CONVERT_CHARS_HERE) reason = `${html.length.toLocaleString('en')} characters; at most ${MAX_CONVERT_CHARS_HERE.toLocaleString('en')}`;
  else {
    // Tags and paragraph breaks (each becomes an element once paragraphs are restored), counted cheaply.
    let elements = 0;
    const unit = /<[a-z]|\n\s*\n/gi;
    while (unit.exec(html) && ++elements <= MAX_CONVERT_ELEMENTS_HERE);
    if (elements > MAX_CONVERT_ELEMENTS_HERE) reason = `over ${MAX_CONVERT_ELEMENTS_HERE.toLocaleString('en')} HTML elements`;
  }
  if (reason) throw new Error(`${what} is too large to convert (${reason})`);
}

export function runConvertTask(task: ConvertTask): ConvertedPost | ConvertedComments {
  return task.kind === 'post' ? convertPost(task) : task.contents.map(convertComment);
}
