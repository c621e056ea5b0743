// Posting a comment like a browser: fetch the post page, take the CSRF token and signed render time from
// the form, let the (test) clock move on as a person would type, then post from a given address.
import type { FastifyInstance } from 'fastify';
import { cookiesFrom, type TestApp } from '../helpers/test-app.js';
import type { ProjectSettings } from '../../server/projects/settings.js';

export interface PostOptions {
  cookies?: Record<string, string>;
  ip?: string;
  /** Seconds between rendering and posting (default 30). */
  wait?: number;
  /** Leave out the signed render timestamp. */
  noTimestamp?: boolean;
}

export async function postComment(t: TestApp, pageUrl: string, fields: Record<string, string>, options: PostOptions = {}) {
  const page = await t.app.inject({ method: 'GET', url: pageUrl, cookies: options.cookies ?? {} });
  const jar = { ...(options.cookies ?? {}), ...cookiesFrom(page) };
  // The comment form's own fields: a signed-in page has other forms (sign out) with their own _csrf first.
  const form = commentFormHtml(page.body);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form)?.[1];
  const renderedAt = /name="rendered_at" value="([^"]+)"/.exec(form)?.[1];
  const parentId = /name="parent_id" value="(\d+)"/.exec(form)?.[1];
  if (!csrf || !renderedAt) throw new Error(`no comment form at ${pageUrl} (status ${page.statusCode})`);
  t.clock.advance((options.wait ?? 30) * 1000);
  const body = new URLSearchParams({ _csrf: csrf, website: '' });
  if (!options.noTimestamp) body.set('rendered_at', unescapeHtml(renderedAt));
  if (parentId) body.set('parent_id', parentId);
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  const response = await t.app.inject({
    method: 'POST',
    url: `${pageUrl.split('?')[0]}/comments`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    cookies: jar,
    payload: body.toString(),
    remoteAddress: options.ip ?? '203.0.113.7',
  });
  return { response, cookies: { ...jar, ...cookiesFrom(response) } };
}

/**
 * The comment form of a page, fetched once: its CSRF token, signed render time and cookies serve any number
 * of posts (as a browser tab re-sending the form would), so a corpus costs one page render, not one each.
 */
export async function commentForm(t: TestApp, pageUrl: string, cookies: Record<string, string> = {}) {
  const page = await t.app.inject({ method: 'GET', url: pageUrl, cookies });
  const jar = { ...cookies, ...cookiesFrom(page) };
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  const renderedAt = /name="rendered_at" value="([^"]+)"/.exec(page.body)?.[1];
  if (!csrf || !renderedAt) throw new Error(`no comment form at ${pageUrl} (status ${page.statusCode})`);
  t.clock.advance(30_000); // a person's typing time, once: the signed render time only grows older
  return {
    /** Posts the form with these fields, from the given address. */
    send(fields: Record<string, string>, ip = '203.0.113.7') {
      const body = new URLSearchParams({ _csrf: csrf, website: '', rendered_at: unescapeHtml(renderedAt) });
      for (const [k, v] of Object.entries(fields)) body.set(k, v);
      return t.app.inject({
        method: 'POST',
        url: `${pageUrl.split('?')[0]}/comments`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        cookies: jar,
        payload: body.toString(),
        remoteAddress: ip,
      });
    },
  };
}

function commentFormHtml(page: string): string {
  const at = page.indexOf('class="comment-form"');
  return at < 0 ? page : page.slice(at);
}

function unescapeHtml(s: string) {
  return s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export async function setSettings(t: TestApp, projectSlug: string, settings: Partial<ProjectSettings>) {
  await t.db.updateTable('projects').set({ settings: JSON.stringify(settings) }).where('slug', '=', projectSlug).execute();
}

/** An open, published post of the taskforce project (the demo's active project). */
export async function openPost(t: TestApp, offset = 0) {
  const row = await t.db
    .selectFrom('posts')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select(['posts.id', 'posts.slug', 'projects.slug as project', 'projects.id as projectId'])
    .where('projects.slug', '=', 'info-sharing-taskforce')
    .where('posts.comments_open', '=', true)
    .orderBy('posts.id')
    .offset(offset)
    .limit(1)
    .executeTakeFirstOrThrow();
  return { ...row, url: `/${row.project}/posts/${row.slug}` };
}

export async function commentById(t: TestApp, id: number) {
  return t.db.selectFrom('comments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export function idFromLocation(location: unknown): number {
  const m = /#comment-(\d+)$/.exec(String(location));
  if (!m) throw new Error(`not a comment location: ${String(location)}`);
  return Number(m[1]);
}

export const ok = (n: number) => ({ name: 'Sam Reader', email: `sam${n}@example.org`, body: `A thoughtful comment number ${n}.` });

export type App = FastifyInstance;
