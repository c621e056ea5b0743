// Paged listings (a project's posts, a tag, a person's posts): the ?page=N parameter, the links
// between pages and the page size, in one place for every domain that lists posts.
import { notFound } from './errors.js';

export const POSTS_PER_PAGE = 10;

/** ?page=N → N (1 when absent); anything else is a 404, not a guess. */
export function parsePageNumber(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,5}$/.test(value)) throw notFound('There is no such page of posts.');
  return Number(value);
}

/** ?page=N links for a listing at `base`; page 1 is the bare URL. */
export function pageUrl(base: string, page: number): string {
  return page <= 1 ? base : `${base}${base.includes('?') ? '&' : '?'}page=${page}`;
}

export function pagination(base: string, page: number, pageCount: number) {
  return {
    page,
    pageCount,
    newer: page > 1 ? pageUrl(base, page - 1) : null,
    older: page < pageCount ? pageUrl(base, page + 1) : null,
  };
}
