// A soak of mixed traffic against a real server on a real port: 90% reads of every kind of public page
// and feed, 10% comment posts, from many connections at once. Nothing may answer 5xx, and every comment
// that got its 303 must be in the database afterwards. SOAK_SECONDS sets the length (default 8; the
// issue's full soak is SOAK_SECONDS=60).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../server/app.js';
import { startLiveServer, type LiveServer } from '../helpers/live-server.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 8);
const WORKERS = 12;

describe('a soak of mixed traffic', () => {
  let server: LiveServer;
  let posts: Array<{ project: string; slug: string; open: boolean }>;
  beforeAll(async () => {
    server = await startLiveServer({ clock: systemClock });
    // Comments from one address at this rate would meet the per-address limit and the too-fast check;
    // the soak is about the server, so the project lets them through (every one is still held).
    await server.db.updateTable('projects').set({ settings: JSON.stringify({ commentsPerTenMinutes: 0, minSecondsToComment: 0 }) }).execute();
    posts = (
      await server.db.selectFrom('posts').innerJoin('projects', 'projects.id', 'posts.project_id')
        .select(['projects.slug as project', 'posts.slug', 'posts.comments_open', 'projects.status']).execute()
    ).map((p) => ({ project: p.project, slug: p.slug, open: p.comments_open && p.status === 'active' }));
  });
  afterAll(() => {});

  it(`serves ${SECONDS} s of 90% reads and 10% comments with no 5xx and no accepted comment lost`, async () => {
    const reads = [
      '/', '/info-sharing-taskforce/', '/info-sharing-taskforce/?page=2', '/community-health-review/', '/info-sharing-taskforce/team',
      '/people/amira-hassan', '/info-sharing-taskforce/tags/weeknotes', '/feed.atom', '/feed.rss', '/info-sharing-taskforce/feed.atom',
      '/info-sharing-taskforce/comments.atom', '/search?q=sharing', '/search?q=%22data+sharing%22+-council', '/sitemap.xml', '/no-such-page/',
      ...posts.map((p) => `/${p.project}/posts/${p.slug}`),
    ];
    const open = posts.filter((p) => p.open);
    const statuses = new Map<number, number>();
    const accepted: string[] = [];
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const deadline = Date.now() + SECONDS * 1000;
    let n = 0;

    async function comment(worker: number) {
      const post = open[n % open.length]!;
      const url = `${server.baseUrl}/${post.project}/posts/${post.slug}`;
      const page = await fetch(url);
      const html = await page.text();
      count(page.status);
      const cookie = (page.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
      const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const stamp = /name="rendered_at" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const marker = `soak-${worker}-${n}-${Math.random().toString(36).slice(2)}`;
      const res = await fetch(`${url}/comments`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ _csrf: token, rendered_at: stamp, name: 'Soak Reader', email: `${marker}@example.org`, body: `A soak comment ${marker}.` }),
      });
      await res.arrayBuffer();
      count(res.status);
      if (res.status === 303) accepted.push(marker);
    }

    async function worker(id: number) {
      while (Date.now() < deadline) {
        n++;
        if (n % 10 === 0) {
          await comment(id);
        } else {
          const res = await fetch(server.baseUrl + reads[n % reads.length]!);
          await res.arrayBuffer();
          count(res.status);
        }
      }
    }
    await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));

    const summary = Object.fromEntries(statuses);
    expect([...statuses.keys()].filter((s) => s >= 500), JSON.stringify(summary)).toEqual([]);
    expect(accepted.length).toBeGreaterThan(0);
    const stored = await server.db.selectFrom('comments').select('author_email').where('author_email', 'like', 'soak-%').execute();
    const storedSet = new Set(stored.map((r) => r.author_email));
    expect(accepted.filter((m) => !storedSet.has(`${m}@example.org`))).toEqual([]);
  }, 120_000);
});
