// Fastify route schemas for URL parameters, built from the one set of patterns in forms.ts, so that an
// address whose :project, :id, :slug… cannot name anything is refused before its handler runs. A params
// validation error is answered with the not-found page by the one error handler (plugins/error-pages.ts),
// as the hand checks these replace did. test/server/route-params.test.ts fails on a route with a URL
// parameter and no params schema.
import {
  FEED_TOKEN_PATTERN,
  HANDLE_PATTERN,
  ID_PATTERN,
  MAX_ID,
  MEDIA_FILE_PATTERN,
  POST_SLUG_LOOKUP_PATTERN,
  PROJECT_SLUG_PATTERN,
  WEBMENTION_TOKEN_PATTERN,
  WEBSUB_TOKEN_PATTERN,
} from './forms.js';

type ParamSchema = Record<string, unknown>;

const matching = (pattern: RegExp): ParamSchema => ({ type: 'string', pattern: pattern.source });

/** What each kind of URL parameter may be. */
export const param = {
  /** A project's slug (/:project/…, /admin/projects/:project/…). */
  project: matching(PROJECT_SLUG_PATTERN),
  /** A tag's slug: the project-slug rule. */
  tag: matching(PROJECT_SLUG_PATTERN),
  /** A static page's slug: the project-slug rule. */
  pageSlug: matching(PROJECT_SLUG_PATTERN),
  /** A post's slug as looked up (POST_SLUG_LOOKUP_PATTERN: old slugs with any hyphens are still found). */
  postSlug: matching(POST_SLUG_LOOKUP_PATTERN),
  /** A person's handle. */
  handle: matching(HANDLE_PATTERN),
  /**
   * A row's id: digits as written (no "012", "1e3" or "0x10", which the number coercion alone would take),
   * then coerced to a number within PostgreSQL's integer, so the handler gets a number and an id over
   * int4 is a 404, not a database error.
   */
  id: { allOf: [matching(ID_PATTERN), { type: 'integer', minimum: 1, maximum: MAX_ID }] },
  feedToken: matching(FEED_TOKEN_PATTERN),
  websubToken: matching(WEBSUB_TOKEN_PATTERN),
  webmentionToken: matching(WEBMENTION_TOKEN_PATTERN),
  mediaFile: matching(MEDIA_FILE_PATTERN),
  /**
   * A link's token whose page says what is wrong with it (a signed email link: email/tokens.ts; a
   * set-password link: accounts/tokens.ts, a 410 page saying "used", "expired" or "unknown"), so here
   * only its size: a mistyped link still gets that page, not a bare 404.
   */
  linkToken: { type: 'string', minLength: 1, maxLength: 200 },
  /**
   * A project's slug in an old WordPress address (/:project/wp/…), which keeps its case (canonical.ts
   * leaves those alone and import/redirects.ts lowercases it): the project-slug rule, any case.
   */
  projectAnyCase: matching(new RegExp(PROJECT_SLUG_PATTERN.source.replaceAll('a-z', 'a-zA-Z'))),
  /** One of a fixed list of words (/…/:action). */
  oneOf: (...words: readonly string[]): ParamSchema => ({ type: 'string', enum: [...words] }),
} as const;

/** `schema.params` for a route: every named parameter required, nothing else expected. */
export function paramsSchema(properties: Record<string, ParamSchema>) {
  return { type: 'object', properties, required: Object.keys(properties) };
}

/** Route options with only a params schema, for the common case: `app.get(path, withParams({ … }), handler)`. */
export function withParams(properties: Record<string, ParamSchema>) {
  return { schema: { params: paramsSchema(properties) } };
}
