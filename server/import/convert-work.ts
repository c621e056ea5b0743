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

export function runConvertTask(task: ConvertTask): ConvertedPost | ConvertedComments {
  return task.kind === 'post' ? convertPost(task) : task.contents.map(convertComment);
}
