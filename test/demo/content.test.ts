// Structural self-check of the demo content that `npm start` seeds: the seeder and the browser tests
// rely on these rules (counts, unique keys, valid threads, exactly one pending comment, real images).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEMO_PASSWORD,
  demoPeople,
  demoProjects,
  type DemoComment,
  type DemoPost,
  type DemoProject,
} from '../../server/demo/content.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const PENDING_PHRASE = 'PENDING-DEMO-COMMENT';
const REASONS = ['off-topic', 'abusive', 'personal information', 'spam', 'duplicate', 'other'];

const people = new Map(demoPeople.map((p) => [p.handle, p]));
const allPosts = demoProjects.flatMap((project) => project.posts.map((post) => ({ project, post })));
const allComments = allPosts.flatMap(({ project, post }) => post.comments.map((comment) => ({ project, post, comment })));

function project(slug: string): DemoProject {
  const found = demoProjects.find((p) => p.slug === slug);
  if (!found) throw new Error(`no demo project ${slug}`);
  return found;
}

function wordCount(markdown: string): number {
  return markdown.split(/\s+/).filter(Boolean).length;
}

/** Depth of a comment in its thread: 1 for a top-level comment. */
function depth(post: DemoPost, comment: DemoComment): number {
  let d = 1;
  let current: DemoComment | undefined = comment;
  while (current?.parentKey !== undefined) {
    const parentKey: string = current.parentKey;
    current = post.comments.find((c) => c.key === parentKey);
    d += 1;
    if (d > 10) throw new Error('comment thread has a cycle');
  }
  return d;
}

/** Targets of Markdown links and images: [text](target). */
function linkTargets(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
}

function allMarkdown(p: DemoProject): string[] {
  return [p.description, ...p.posts.map((post) => post.body), ...p.pages.map((page) => page.body)];
}

describe('demo people', () => {
  it('has 5 or 6 people with unique, valid handles and emails and a short bio', () => {
    expect(demoPeople.length).toBeGreaterThanOrEqual(5);
    expect(demoPeople.length).toBeLessThanOrEqual(6);
    expect(people.size).toBe(demoPeople.length);
    expect(new Set(demoPeople.map((p) => p.email)).size).toBe(demoPeople.length);
    for (const person of demoPeople) {
      expect(person.handle).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/);
      expect(person.email).toMatch(/^[a-z0-9.-]+@example\.gov$/);
      expect(person.displayName.length).toBeGreaterThan(0);
      const sentences = person.bio.split(/[.!?](?:\s|$)/).filter((s) => s.trim() !== '');
      expect(sentences.length, person.handle).toBeGreaterThanOrEqual(1);
      expect(sentences.length, person.handle).toBeLessThanOrEqual(2);
    }
  });

  it('has a demo password of at least 12 characters', () => {
    expect(DEMO_PASSWORD.length).toBeGreaterThanOrEqual(12);
  });
});

describe('demo projects', () => {
  it('are the active taskforce and the closed health review', () => {
    expect(demoProjects.map((p) => p.slug)).toEqual(['info-sharing-taskforce', 'community-health-review']);
    expect(project('info-sharing-taskforce').status).toBe('active');
    const review = project('community-health-review');
    expect(review.status).toBe('closed');
    expect(review.description).toMatch(/concluded/);
    expect(review.description).toContain('/community-health-review/pages/final-report');
  });

  it('uses 5 or 6 people in all, with one person allowed in both teams', () => {
    const handles = new Set(demoProjects.flatMap((p) => p.team.map((m) => m.handle)));
    expect(handles.size).toBe(demoPeople.length);
  });

  describe.each(demoProjects)('$slug', (p) => {
    const tagUse = new Map<string, number>();
    for (const post of p.posts) for (const tag of post.tags) tagUse.set(tag, (tagUse.get(tag) ?? 0) + 1);
    const approved = p.posts.flatMap((post) => post.comments.filter((c) => c.status === 'approved'));

    it('has valid metadata and a 1-3 paragraph description', () => {
      expect(p.slug).toMatch(SLUG);
      expect(p.title.length).toBeGreaterThan(0);
      expect(p.summary.length).toBeGreaterThan(0);
      expect(() => new Intl.DateTimeFormat('en-GB', { timeZone: p.timeZone })).not.toThrow();
      const paragraphs = p.description.trim().split(/\n\s*\n/);
      expect(paragraphs.length).toBeGreaterThanOrEqual(1);
      expect(paragraphs.length).toBeLessThanOrEqual(3);
    });

    it('has a team of 2-3 known people with an owner and an editor or author', () => {
      expect(p.team.length).toBeGreaterThanOrEqual(2);
      expect(p.team.length).toBeLessThanOrEqual(3);
      expect(new Set(p.team.map((m) => m.handle)).size).toBe(p.team.length);
      for (const member of p.team) expect(people.has(member.handle), member.handle).toBe(true);
      expect(p.team.some((m) => m.role === 'owner')).toBe(true);
      expect(p.team.some((m) => m.role === 'editor' || m.role === 'author')).toBe(true);
    });

    it('has enough posts, with unique slugs and distinct dates in the last ~5 months', () => {
      expect(p.posts.length).toBeGreaterThanOrEqual(7);
      if (p.slug === 'info-sharing-taskforce') expect(p.posts.length).toBeGreaterThan(10); // a second page at 10 a page
      expect(new Set(p.posts.map((post) => post.slug)).size).toBe(p.posts.length);
      expect(new Set(p.posts.map((post) => post.publishedDaysAgo)).size).toBe(p.posts.length);
      for (const post of p.posts) {
        expect(post.slug).toMatch(SLUG);
        expect(post.publishedDaysAgo).toBeGreaterThan(0);
        expect(post.publishedDaysAgo).toBeLessThanOrEqual(160);
        expect(post.title.length).toBeGreaterThan(0);
        expect(post.summary.length).toBeGreaterThan(0);
      }
    });

    it('has posts of 150-500 words', () => {
      for (const post of p.posts) {
        const words = wordCount(post.body);
        expect(words, post.slug).toBeGreaterThanOrEqual(150);
        expect(words, post.slug).toBeLessThanOrEqual(500);
      }
    });

    it('credits only team members who can write posts', () => {
      const writers = new Set(
        p.team.filter((m) => ['owner', 'editor', 'author'].includes(m.role)).map((m) => m.handle),
      );
      for (const post of p.posts) {
        expect(post.authorHandles.length, post.slug).toBeGreaterThanOrEqual(1);
        expect(new Set(post.authorHandles).size, post.slug).toBe(post.authorHandles.length);
        for (const handle of post.authorHandles) expect(writers.has(handle), `${post.slug}: ${handle}`).toBe(true);
      }
    });

    it('uses 3-6 tags, 1-3 per post, one of them on at least 3 posts', () => {
      expect(tagUse.size).toBeGreaterThanOrEqual(3);
      expect(tagUse.size).toBeLessThanOrEqual(6);
      for (const post of p.posts) {
        expect(post.tags.length, post.slug).toBeGreaterThanOrEqual(1);
        expect(post.tags.length, post.slug).toBeLessThanOrEqual(3);
        expect(new Set(post.tags).size, post.slug).toBe(post.tags.length);
        for (const tag of post.tags) expect(tag).toMatch(SLUG);
      }
      expect(Math.max(...tagUse.values())).toBeGreaterThanOrEqual(3);
    });

    it('uses varied Markdown across its posts', () => {
      const all = p.posts.map((post) => post.body).join('\n\n');
      expect(all).toMatch(/^## \S/m);
      expect(all).toMatch(/^### \S/m);
      expect(all).toMatch(/^- \S/m);
      expect(all).toMatch(/^\d+\. \S/m);
      expect(all).toMatch(/\]\(https:\/\//);
      expect(all).toMatch(new RegExp(`\\]\\(/${p.slug}/`));
      expect(all).toMatch(/^> \S/m);
      expect(all).toMatch(/^```[a-z]+\n[\s\S]+?\n```$/m);
      expect(all).toMatch(/^\|.*\|\n\|(?: *:?-+:? *\|)+$/m);
      expect(all).toMatch(/!\[[^\]]{10,}\]\(\/static\/demo\/[a-z0-9-]+\.svg\)/);
    });

    it('links only to its own pages, posts and team, and to images that exist', () => {
      const postSlugs = new Set(p.posts.map((post) => post.slug));
      const pageSlugs = new Set(p.pages.map((page) => page.slug));
      const comments = p.posts.flatMap((post) => post.comments.map((c) => c.body));
      for (const target of [...allMarkdown(p), ...comments].flatMap(linkTargets)) {
        if (target.startsWith('https://')) continue;
        if (target.startsWith('/static/')) {
          expect(existsSync(`${ROOT}${target.slice(1)}`), target).toBe(true);
          continue;
        }
        const match = /^\/([a-z0-9-]+)\/(?:(pages|posts)\/([a-z0-9-]+)|team)$/.exec(target);
        expect(match, target).not.toBeNull();
        expect(match?.[1], target).toBe(p.slug);
        if (match?.[2] === 'pages') expect(pageSlugs.has(match[3] ?? ''), target).toBe(true);
        if (match?.[2] === 'posts') expect(postSlugs.has(match[3] ?? ''), target).toBe(true);
      }
    });

    it('has valid comment threads', () => {
      for (const post of p.posts) {
        const keys = post.comments.map((c) => c.key);
        expect(new Set(keys).size, post.slug).toBe(keys.length);
        post.comments.forEach((comment, index) => {
          const where = `${post.slug}#${comment.key}`;
          if (comment.parentKey !== undefined) {
            // Parents come first, so a seeder can insert in array order.
            const parentIndex = keys.indexOf(comment.parentKey);
            expect(parentIndex, where).toBeGreaterThanOrEqual(0);
            expect(parentIndex, where).toBeLessThan(index);
            const parent = post.comments[parentIndex];
            expect(comment.hoursAfterPost, where).toBeGreaterThan(parent?.hoursAfterPost ?? Infinity);
          }
          expect(depth(post, comment), where).toBeLessThanOrEqual(3);
          expect(comment.hoursAfterPost, where).toBeGreaterThan(0);
          expect(comment.hoursAfterPost, where).toBeLessThan(post.publishedDaysAgo * 24);
          expect(comment.body, where).not.toMatch(/^#/m);
          expect(comment.body, where).not.toContain('![');
          expect(comment.email, where).toBe(comment.email.toLowerCase());
          if (comment.fromTeamHandle !== undefined) {
            const person = people.get(comment.fromTeamHandle);
            expect(p.team.some((m) => m.handle === comment.fromTeamHandle), where).toBe(true);
            expect(comment.name, where).toBe(person?.displayName);
            expect(comment.email, where).toBe(person?.email);
          } else {
            expect(comment.email, where).toMatch(/^[a-z0-9.-]+@example\.(?:com|org)$/);
          }
        });
      }
    });

    it('has at least 10 approved comments, a team reply and a thread 3 deep', () => {
      expect(approved.length).toBeGreaterThanOrEqual(10);
      expect(approved.some((c) => c.fromTeamHandle !== undefined && c.parentKey !== undefined)).toBe(true);
      expect(p.posts.some((post) => post.comments.some((c) => c.status === 'approved' && depth(post, c) === 3))).toBe(true);
    });

    it('has exactly one post with comments closed', () => {
      expect(p.posts.filter((post) => !post.commentsOpen)).toHaveLength(1);
    });

    it('has about and comment-policy pages, the policy explaining pre-moderation and its reasons', () => {
      const slugs = p.pages.map((page) => page.slug);
      expect(new Set(slugs).size).toBe(slugs.length);
      expect(slugs).toEqual(expect.arrayContaining(['about', 'comment-policy']));
      for (const slug of slugs) expect(slug).toMatch(SLUG);
      const policy = p.pages.find((page) => page.slug === 'comment-policy')?.body.toLowerCase() ?? '';
      expect(policy).toContain('pre-moderated');
      for (const reason of REASONS) expect(policy, reason).toContain(`**${reason}**`);
    });
  });
});

describe('the pending demo comment', () => {
  it('is the only pending comment, in the taskforce project, and carries the distinctive phrase', () => {
    const pending = allComments.filter(({ comment }) => comment.status === 'pending');
    expect(pending).toHaveLength(1);
    expect(pending[0]?.project.slug).toBe('info-sharing-taskforce');
    expect(pending[0]?.comment.body).toContain(PENDING_PHRASE);
  });

  it('is the only place the phrase appears', () => {
    const elsewhere = [
      ...demoProjects.flatMap((p) => [p.title, p.summary, ...allMarkdown(p)]),
      ...allPosts.flatMap(({ post }) => [post.title, post.summary]),
      ...allComments.filter(({ comment }) => comment.status !== 'pending').map(({ comment }) => comment.body),
    ];
    for (const text of elsewhere) expect(text).not.toContain(PENDING_PHRASE);
  });
});

describe('demo images', () => {
  const files = [...new Set(allPosts.flatMap(({ post }) => [...post.body.matchAll(/!\[[^\]]*\]\((\/static\/[^)\s]+)\)/g)].map((m) => m[1] ?? '')))];

  it('are referenced at least twice in all', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  it.each(files)('%s is a small, self-contained SVG with a title', (file) => {
    const path = `${ROOT}${file.slice(1)}`;
    expect(existsSync(path)).toBe(true);
    expect(statSync(path).size).toBeLessThan(4096);
    const svg = readFileSync(path, 'utf8');
    expect(svg.trimStart()).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trimEnd()).toMatch(/<\/svg>$/);
    expect(svg).toMatch(/<title[^>]*>[^<]{10,}<\/title>/);
    expect(svg).not.toMatch(/<script|\bon[a-z]+\s*=|href\s*=|<image|<foreignObject|@import|url\(/i);
    // The only URL is the SVG namespace itself.
    expect(svg.match(/https?:\/\//g)).toHaveLength(1);
    for (const m of svg.matchAll(/font-family\s*[=:]\s*"?([^";>]+)/g)) expect(m[1]?.trim()).toBe('sans-serif');
  });
});
