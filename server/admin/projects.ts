// Creating projects: validation and insertion shared by /admin/projects/new and the admin CLI.
import type { Db } from '../db/create-db.js';
import { emailProblem, type FormErrors } from '../accounts/form.js';
import { findPersonByEmail } from '../accounts/queries.js';
import { RENDERER_VERSION, renderPostHtml } from '../markdown/render.js';
import { DEFAULT_COMMENT_POLICY } from '../projects/default-pages.js';
import { RESERVED_SLUGS, SLUG_PATTERN } from '../urls.js';

export interface NewProjectInput {
  slug: string;
  title: string;
  summary?: string;
  /** Optional: becomes the project's owner. */
  ownerEmail?: string;
}

/** Field errors (keys: slug, title, summary, ownerEmail) and the owner's id when one was named. */
export async function validateNewProject(db: Db, input: NewProjectInput): Promise<{ errors: FormErrors; ownerId?: number }> {
  const errors: FormErrors = {};
  const slug = input.slug.trim();
  if (!slug) errors.slug = 'Enter a short name for the address, like info-sharing.';
  else if (!SLUG_PATTERN.test(slug)) errors.slug = 'Use lowercase letters, digits and hyphens (up to 64), not starting or ending with a hyphen.';
  else if (RESERVED_SLUGS.has(slug)) errors.slug = `“${slug}” is used by the site itself. Choose another.`;
  else if (await db.selectFrom('projects').select('id').where('slug', '=', slug).executeTakeFirst()) errors.slug = 'Another project has this address. Choose another.';
  const title = input.title.trim();
  if (!title) errors.title = 'Enter a title.';
  else if (title.length > 200) errors.title = 'Use at most 200 characters.';
  if ((input.summary ?? '').trim().length > 300) errors.summary = 'Use at most 300 characters.';
  let ownerId: number | undefined;
  const ownerEmail = (input.ownerEmail ?? '').trim().toLowerCase();
  if (ownerEmail) {
    const problem = emailProblem(ownerEmail);
    const owner = problem ? undefined : await findPersonByEmail(db, ownerEmail);
    if (problem) errors.ownerEmail = problem;
    else if (!owner) errors.ownerEmail = 'Nobody with this email address is registered. Add the person first.';
    else ownerId = owner.id;
  }
  return { errors, ownerId };
}

export async function createProject(db: Db, input: NewProjectInput, ownerId: number | undefined, now: Date): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const project = await tx
      .insertInto('projects')
      .values({ slug: input.slug.trim(), title: input.title.trim(), summary: (input.summary ?? '').trim(), settings: '{}', created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (ownerId !== undefined) await tx.insertInto('memberships').values({ project_id: project.id, person_id: ownerId, role: 'owner' }).execute();
    // Every post links to the comment policy: a new project starts with one its owners can edit.
    const policy = DEFAULT_COMMENT_POLICY;
    await tx
      .insertInto('pages')
      .values({ project_id: project.id, slug: policy.slug, title: policy.title, body_md: policy.body, body_html: renderPostHtml(policy.body), rendered_version: RENDERER_VERSION, created_at: now, updated_at: now })
      .execute();
    return project.id;
  });
}
