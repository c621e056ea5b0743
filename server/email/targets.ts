// What one can subscribe to by email: a project, a tag of a project, a person, or a search. A target is
// named in the subscribe form by a short text (`to`): "project:<slug>", "tag:<project>/<tag>",
// "person:<handle>", "search:<query string>"; resolved here to ids and a stable key (UNIQUE per address).
import type { Db } from '../db/create-db.js';
import type { EmailSubscriptionKind } from '../db/schema.js';
import { findPublicPerson } from '../people/queries.js';
import { findProjectBySlug } from '../projects/queries.js';
import { canonicalSearchParams, readSearchParams, resolveSearch, type SearchParams } from '../search/params.js';
import { HANDLE_PATTERN, PROJECT_SLUG_PATTERN } from '../forms.js';
import { urls } from '../urls.js';

export interface Target {
  kind: EmailSubscriptionKind;
  projectId: number | null;
  tagId: number | null;
  personId: number | null;
  search: Record<string, string> | null;
  key: string;
  /** "posts in Riverside Park", for pages and emails (plain text). */
  description: string;
  /** The page it came from (site-relative). */
  pagePath: string;
  /** The project whose name signs the emails, if there is one. */
  projectTitle: string | null;
}

/** The `to` field of a subscribe form, resolved; undefined for anything that names nothing public. */
export async function resolveTarget(db: Db, to: unknown): Promise<Target | undefined> {
  if (typeof to !== 'string' || to.length > 500) return undefined;
  const colon = to.indexOf(':');
  const kind = to.slice(0, colon);
  const rest = to.slice(colon + 1);
  if (kind === 'project' || kind === 'tag') {
    const [projectSlug, tagSlug] = kind === 'project' ? [rest, undefined] : rest.split('/');
    if (!projectSlug || !PROJECT_SLUG_PATTERN.test(projectSlug)) return undefined;
    const project = await findProjectBySlug(db, projectSlug);
    if (!project) return undefined;
    if (kind === 'project') {
      return { kind, projectId: project.id, tagId: null, personId: null, search: null, key: `project:${project.id}`, description: `new posts in ${project.title}`, pagePath: urls.project(project.slug), projectTitle: project.title };
    }
    if (!tagSlug || tagSlug.length > 100) return undefined;
    const tag = await db.selectFrom('tags').select(['id', 'name', 'slug']).where('project_id', '=', project.id).where('slug', '=', tagSlug).executeTakeFirst();
    if (!tag) return undefined;
    return { kind, projectId: project.id, tagId: tag.id, personId: null, search: null, key: `tag:${tag.id}`, description: `new posts tagged “${tag.name}” in ${project.title}`, pagePath: urls.tag(project.slug, tag.slug), projectTitle: project.title };
  }
  if (kind === 'person') {
    if (!HANDLE_PATTERN.test(rest)) return undefined;
    const person = await findPublicPerson(db, rest);
    if (!person) return undefined;
    return { kind, projectId: null, tagId: null, personId: person.id, search: null, key: `person:${person.id}`, description: `new posts by ${person.displayName}`, pagePath: urls.person(person.handle), projectTitle: null };
  }
  if (kind === 'search') {
    const params = readSearchParams(Object.fromEntries(new URLSearchParams(rest)));
    const resolved = await resolveSearch(db, params);
    if (!resolved.ok) return undefined;
    const canonical = searchRecord(params);
    const key = `search:${new URLSearchParams(canonical).toString()}`;
    if (key.length > 600) return undefined;
    return { kind, projectId: null, tagId: null, personId: null, search: canonical, key, description: `new posts matching the search “${params.q}”`, pagePath: urls.search(canonical), projectTitle: resolved.projectTitle ?? null };
  }
  return undefined;
}

function searchRecord(params: SearchParams): Record<string, string> {
  return Object.fromEntries(Object.entries(canonicalSearchParams(params)).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

/** The `to` value for a page's form. */
export const targetOf = {
  project: (slug: string) => `project:${slug}`,
  tag: (project: string, tag: string) => `tag:${project}/${tag}`,
  person: (handle: string) => `person:${handle}`,
  search: (params: Record<string, string | undefined>) => `search:${new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1])).toString()}`,
};
