// A refused comment is shown again on its post page with what was typed: this is what the comment
// routes hand the post page (post-page/page.ts) to do that.
import type { FieldErrors } from './rules.js';

/** What the commenter typed and what was wrong with it, when a comment is shown back. */
export interface CommentFormState {
  values: { name: string; email: string; body: string; parentId?: number; renderedAt?: string };
  errors: FieldErrors;
  /** A message about the whole form (closed meanwhile, rate limit, expired form). */
  notice?: string;
}
