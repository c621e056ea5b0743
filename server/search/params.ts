// The search parameters as typed in the URL (q, project, tag, author, page), shared by the results page
// and the search feed so both read them the same way. Nothing here throws on what a person typed.
import type { Db } from '../db/create-db.js';
import { findPublicPerson } from '../people/queries.js';
import { findProjectBySlug } from '../projects/queries.js';
import { slugify } from '../urls.js';
import { cleanQueryText, MAX_QUERY_LENGTH, type SearchFilter } from './queries.js';
import { HANDLE_PATTERN, PROJECT_SLUG_PATTERN } from '../forms.js';

export interface SearchParams {
  q: string;
  project?: string;
  tag?: string;
  author?: string;
}

function first(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

function optional(value: unknown): string | undefined {
  const text = first(value)?.trim().toLowerCase();
  return text ? text : undefined;
}

export function readSearchParams(query: unknown): SearchParams {
  const q = (query && typeof query === 'object' ? query : {}) as Record<string, unknown>;
  // A tag may be typed as its name ("Open data"): it is read as the slug the editor made from it.
  const tag = optional(q.tag);
  return { q: cleanQueryText(first(q.q) ?? ''), project: optional(q.project), tag: tag && (slugify(tag, 64) || tag), author: optional(q.author) };
}

/** The URL parameters in their one canonical order (for self links, cache keys, pagination). */
export function canonicalSearchParams(p: SearchParams): Record<string, string | undefined> {
  return { q: p.q, project: p.project, tag: p.tag, author: p.author };
}

export type ResolvedSearch =
  | { ok: true; filter: SearchFilter; projectTitle?: string; authorName?: string }
  | { ok: false; problem: 'empty' | 'too-long' | 'unknown-project' | 'unknown-author' };

/** Checks the text and turns the project slug and author handle into ids. */
export async function resolveSearch(db: Db, p: SearchParams): Promise<ResolvedSearch> {
  if (p.q === '') return { ok: false, problem: 'empty' };
  if (Array.from(p.q).length > MAX_QUERY_LENGTH) return { ok: false, problem: 'too-long' };
  const filter: SearchFilter = { q: p.q };
  let projectTitle: string | undefined;
  let authorName: string | undefined;
  if (p.project !== undefined) {
    const project = PROJECT_SLUG_PATTERN.test(p.project) ? await findProjectBySlug(db, p.project) : undefined;
    if (!project) return { ok: false, problem: 'unknown-project' };
    filter.projectId = project.id;
    projectTitle = project.title;
  }
  if (p.author !== undefined) {
    const person = HANDLE_PATTERN.test(p.author) ? await findPublicPerson(db, p.author) : undefined;
    if (!person) return { ok: false, problem: 'unknown-author' };
    filter.personId = person.id;
    authorName = person.displayName;
  }
  if (p.tag !== undefined) filter.tagSlug = p.tag;
  return { ok: true, filter, projectTitle, authorName };
}

export const PROBLEM_MESSAGES: Record<Exclude<ResolvedSearch, { ok: true }>['problem'], string> = {
  empty: 'Type one or more words to search for.',
  'too-long': `Your search is too long. Please use at most ${MAX_QUERY_LENGTH} characters.`,
  'unknown-project': 'There is no project with that name to search in.',
  'unknown-author': 'There is nobody with that name to search for.',
};
