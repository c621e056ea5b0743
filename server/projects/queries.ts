// SQL for projects, their teams, tags and static pages.
import type { Db } from '../db/create-db.js';
import type { Page, Project, Role } from '../db/schema.js';
import { isPublic } from '../db/sql-helpers.js';

export async function findProjectBySlug(db: Db, slug: string): Promise<Project | undefined> {
  return db.selectFrom('projects').selectAll().where('slug', '=', slug).executeTakeFirst();
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

/** The site directory: active projects first, then closed, then archived; each by title. */
export async function listProjects(db: Db, now: Date): Promise<ProjectListing[]> {
  const rows = await db
    .selectFrom('projects')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('posts')
          .select((p) => ['posts.project_id', p.fn.countAll<number>().as('post_count'), p.fn.max('posts.published_at').as('last_published_at')])
          .where((p) => isPublic(p, now))
          .groupBy('posts.project_id')
          .as('stats'),
      (join) => join.onRef('stats.project_id', '=', 'projects.id'),
    )
    .select(['projects.id', 'projects.slug', 'projects.title', 'projects.summary', 'projects.status', 'stats.post_count', 'stats.last_published_at'])
    .orderBy((eb) => eb.case().when('projects.status', '=', 'active').then(0).when('projects.status', '=', 'closed').then(1).else(2).end())
    .orderBy('projects.title')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    title: r.title,
    summary: r.summary,
    status: r.status,
    postCount: Number(r.post_count ?? 0),
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

/** Tags that have at least one public post, with counts. */
export async function listProjectTags(db: Db, projectId: number, now: Date): Promise<TagWithCount[]> {
  const rows = await db
    .selectFrom('tags')
    .innerJoin('post_tags', 'post_tags.tag_id', 'tags.id')
    .innerJoin('posts', 'posts.id', 'post_tags.post_id')
    .select((eb) => ['tags.id', 'tags.slug', 'tags.name', eb.fn.countAll<number>().as('n')])
    .where('tags.project_id', '=', projectId)
    .where((eb) => isPublic(eb, now))
    .groupBy(['tags.id', 'tags.slug', 'tags.name'])
    .orderBy('tags.name')
    .execute();
  return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, postCount: Number(r.n) }));
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
