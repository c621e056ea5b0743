// Creating projects (validation and insertion shared by /admin/projects/new and the admin CLI), deleting
// them, and removing the demo in one step.
import type { Db } from '../db/create-db.js';
import { type FormErrors, emailProblem, PROJECT_SLUG_PATTERN } from '../forms.js';
import { findPersonByEmail } from '../accounts/queries.js';
import { RENDERER_VERSION, renderPostHtml } from '../markdown/render.js';
import { DEFAULT_COMMENT_POLICY } from '../projects/default-pages.js';
import { demoProjects } from '../demo/content.js';
import { demoEmails } from '../demo/seed.js';
import { deleteProjectsAndPeople, findPeopleByEmails, findProjectsBySlugs, insertProject, projectSlugTaken } from './queries.js';
import { RESERVED_SLUGS } from '../urls.js';

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
  else if (!PROJECT_SLUG_PATTERN.test(slug)) errors.slug = 'Use lowercase letters, digits and hyphens (up to 64), not starting or ending with a hyphen.';
  else if (RESERVED_SLUGS.has(slug)) errors.slug = `“${slug}” is used by the site itself. Choose another.`;
  else if (await projectSlugTaken(db, slug)) errors.slug = 'Another project has this address. Choose another.';
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
  // Every post links to the comment policy: a new project starts with one its owners can edit.
  const policy = DEFAULT_COMMENT_POLICY;
  return insertProject(
    db,
    { slug: input.slug.trim(), title: input.title.trim(), summary: (input.summary ?? '').trim() },
    ownerId,
    { slug: policy.slug, title: policy.title, bodyMd: policy.body, bodyHtml: renderPostHtml(policy.body), renderedVersion: RENDERER_VERSION },
    now,
  );
}

/** Deletes a project with everything in it; its addresses answer 410 from then on. */
export async function deleteProject(db: Db, project: { id: number; slug: string }, now: Date): Promise<void> {
  await deleteProjectsAndPeople(db, [project], [], now);
}

/** What of the demo is still installed: its projects and its accounts. */
export async function findDemo(db: Db): Promise<{ projects: { id: number; slug: string; title: string }[]; people: { id: number; email: string; display_name: string }[] }> {
  const projects = await findProjectsBySlugs(db, demoProjects.map((p) => p.slug));
  const people = await findPeopleByEmails(db, demoEmails());
  return { projects, people };
}

/**
 * Removes the demo in one transaction: its projects (their addresses then answer 410) and its accounts.
 * Refused (false) when the person doing it is a demo account: they would delete themselves, and the
 * site would have no admin of its own.
 */
export async function removeDemo(db: Db, actingPersonId: number, now: Date): Promise<{ projects: number; people: number } | false> {
  const demo = await findDemo(db);
  if (demo.people.some((p) => p.id === actingPersonId)) return false;
  await deleteProjectsAndPeople(db, demo.projects, demo.people.map((p) => p.id), now);
  return { projects: demo.projects.length, people: demo.people.length };
}
