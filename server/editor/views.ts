// What the editor's list and confirmation pages give their templates (views/pages/editor/{posts,pages,
// confirm-delete,revisions,revision}.eta): named view models, camelCase, dates as Date, and raw HTML only
// in a field named as trusted. The forms (post-form, page-form, upload) have their own models in routes.ts.
import type { PostStatus } from '../db/schema.js';
import type { EditorPostRow } from './queries.js';

/** The project as the editor's pages name it; the layout reads slug and title for its header. */
export interface EditorProject {
  slug: string;
  title: string;
  status: string;
}

/** GET /admin/projects/:project/posts */
export interface PostListView {
  project: EditorProject;
  /** The project's time zone: dates in the list are days in that zone. */
  timeZone: string;
  items: Array<EditorPostRow & { statusLabel: string; editUrl: string | null; publicUrl: string | null }>;
  /** The status filter chosen ('' for all). */
  status: PostStatus | '';
  statuses: Array<{ value: string; label: string }>;
  canEditPages: boolean;
  canBulkPublish: boolean;
  bulkUrl: string;
  notice: string | undefined;
}

/** GET /admin/projects/:project/pages */
export interface PageListView {
  project: EditorProject;
  items: Array<{ id: number; slug: string; title: string; updatedAt: Date; editUrl: string; publicUrl: string }>;
  notice: string | undefined;
}

/** "Delete …?" before deleting one post or several. */
export interface DeleteConfirmationView {
  project: EditorProject;
  posts: Array<{ id: number; title: string }>;
  action: string;
  backUrl: string;
  backLabel: string;
  listUrl: string;
}

/** GET /admin/projects/:project/posts/:id/revisions */
export interface RevisionListView {
  project: EditorProject;
  post: { title: string };
  revisions: Array<{ id: number; createdAt: Date; personName: string | null; title: string; url: string }>;
  editUrl: string;
}

/** GET /admin/projects/:project/posts/:id/revisions/:rev */
export interface RevisionView {
  project: EditorProject;
  /** The current post: its title, and the version the restore form must carry. */
  post: { title: string; version: number };
  revision: { id: number; createdAt: Date; personName: string | null };
  /** Trusted HTML: the line diff, every line escaped, then only <del>/<ins> added (service.ts: diffHtml). */
  diffHtmlTrusted: string;
  changed: boolean;
  error: string | null;
  restoreUrl: string;
  revisionsUrl: string;
  editUrl: string;
}
