// The old WordPress addresses of an imported site answer 301 to their new home. The old site's paths are
// relative to the old site, and one install hosts many projects, so they live under the project:
// /{project}/wp/{old path} (a load balancer rewrites the old host into that prefix), or, with the
// WP_OLD_SITES setting (old host[/path]=project), requests whose Host is the old site are answered here
// directly. What each old form maps to is in docs/IMPORTING.md; the lookups use import_items (the old
// permalink, WordPress id and slug of each imported item).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/create-db.js';
import { isPublic } from '../db/sql-helpers.js';
import { slugify, urls } from '../urls.js';
import { param, withParams } from '../route-params.js';

interface Target {
  projectId: number;
  slug: string;
  /** The time that decides which posts are public (app.clock). */
  now: Date;
}

async function itemUrl(db: Db, project: Target, kind: 'post' | 'page', where: { wpId?: string; oldPath?: string; oldSlug?: string }, feed: boolean): Promise<string | undefined> {
  let q = db.selectFrom('import_items').select(['local_id', 'kind']).where('project_id', '=', project.projectId).where('kind', '=', kind);
  if (where.wpId) q = q.where('wp_id', '=', where.wpId);
  if (where.oldPath) q = q.where('old_path', '=', where.oldPath);
  if (where.oldSlug) q = q.where('old_slug', '=', where.oldSlug);
  const rows = await q.limit(2).execute();
  if (rows.length !== 1 || !rows[0]?.local_id) return undefined;
  const id = rows[0].local_id;
  if (kind === 'post') {
    // Only a public post: a 301 to a draft's, a private or a password-protected post's address would tell
    // anyone who counts through ?p=1, 2, 3… its slug (often its title), though the page itself is a 404.
    const post = await db.selectFrom('posts').select('slug').where('id', '=', id).where((eb) => isPublic(eb, project.now)).executeTakeFirst();
    if (!post) return undefined;
    return feed ? urls.postCommentsFeed(project.slug, post.slug) : urls.post(project.slug, post.slug);
  }
  const page = await db.selectFrom('pages').select('slug').where('id', '=', id).executeTakeFirst();
  return page && !feed ? urls.page(project.slug, page.slug) : undefined;
}

/** Where an old WordPress address (path relative to the old site, and its query) lives now. */
export async function resolveOldAddress(db: Db, project: Target, rawPath: string, query: URLSearchParams): Promise<string | undefined> {
  // A NUL cannot be in any stored address, and PostgreSQL refuses it in a text parameter (a 500): no match.
  if (rawPath.includes('\u0000') || /%00/.test(rawPath)) return undefined;
  // ?p= and ?page_id= ask for one item: its new address, or a 404 (never the home page for an id that
  // is not one, such as ?p=99999999999999999999 or ?p=1%00).
  const p = query.get('p');
  if (p !== null) return /^\d{1,19}$/.test(p) ? itemUrl(db, project, 'post', { wpId: p }, false) : undefined;
  const pageId = query.get('page_id');
  if (pageId !== null) return /^\d{1,19}$/.test(pageId) ? itemUrl(db, project, 'page', { wpId: pageId }, false) : undefined;
  const feedParam = query.get('feed');
  let path = `/${rawPath.replace(/^\/+/, '')}`;
  if (!path.endsWith('/')) path += '/';
  path = path.toLowerCase();
  if (path === '/' && feedParam) return urls.projectFeed(project.slug, feedParam === 'atom' ? 'atom' : 'rss');
  if (path === '/') return urls.project(project.slug);
  let m = /^\/feed\/(?:(atom|rss2|rss|rdf)\/)?$/.exec(path);
  if (m) return urls.projectFeed(project.slug, m[1] === 'atom' ? 'atom' : 'rss');
  if (/^\/comments\/feed\/(?:(atom|rss2)\/)?$/.test(path)) return urls.projectCommentsFeed(project.slug);
  m = /^\/(category|tag)\/(?:[^/]+\/)*?([^/]+)\/(feed\/(?:(atom|rss2)\/)?)?$/.exec(path);
  if (m) {
    const tag = slugify(safeDecode(m[2] ?? ''), 64);
    if (!tag) return undefined;
    const exists = await db.selectFrom('tags').select('id').where('project_id', '=', project.projectId).where('slug', '=', tag).executeTakeFirst();
    if (!exists) return undefined;
    return m[3] ? urls.tagFeed(project.slug, tag, m[4] === 'atom' ? 'atom' : 'rss') : urls.tag(project.slug, tag);
  }
  m = /^\/author\/([^/]+)\/(feed\/)?$/.exec(path);
  if (m) {
    const login = safeDecode(m[1] ?? '');
    if (!login) return undefined;
    const row = await db
      .selectFrom('import_items')
      .innerJoin('people', 'people.id', 'import_items.local_id')
      .select('people.handle')
      .where('import_items.project_id', '=', project.projectId)
      .where('import_items.kind', '=', 'person')
      .where('import_items.wp_id', '=', login)
      .executeTakeFirst();
    if (!row) return undefined;
    return m[2] ? urls.personFeed(row.handle) : urls.person(row.handle);
  }
  const feed = /\/feed\/(?:(?:atom|rss2|rss|rdf)\/)?$/.test(path);
  const itemPath = feed ? path.replace(/feed\/(?:(?:atom|rss2|rss|rdf)\/)?$/, '') : path;
  for (const kind of ['post', 'page'] as const) {
    const exact = await itemUrl(db, project, kind, { oldPath: itemPath }, feed);
    if (exact) return exact;
  }
  // Other permalink shapes: /YYYY/MM/DD/slug/, /YYYY/MM/slug/, /slug/ (only when one item has that slug).
  m = /^\/(?:\d{4}\/\d{2}\/(?:\d{2}\/)?)?([^/]+)\/$/.exec(itemPath);
  if (m) {
    const slug = slugify(safeDecode(m[1] ?? ''), 100);
    if (!slug) return undefined;
    const asPost = await itemUrl(db, project, 'post', { oldSlug: slug }, feed);
    const dated = /^\/\d{4}\//.test(itemPath);
    const asPage = dated ? undefined : await itemUrl(db, project, 'page', { oldSlug: slugify(slug, 64) }, feed);
    if (asPost && asPage) return undefined; // a clash: neither wins
    return asPost ?? asPage;
  }
  return undefined;
}

/** A path segment decoded (kept as written if it is not valid percent-encoding); '' (found nowhere) if it holds a NUL. */
function safeDecode(text: string): string {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // "%ZZ" is looked up as those characters, and found nowhere
  }
  return decoded.includes('\u0000') ? '' : decoded;
}

/** "old.example.org/blog=field,other.example=notes" → rules (the setting WP_OLD_SITES). */
export function parseOldSites(text: string): Array<{ host: string; path: string; project: string }> {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((rule) => {
      const [from = '', project = ''] = rule.split('=').map((s) => s.trim());
      const [host = '', ...rest] = from.replace(/^https?:\/\//i, '').split('/');
      return { host: host.toLowerCase(), path: `/${rest.join('/')}`.replace(/\/+$/, ''), project };
    });
}

export default async function oldAddressRoutes(app: FastifyInstance) {
  const answer = async (request: FastifyRequest, reply: FastifyReply, projectSlug: string, oldPath: string) => {
    const project = await app.readDb.selectFrom('projects').select(['id', 'slug']).where('slug', '=', projectSlug.toLowerCase()).executeTakeFirst();
    if (!project) return reply.callNotFound();
    const query = new URLSearchParams(request.url.split('?', 2)[1] ?? '');
    const target = await resolveOldAddress(app.readDb, { projectId: project.id, slug: project.slug, now: app.clock.now() }, oldPath, query);
    if (!target) return reply.callNotFound();
    return reply.header('cache-control', 'public, max-age=3600').redirect(target, 301);
  };

  // GET /:project/wp/* — an old WordPress address of the site imported into this project: 301 to its new home
  app.get<{ Params: { project: string; '*': string } }>('/:project/wp/*', withParams({ project: param.projectAnyCase }), async (request, reply) => answer(request, reply, request.params.project, request.params['*'] ?? ''));
  // GET /:project/wp — the old site's root (?p=ID, ?page_id=ID, ?feed=rss2)
  app.get<{ Params: { project: string } }>('/:project/wp', withParams({ project: param.projectAnyCase }), async (request, reply) => answer(request, reply, request.params.project, '/'));

}

/** With WP_OLD_SITES, a request for an old host itself (pointed at this server) is answered here (root-level hook). */
export function answerOldSiteHosts(app: FastifyInstance): void {
  const rules = parseOldSites(app.config.wpOldSites);
  if (rules.length) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      const host = (request.hostname ?? '').toLowerCase().replace(/:\d+$/, '');
      const rule = rules.find((r) => r.host === host);
      if (!rule) return;
      const [path = '/'] = request.url.split('?', 1);
      if (rule.path && path !== rule.path && !path.startsWith(`${rule.path}/`)) return;
      const project = await app.readDb.selectFrom('projects').select(['id', 'slug']).where('slug', '=', rule.project).executeTakeFirst();
      if (!project) return;
      const query = new URLSearchParams(request.url.split('?', 2)[1] ?? '');
      const target = await resolveOldAddress(app.readDb, { projectId: project.id, slug: project.slug, now: app.clock.now() }, path.slice(rule.path.length) || '/', query);
      return reply.header('cache-control', 'public, max-age=3600').redirect(`${app.config.publicUrl}${target ?? urls.project(project.slug)}`, 301);
    });
  }
}
