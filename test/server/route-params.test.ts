// Route parameters are checked by route schemas (server/route-params.ts): every route with a URL parameter
// has a params schema naming each of them, and a hostile parameter (NUL, an escaped NUL, very long,
// non-ASCII, an id over PostgreSQL's integer, a sign, a leading zero, a number written as 1e3) on any
// route family is the not-found page, never a 500, for a signed-in site admin who owns the project (so
// that every access check would let the request through to its handler).
import diagnostics from 'node:diagnostics_channel';
import type { RouteOptions } from 'fastify';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cookiesFrom, createPerson, signInAs, type TestApp } from '../helpers/test-app.js';

interface SeenRoute {
  method: string;
  url: string;
  params: string[];
  schema: { properties?: Record<string, { enum?: string[]; pattern?: string; allOf?: unknown[] }>; required?: string[] } | undefined;
}

const seen: SeenRoute[] = [];
// Fastify announces every new instance on this channel: the hook sees each route as buildApp adds it.
diagnostics.subscribe('fastify.initialization', (message) => {
  const { fastify } = message as { fastify: { addHook(name: 'onRoute', hook: (route: RouteOptions) => void): void } };
  fastify.addHook('onRoute', (route) => {
    const params = [...route.url.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
    for (const method of [route.method].flat()) {
      seen.push({ method, url: route.url, params, schema: (route.schema as { params?: SeenRoute['schema'] } | undefined)?.params });
    }
  });
});

let t: TestApp;
let jar: Record<string, string>;
let csrf: string;
let ownerId: number;

beforeAll(async () => {
  t = await buildTestApp();
  const p = await t.db.insertInto('projects').values({ slug: 'params', title: 'Params', settings: '{}' }).returning('id').executeTakeFirstOrThrow();
  ownerId = Number(await createPerson(t, { email: 'root@example.org', handle: 'root', siteAdmin: true }, { projectId: Number(p.id), role: 'owner' }));
  await sql`INSERT INTO posts (project_id, slug, title, body_md, body_html, status, published_at, created_by)
            VALUES (${p.id}, 'a-post', 'A post', 'Hi', '<p>Hi</p>', 'published', ${t.clock.now()}, ${ownerId})`.execute(t.db);
  jar = await signInAs(t, 'root@example.org');
  const form = await t.app.inject({ method: 'GET', url: '/admin/projects/params/posts/new', cookies: jar });
  jar = { ...jar, ...cookiesFrom(form) };
  csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  expect(csrf).not.toBe('');
});

const paramRoutes = () => seen.filter((r) => r.params.length > 0 && r.method !== 'HEAD');

describe('route parameters', () => {
  it('has a params schema naming every parameter on every route with one', () => {
    expect(paramRoutes().length).toBeGreaterThan(60);
    const missing = paramRoutes()
      .filter((r) => !r.schema || r.params.some((name) => !r.schema!.properties?.[name] || !r.schema!.required?.includes(name)))
      .map((r) => `${r.method} ${r.url}`);
    expect(missing, 'routes whose URL parameters have no params schema (server/route-params.ts: withParams)').toEqual([]);
  });

  // A value each kind of parameter accepts, so that one parameter at a time can be made hostile.
  const VALID: Record<string, string> = {
    project: 'params',
    tag: 'news',
    slug: 'a-post',
    handle: 'root',
    token: 'A'.repeat(43),
    file: `${'a'.repeat(64)}.png`,
  };
  const validValue = (route: SeenRoute, name: string) => route.schema?.properties?.[name]?.enum?.[0] ?? VALID[name] ?? (name === 'person' ? String(ownerId) : '1');

  const HOSTILE = ['%00', 'a%00b', 'x'.repeat(150), '%C3%A9t%C3%A9', '%E2%80%AE1', '2147483648', '99999999999999', '-1', '0', '012', '1e3', '%20'];

  it('answers a hostile parameter on every route family with the not-found page, never a 500', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of paramRoutes()) {
      for (const name of route.params) {
        const strict = Boolean(route.schema?.properties?.[name]?.pattern || route.schema?.properties?.[name]?.enum || route.schema?.properties?.[name]?.allOf);
        for (const hostile of HOSTILE) {
          const url = route.url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, other: string) => (other === name ? hostile : validValue(route, other))).replace('*', 'x');
          const res =
            route.method === 'GET'
              ? await t.app.inject({ method: 'GET', url, cookies: jar })
              : await t.app.inject({ method: route.method as 'POST', url, cookies: jar, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${encodeURIComponent(csrf)}&confirm=yes` });
          checked++;
          // A value the schema itself takes (a slug "1e3", a token link's page) may name nothing: any 4xx.
          const takenBySchema = !strict || (['project', 'tag', 'slug', 'handle'].includes(name) && /^[a-z0-9-]+$/.test(hostile));
          const ok = res.statusCode < 500 && (takenBySchema ? res.statusCode >= 400 : res.statusCode === 404);
          if (!ok) failures.push(`${route.method} ${url} → ${res.statusCode}`);
          expect(res.body).not.toMatch(/\bat [\w.<>]+ \(.*:\d+:\d+\)/);
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  }, 180_000); // about a thousand requests: ~14 s alone, more on a busy machine

  it('still takes a well-formed id and coerces it to a number for the handler', async () => {
    const post = await t.db.selectFrom('posts').select('id').where('slug', '=', 'a-post').executeTakeFirstOrThrow();
    const res = await t.app.inject({ method: 'GET', url: `/admin/projects/params/posts/${post.id}/edit`, cookies: jar });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('A post');
  });

  it('leaves the canonical redirects before the schema: case and trailing-slash variants still 301', async () => {
    const upper = await t.app.inject({ method: 'GET', url: '/PARAMS/posts/A-Post' });
    expect(upper.statusCode).toBe(301);
    expect(upper.headers.location).toBe('/params/posts/a-post');
    const slash = await t.app.inject({ method: 'GET', url: '/params/posts/a-post/' });
    expect(slash.statusCode).toBe(301);
    expect(slash.headers.location).toBe('/params/posts/a-post');
    const home = await t.app.inject({ method: 'GET', url: '/params' });
    expect(home.statusCode).toBe(301);
    expect(home.headers.location).toBe('/params/');
    expect((await t.app.inject({ method: 'GET', url: '/params/posts/a-post' })).statusCode).toBe(200);
  });

  it('answers an invalid parameter with the HTML not-found page, not a 400', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/projects/params/posts/abc/edit', cookies: jar });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('Page not found');
    const head = await t.app.inject({ method: 'HEAD', url: '/params/posts/a%00post' });
    expect(head.statusCode).toBe(404);
    expect(head.body).toBe('');
  });
});
