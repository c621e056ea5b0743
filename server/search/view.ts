// What the search page's template reads (views/pages/search/index.eta): a named view model, camelCase,
// dates as Date; the one raw-HTML field (the excerpt) is named as trusted.
import type { AuthorRef } from '../posts/queries.js';
import type { SearchParams } from './params.js';

export interface SearchHitView {
  title: string;
  url: string;
  projectTitle: string;
  projectUrl: string;
  publishedAt: Date;
  /** Trusted HTML: the excerpt escaped whole, then only <mark> added around matches (routes.ts: highlightHtml). */
  excerptHtmlTrusted: string;
  authors: AuthorRef[];
  tags: Array<{ name: string; url: string }>;
}

/** GET /search */
export interface SearchPageView {
  /** What was asked, as read from the URL (shown back in the form). */
  params: SearchParams;
  filterChoices: { projects: Array<{ slug: string; title: string }>; authors: AuthorRef[] };
  /** Why there are no results to show (a problem with the search), else null. */
  message: string | null;
  hits: SearchHitView[];
  total: number;
  /** More candidates matched than were ranked: the total is a lower bound. */
  capped: boolean;
  pagination: null | { page: number; pageCount: number; newer: string | null; older: string | null };
  /** This search's feed, once the search is one that can be followed. */
  feedUrl: string | null;
}
