// Links between the posts of an imported site still point at the old site: once every item of an import is
// known, each imported post's and page's Markdown source is searched for addresses on the old site (its own
// host and base path, or a WP_OLD_SITES host mapped to this project) that name an imported item — its old
// permalink, ?p=ID / ?page_id=ID, or a dated or bare slug path — and they are rewritten to the item's new
// address (site-relative, like uploaded images). The source then goes through the one Markdown pipeline
// again. An item edited here since its import is left as it is (the same rule as a re-import).
import { sql } from 'kysely';
import type { Tx } from '../db/create-db.js';
import { RENDERER_VERSION, renderPostHtml } from '../markdown/render.js';
import { slugify, urls } from '../urls.js';
import { isPostPublic } from '../db/sql-helpers.js';
import { parseOldSites } from './redirects.js';

export interface OldHost {
  host: string;
  /** The old site's base path ('' for the root), without a trailing slash. */
  path: string;
}

interface Known {
  posts: Map<string, string>; // WordPress id → new URL
  pages: Map<string, string>;
  byPath: Map<string, string>; // old path (as import_items.old_path) → new URL
  bySlug: Map<string, string | null>; // old slug → new URL (null: a clash, never rewritten)
  postSlugs: Map<string, string>; // old slug → new URL, posts only (dated paths)
}

/** The old site's addresses: its own site key (host/path) and the WP_OLD_SITES rules naming this project. */
export function oldHostsFor(siteKey: string, projectSlug: string, wpOldSites = ''): OldHost[] {
  const [host = '', ...rest] = siteKey.split('/');
  const hosts: OldHost[] = [];
  if (host) hosts.push({ host: host.toLowerCase(), path: rest.length ? `/${rest.join('/')}`.replace(/\/+$/, '') : '' });
  for (const rule of parseOldSites(wpOldSites)) {
    if (rule.project === projectSlug && rule.host) hosts.push({ host: rule.host, path: rule.path === '/' ? '' : rule.path });
  }
  return hosts;
}

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rewrites links to imported items in every imported post and page of this site; returns how many sources changed. */
export async function rewriteOldLinks(tx: Tx, input: { projectId: number; projectSlug: string; siteKey: string; hosts: OldHost[]; now: Date }): Promise<{ items: number; links: number }> {
  const { projectId, projectSlug, siteKey, hosts, now } = input;
  if (!hosts.length) return { items: 0, links: 0 };
  const rows = await tx
    .selectFrom('import_items')
    .leftJoin('posts', (j) => j.onRef('posts.id', '=', 'import_items.local_id').on('import_items.kind', '=', 'post').on('posts.deleted_at', 'is', null))
    .leftJoin('pages', (j) => j.onRef('pages.id', '=', 'import_items.local_id').on('import_items.kind', '=', 'page'))
    .select(['import_items.kind', 'import_items.wp_id', 'import_items.old_path', 'import_items.old_slug', 'posts.slug as post_slug', 'posts.status', 'posts.published_at', 'posts.deleted_at', 'pages.slug as page_slug'])
    .where('import_items.project_id', '=', projectId)
    .where('import_items.site', '=', siteKey)
    .where('import_items.kind', 'in', ['post', 'page'])
    .execute();
  const known: Known = { posts: new Map(), pages: new Map(), byPath: new Map(), bySlug: new Map(), postSlugs: new Map() };
  for (const r of rows) {
    // A post that is not public (a draft, a private or password-protected one, one scheduled later) is
    // linked through its old address here, /{project}/wp/?p=ID, which answers 404 until the post is
    // public and 301 after: its new address would give its slug (often its title) away.
    const postUrl = () => (r.status && isPostPublic({ status: r.status, published_at: r.published_at, deleted_at: r.deleted_at }, now) ? urls.post(projectSlug, r.post_slug!) : `/${encodeURIComponent(projectSlug)}/wp/?p=${r.wp_id}`);
    const url = r.kind === 'post' ? (r.post_slug ? postUrl() : undefined) : r.page_slug ? urls.page(projectSlug, r.page_slug) : undefined;
    if (!url) continue;
    (r.kind === 'post' ? known.posts : known.pages).set(r.wp_id, url);
    if (r.old_path) known.byPath.set(r.old_path.toLowerCase(), url);
    if (r.old_slug) {
      known.bySlug.set(r.old_slug, known.bySlug.has(r.old_slug) ? null : url);
      if (r.kind === 'post') known.postSlugs.set(r.old_slug, url);
    }
  }
  if (!known.posts.size && !known.pages.size) return { items: 0, links: 0 };

  const hostAlternatives = hosts.map((h) => `${escapeRe(h.host)}(?::\\d+)?${escapeRe(h.path)}`).join('|');
  // An address on an old host: scheme (or protocol-relative), host[:port][base path], then a path/query/fragment.
  const linkRe = new RegExp(`(?:https?:)?//(?:${hostAlternatives})(?=[/?#\\s)\\]"'<>]|$)[^\\s)\\]"'<>]*`, 'gi');
  const resolve = (address: string): string | undefined => {
    let url: URL;
    try {
      url = new URL(address.startsWith('//') ? `http:${address}` : address);
    } catch {
      return undefined;
    }
    const host = hosts.find((h) => h.host === url.hostname.toLowerCase() && (h.path === '' || url.pathname === h.path || url.pathname.startsWith(`${h.path}/`)));
    if (!host) return undefined;
    const fragment = url.hash;
    const p = url.searchParams.get('p');
    if (p && /^\d{1,19}$/.test(p)) return withFragment(known.posts.get(p), fragment);
    const pageId = url.searchParams.get('page_id');
    if (pageId && /^\d{1,19}$/.test(pageId)) return withFragment(known.pages.get(pageId), fragment);
    let path = url.pathname.slice(host.path.length) || '/';
    if (!path.endsWith('/')) path += '/';
    path = path.toLowerCase();
    const exact = known.byPath.get(path);
    if (exact) return withFragment(exact, fragment);
    const m = /^\/(\d{4}\/\d{2}\/(?:\d{2}\/)?)?([^/]+)\/$/.exec(path);
    if (!m) return undefined;
    const slug = slugify(safeDecode(m[2] ?? ''), 100);
    if (!slug) return undefined;
    return withFragment(m[1] ? known.postSlugs.get(slug) : (known.bySlug.get(slug) ?? undefined), fragment);
  };

  // Only sources that mention an old host are read; in pages of 500 so memory stays flat.
  const likes = hosts.map((h) => `%${h.host.replace(/[\\%_]/g, '\\$&')}%`);
  let items = 0;
  let links = 0;
  for (const table of ['posts', 'pages'] as const) {
    let after = 0;
    for (;;) {
      const batch = await sql<{ id: number; body_md: string; version: number }>`
        SELECT t.id, t.body_md, t.version FROM ${sql.table(table)} t
        JOIN import_items i ON i.local_id = t.id AND i.project_id = ${projectId} AND i.site = ${siteKey} AND i.kind = ${table === 'posts' ? 'post' : 'page'}
        WHERE t.project_id = ${projectId} AND t.id > ${after} AND t.body_md ILIKE ANY (${likes}::text[])
          AND t.updated_at <= i.updated_at + interval '1 second'
        ORDER BY t.id LIMIT 500`.execute(tx);
      if (!batch.rows.length) break;
      after = Number(batch.rows[batch.rows.length - 1]!.id);
      for (const row of batch.rows) {
        let changed = 0;
        const body = row.body_md.replace(linkRe, (address) => {
          const trail = /[.,;:!?]+$/.exec(address)?.[0] ?? '';
          const target = resolve(trail ? address.slice(0, -trail.length) : address);
          if (!target) return address;
          changed++;
          return target + trail;
        });
        if (!changed) continue;
        items++;
        links += changed;
        await tx
          .updateTable(table)
          .set({ body_md: body, body_html: renderPostHtml(body), rendered_version: RENDERER_VERSION, version: row.version + 1, updated_at: now })
          .where('id', '=', row.id)
          .execute();
        // The mapping's time moves with it: this change is the import's, not an edit made here.
        await tx
          .updateTable('import_items')
          .set({ updated_at: now })
          .where('project_id', '=', projectId)
          .where('site', '=', siteKey)
          .where('kind', '=', table === 'posts' ? 'post' : 'page')
          .where('local_id', '=', row.id)
          .execute();
      }
    }
  }
  return { items, links };
}

function withFragment(url: string | undefined, fragment: string): string | undefined {
  return url ? `${url}${fragment}` : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
