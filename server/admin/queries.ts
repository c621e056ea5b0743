// SQL for the admin side: the dashboard's projects with their work counts, teams with emails, people
// (disable, enable), project settings, creating and deleting projects, the demo's rows.
import type { Db, Tx } from '../db/create-db.js';
import type { ProjectStatus, Role } from '../db/schema.js';
import { deleteProjectRow } from '../projects/queries.js';
import { hasAuthor, isListedLater, isPublic } from '../db/sql-helpers.js';

export interface DashboardProject {
  id: number;
  slug: string;
  title: string;
  status: string;
  role: Role | null;
  drafts: number;
  awaitingReview: number;
  scheduled: number;
  published: number;
  /** This person's posts an editor sent back with a note, not yet submitted again. */
  sentBack: number;
  pendingComments: number;
}

/** The projects a person works on (every project for a site admin), with counts of work waiting. */
export async function listDashboardProjects(db: Db, personId: number, isSiteAdmin: boolean, now: Date): Promise<DashboardProject[]> {
  const rows = await db
    .selectFrom('projects')
    .leftJoin('memberships', (join) => join.onRef('memberships.project_id', '=', 'projects.id').on('memberships.person_id', '=', personId))
    .$if(!isSiteAdmin, (qb) => qb.where('memberships.role', 'is not', null))
    .select((eb) => {
      const count = () => eb.selectFrom('posts').select((p) => p.fn.countAll<number>().as('n')).whereRef('posts.project_id', '=', 'projects.id');
      const posts = (status: 'draft' | 'review') => count().where('posts.status', '=', status).where('posts.deleted_at', 'is', null);
      return [
        'projects.id',
        'projects.slug',
        'projects.title',
        'projects.status',
        'memberships.role',
        posts('draft').as('drafts'),
        posts('review').as('awaiting_review'),
        // As the public sees them (editor/queries.ts lists them the same way).
        count().where((p) => isListedLater(p, now)).as('scheduled'),
        count().where((p) => isPublic(p, now)).as('published'),
        posts('draft')
          .where('posts.review_note', 'is not', null)
          .where((p) => p.or([p('posts.created_by', '=', personId), hasAuthor(p, personId)]))
          .as('sent_back'),
        eb
          .selectFrom('comments')
          .innerJoin('posts', 'posts.id', 'comments.post_id')
          .select((c) => c.fn.countAll<number>().as('n'))
          .whereRef('posts.project_id', '=', 'projects.id')
          .where('comments.status', '=', 'pending')
          .as('pending_comments'),
      ];
    })
    .orderBy((eb) => eb.case().when('projects.status', '=', 'active').then(0).when('projects.status', '=', 'closed').then(1).else(2).end())
    .orderBy('projects.title')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    title: r.title,
    status: r.status,
    role: (r.role as Role | null) ?? null,
    drafts: Number(r.drafts ?? 0),
    awaitingReview: Number(r.awaiting_review ?? 0),
    scheduled: Number(r.scheduled ?? 0),
    published: Number(r.published ?? 0),
    sentBack: Number(r.sent_back ?? 0),
    pendingComments: Number(r.pending_comments ?? 0),
  }));
}

export interface AdminTeamMember {
  personId: number;
  handle: string;
  displayName: string;
  email: string;
  role: Role;
  disabled: boolean;
  hasPassword: boolean;
}

export async function listAdminTeam(db: Db, projectId: number): Promise<AdminTeamMember[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('people', 'people.id', 'memberships.person_id')
    .select(['people.id', 'people.handle', 'people.display_name', 'people.email', 'people.disabled_at', 'people.password_hash', 'memberships.role'])
    .where('memberships.project_id', '=', projectId)
    .orderBy('people.display_name')
    .execute();
  return rows.map((r) => ({
    personId: r.id,
    handle: r.handle,
    displayName: r.display_name,
    email: r.email,
    role: r.role,
    disabled: r.disabled_at !== null,
    hasPassword: r.password_hash !== null,
  }));
}

/** A person's membership of a project (their role), if they have one. */
export async function findMembership(db: Db | Tx, projectId: number, personId: number): Promise<{ person_id: number; role: Role } | undefined> {
  return db.selectFrom('memberships').select(['person_id', 'role']).where('project_id', '=', projectId).where('person_id', '=', personId).executeTakeFirst();
}

export async function insertMembership(db: Db, projectId: number, personId: number, role: Role): Promise<void> {
  await db.insertInto('memberships').values({ project_id: projectId, person_id: personId, role }).execute();
}

/**
 * Takes the project's row lock for the rest of the transaction, so that changes to one project's team
 * happen one after another (two owners demoting each other at once cannot both see two owners).
 */
export async function lockProjectTeam(tx: Tx, projectId: number): Promise<void> {
  await tx.selectFrom('projects').select('id').where('id', '=', projectId).forUpdate().execute();
}

export async function updateMemberRole(tx: Tx, projectId: number, personId: number, role: Role): Promise<void> {
  await tx.updateTable('memberships').set({ role }).where('project_id', '=', projectId).where('person_id', '=', personId).execute();
}

export async function deleteMembership(tx: Tx, projectId: number, personId: number): Promise<void> {
  await tx.deleteFrom('memberships').where('project_id', '=', projectId).where('person_id', '=', personId).execute();
}

/**
 * A role changed or taken away leaves no row behind: the person's updated_at says when, so that what
 * they may moderate (their private moderation feed's Last-Modified) moves forward.
 */
export async function markTeamChange(tx: Tx, personId: number, now: Date): Promise<void> {
  await tx.updateTable('people').set({ updated_at: now }).where('id', '=', personId).execute();
}

export async function countOwners(db: Db | Tx, projectId: number): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', projectId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listPeople(db: Db) {
  return db
    .selectFrom('people')
    .select(['id', 'handle', 'display_name', 'email', 'is_site_admin', 'disabled_at', 'password_hash'])
    .orderBy('display_name')
    .execute();
}

/** Disabling an account: no more sign-in, and its unused set-password links go (sessions: auth/sessions.ts). */
export async function disablePerson(db: Db, personId: number, now: Date): Promise<void> {
  await db.updateTable('people').set({ disabled_at: now, updated_at: now }).where('id', '=', personId).execute();
  await db.deleteFrom('password_tokens').where('person_id', '=', personId).where('used_at', 'is', null).execute();
}

export async function enablePerson(db: Db, personId: number, now: Date): Promise<void> {
  await db.updateTable('people').set({ disabled_at: null, updated_at: now }).where('id', '=', personId).execute();
}

export async function findDisplayName(db: Db, personId: number): Promise<string> {
  const row = await db.selectFrom('people').select('display_name').where('id', '=', personId).executeTakeFirstOrThrow();
  return row.display_name;
}

/** Posts of a project not deleted: what the delete-project page says would go. */
export async function countProjectPosts(db: Db, projectId: number): Promise<number> {
  const row = await db
    .selectFrom('posts')
    .select((eb) => eb.fn.countAll<number>().as('posts'))
    .where('project_id', '=', projectId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.posts);
}

/** The fields of /admin/projects/:project/settings, written at once. */
export interface ProjectSettingsUpdate {
  title: string;
  summary: string;
  descriptionMd: string;
  descriptionHtml: string;
  renderedVersion: number;
  status: ProjectStatus;
  timeZone: string;
  settingsJson: string;
}

export async function updateProjectSettings(db: Db, projectId: number, u: ProjectSettingsUpdate, now: Date): Promise<void> {
  await db
    .updateTable('projects')
    .set({
      title: u.title,
      summary: u.summary,
      description_md: u.descriptionMd,
      description_html: u.descriptionHtml,
      rendered_version: u.renderedVersion,
      status: u.status,
      time_zone: u.timeZone,
      settings: u.settingsJson,
      updated_at: now,
    })
    .where('id', '=', projectId)
    .execute();
}

export async function projectSlugTaken(db: Db, slug: string): Promise<boolean> {
  return (await db.selectFrom('projects').select('id').where('slug', '=', slug).executeTakeFirst()) !== undefined;
}

/**
 * Inserts a project, its first owner (when named) and its comment-policy page, in one transaction.
 * `policyPage` is already rendered (every post links to the comment policy).
 */
export async function insertProject(
  db: Db,
  project: { slug: string; title: string; summary: string },
  ownerId: number | undefined,
  policyPage: { slug: string; title: string; bodyMd: string; bodyHtml: string; renderedVersion: number },
  now: Date,
): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('projects')
      .values({ slug: project.slug, title: project.title, summary: project.summary, settings: '{}', created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (ownerId !== undefined) await tx.insertInto('memberships').values({ project_id: row.id, person_id: ownerId, role: 'owner' }).execute();
    await tx
      .insertInto('pages')
      .values({ project_id: row.id, slug: policyPage.slug, title: policyPage.title, body_md: policyPage.bodyMd, body_html: policyPage.bodyHtml, rendered_version: policyPage.renderedVersion, created_at: now, updated_at: now })
      .execute();
    return row.id;
  });
}

export async function findProjectsBySlugs(db: Db, slugs: string[]): Promise<{ id: number; slug: string; title: string }[]> {
  return db.selectFrom('projects').select(['id', 'slug', 'title']).where('slug', 'in', slugs).orderBy('id').execute();
}

export async function findPeopleByEmails(db: Db, emails: string[]): Promise<{ id: number; email: string; display_name: string }[]> {
  return db.selectFrom('people').select(['id', 'email', 'display_name']).where('email', 'in', emails).orderBy('id').execute();
}

/** Deletes projects (each as deleteProjectRow: their addresses then answer 410) and people, in one transaction. */
export async function deleteProjectsAndPeople(db: Db, projects: { id: number; slug: string }[], personIds: number[], now: Date): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const project of projects) await deleteProjectRow(tx, project.id, project.slug, now);
    if (personIds.length) await tx.deleteFrom('people').where('id', 'in', personIds).execute();
  });
}
