// SQL for projects, their teams, tags and static pages.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import type { Page, Project, Role } from '../db/schema.js';
import { isListedLater, isPublic, publicCountFromKept } from '../db/sql-helpers.js';

export async function findProjectBySlug(db: Db, slug: string): Promise<Project | undefined> {
  return db.selectFrom('projects').selectAll().where('slug', '=', slug).executeTakeFirst();
}

/** site_settings key of the slugs of deleted projects: their addresses answer 410 Gone. */
const REMOVED_PROJECTS_KEY = 'removed_projects';

/** Whether a project once lived at this slug and was deleted (and none lives there now). */
export async function isRemovedProjectSlug(db: Db, slug: string): Promise<boolean> {
  const row = await db
    .selectFrom('site_settings')
    .select('key')
    .where('key', '=', REMOVED_PROJECTS_KEY)
    .where(sql<boolean>`value ? ${slug}`)
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes a project and everything in it (cascade), and remembers its slug so its URLs answer 410. */
export async function deleteProjectRow(tx: Tx, projectId: number, slug: string, now: Date): Promise<void> {
  await tx.deleteFrom('projects').where('id', '=', projectId).execute();
  await sql`
    INSERT INTO site_settings (key, value, updated_at) VALUES (${REMOVED_PROJECTS_KEY}, jsonb_build_array(${slug}::text), ${now})
    ON CONFLICT (key) DO UPDATE SET
      value = CASE WHEN site_settings.value ? ${slug} THEN site_settings.value ELSE site_settings.value || jsonb_build_array(${slug}::text) END,
      updated_at = ${now}`.execute(tx);
}

export interface ProjectListing {
  id: number;
  slug: string;
  title: string;
  summary: string;
  status: string;
  postCount: number;
  lastPublishedAt: Date | null;
}

/**
 * The site directory: active projects first, then closed, then archived; each by title. Post counts come
 * from the trigger-kept counts less the posts scheduled for later (migration 0008), the last date from
 * the top of each project's public index: grouping every post of the site grew with the posts.
 */
export async function listProjects(db: Db, now: Date): Promise<ProjectListing[]> {
  const later = db
    .selectFrom('posts')
    .select((p) => ['posts.project_id', p.fn.countAll<number>().as('n')])
    .where((p) => isListedLater(p, now))
    .groupBy('posts.project_id');
  const rows = await db
    .selectFrom('projects')
    .leftJoin('project_post_counts as kept', 'kept.project_id', 'projects.id')
    .leftJoin(later.as('later'), 'later.project_id', 'projects.id')
    .select((eb) => [
      'projects.id',
      'projects.slug',
      'projects.title',
      'projects.summary',
      'projects.status',
      'kept.n as kept',
      'later.n as later',
      eb
        .selectFrom('posts')
        .select('posts.published_at')
        .whereRef('posts.project_id', '=', 'projects.id')
        .where((p) => isPublic(p, now))
        .orderBy('posts.published_at', 'desc')
        .limit(1)
        .as('last_published_at'),
    ])
    .orderBy((eb) => eb.case().when('projects.status', '=', 'active').then(0).when('projects.status', '=', 'closed').then(1).else(2).end())
    .orderBy('projects.title')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    title: r.title,
    summary: r.summary,
    status: r.status,
    postCount: publicCountFromKept(r.kept, r.later),
    lastPublishedAt: (r.last_published_at as Date | null) ?? null,
  }));
}

export interface TeamMember {
  personId: number;
  handle: string;
  displayName: string;
  bio: string;
  role: Role;
}

export async function listTeam(db: Db, projectId: number): Promise<TeamMember[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('people', 'people.id', 'memberships.person_id')
    .select(['people.id', 'people.handle', 'people.display_name', 'people.bio', 'memberships.role'])
    .where('memberships.project_id', '=', projectId)
    .where('people.disabled_at', 'is', null)
    .orderBy((eb) =>
      eb.case().when('memberships.role', '=', 'owner').then(0).when('memberships.role', '=', 'editor').then(1)
        .when('memberships.role', '=', 'author').then(2).when('memberships.role', '=', 'contributor').then(3).else(4).end(),
    )
    .orderBy('memberships.position')
    .orderBy('people.display_name')
    .execute();
  return rows.map((r) => ({ personId: r.id, handle: r.handle, displayName: r.display_name, bio: r.bio, role: r.role }));
}

export interface TagWithCount {
  id: number;
  slug: string;
  name: string;
  postCount: number;
}

/**
 * Tags that have at least one public post, with counts: the trigger-kept counts (migration 0008) less the
 * posts scheduled for later. Counting the tags' posts themselves read every post of the site.
 */
export async function listProjectTags(db: Db, projectId: number, now: Date): Promise<TagWithCount[]> {
  const later = db
    .selectFrom('posts')
    .innerJoin('post_tags', 'post_tags.post_id', 'posts.id')
    .select((p) => ['post_tags.tag_id', p.fn.countAll<number>().as('n')])
    .where((p) => isListedLater(p, now))
    .groupBy('post_tags.tag_id');
  const rows = await db
    .selectFrom('tags')
    .leftJoin(later.as('later'), 'later.tag_id', 'tags.id')
    .select((eb) => [
      'tags.id',
      'tags.slug',
      'tags.name',
      eb.selectFrom('tag_post_counts').select((c) => c.fn.sum<number>('tag_post_counts.n').as('n')).whereRef('tag_post_counts.tag_id', '=', 'tags.id').as('kept'),
      'later.n as later',
    ])
    .where('tags.project_id', '=', projectId)
    .orderBy('tags.name')
    .execute();
  return rows
    .map((r) => ({ id: r.id, slug: r.slug, name: r.name, postCount: publicCountFromKept(r.kept, r.later) }))
    .filter((t) => t.postCount > 0);
}

export async function findTag(db: Db, projectId: number, slug: string) {
  return db.selectFrom('tags').selectAll().where('project_id', '=', projectId).where('slug', '=', slug).executeTakeFirst();
}

export async function findPage(db: Db, projectId: number, slug: string): Promise<Page | undefined> {
  return db.selectFrom('pages').selectAll().where('project_id', '=', projectId).where('slug', '=', slug).executeTakeFirst();
}

export async function listPages(db: Db, projectId: number) {
  return db.selectFrom('pages').select(['slug', 'title']).where('project_id', '=', projectId).orderBy('title').execute();
}
