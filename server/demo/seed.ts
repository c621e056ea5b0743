// Seeds the demo content (server/demo/content.ts) into an empty database, in one transaction (its rows
// are inserted by demo/queries.ts).
import { randomBytes } from 'node:crypto';
import type { Db, Tx } from '../db/create-db.js';
import { hashPassword } from '../auth/passwords.js';
import { RENDERER_VERSION, renderCommentHtml, renderPostHtml } from '../markdown/render.js';
import { mintAtomId } from '../posts/atom-id.js';
import { loadSiteIdentity } from '../site/identity.js';
import { slugify } from '../urls.js';
import { demoPeople, demoProjects, type DemoComment } from './content.js';
import { announceNoCommentFeeds } from '../websub/back-catalogue.js';
import {
  insertComment,
  insertMembership,
  insertPage,
  insertPerson,
  insertPost,
  insertPostAuthor,
  insertPostTag,
  insertProject,
  insertRevision,
  insertTag,
} from './queries.js';

export const DEMO_ADMIN = { email: 'admin@example.gov', handle: 'site-admin', displayName: 'Site administrator' };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export { hasAnyProject } from './queries.js';

/** A new password for the demo accounts of one install: 20 characters from 15 random bytes. */
export function generateDemoPassword(): string {
  return `demo-${randomBytes(15).toString('base64url')}`;
}

/** The email addresses of every demo account (the site admin and the team members). */
export function demoEmails(): string[] {
  return [DEMO_ADMIN.email, ...demoPeople.map((p) => p.email.toLowerCase())];
}

/**
 * Inserts the demo, its accounts signing in with `password` (each account hashed on its own, so no two
 * share a hash). The caller decides whether the database may be seeded (SEED_DEMO) and which password.
 */
export async function seedDemo(db: Db, options: { now: Date; publicUrl: string; password: string }): Promise<void> {
  const hashes = await Promise.all(demoEmails().map(() => hashPassword(options.password)));
  const nextHash = () => hashes.shift()!;
  const { authority } = await loadSiteIdentity(db, options.publicUrl, options.now);
  await db.transaction().execute(async (tx) => {
    // The demo's comments are a back catalogue, like its posts (announced_at).
    await announceNoCommentFeeds(tx);
    const personIds = new Map<string, number>();
    const adminId = await insertPerson(tx, { handle: DEMO_ADMIN.handle, display_name: DEMO_ADMIN.displayName, email: DEMO_ADMIN.email, password_hash: nextHash(), is_site_admin: true });
    personIds.set(DEMO_ADMIN.handle, adminId);
    for (const p of demoPeople) {
      personIds.set(p.handle, await insertPerson(tx, { handle: p.handle, display_name: p.displayName, bio: p.bio, email: p.email.toLowerCase(), password_hash: nextHash() }));
    }
    const personId = (handle: string) => {
      const id = personIds.get(handle);
      if (id === undefined) throw new Error(`demo content names an unknown person: ${handle}`);
      return id;
    };

    for (const project of demoProjects) {
      const projectId = await insertProject(tx, {
        slug: project.slug,
        title: project.title,
        summary: project.summary,
        description_md: project.description,
        description_html: renderPostHtml(project.description),
        rendered_version: RENDERER_VERSION,
        status: project.status,
        time_zone: project.timeZone,
        settings: JSON.stringify({}),
      });
      for (const [position, member] of project.team.entries()) {
        await insertMembership(tx, { project_id: projectId, person_id: personId(member.handle), role: member.role, position });
      }
      for (const page of project.pages) {
        await insertPage(tx, { project_id: projectId, slug: page.slug, title: page.title, body_md: page.body, body_html: renderPostHtml(page.body), rendered_version: RENDERER_VERSION });
      }
      const tagIds = new Map<string, number>();
      for (const post of project.posts) {
        const publishedAt = new Date(options.now.getTime() - post.publishedDaysAgo * DAY);
        const mainAuthor = personId(post.authorHandles[0] ?? '');
        const postId = await insertPost(
          tx,
          {
            project_id: projectId,
            slug: post.slug,
            title: post.title,
            summary: post.summary,
            body_md: post.body,
            body_html: renderPostHtml(post.body),
            rendered_version: RENDERER_VERSION,
            status: 'published',
            published_at: publishedAt,
            first_published_at: publishedAt,
            // The demo's back catalogue is not news: no email, ping or webmention for it.
            announced_at: publishedAt,
            comments_open: post.commentsOpen,
            created_by: mainAuthor,
            created_at: publishedAt,
            updated_at: publishedAt,
          },
          (id) => mintAtomId(authority, publishedAt, id),
        );
        await insertRevision(tx, { post_id: postId, person_id: mainAuthor, title: post.title, summary: post.summary, body_md: post.body, created_at: publishedAt });
        for (const [position, handle] of post.authorHandles.entries()) {
          await insertPostAuthor(tx, { post_id: postId, person_id: personId(handle), position });
        }
        for (const tagSlug of post.tags) {
          let tagId = tagIds.get(tagSlug);
          if (tagId === undefined) {
            const name = tagSlug.replace(/-/g, ' ');
            tagId = await insertTag(tx, { project_id: projectId, slug: slugify(tagSlug), name });
            tagIds.set(tagSlug, tagId);
          }
          await insertPostTag(tx, { post_id: postId, tag_id: tagId });
        }
        await seedComments(tx, postId, publishedAt, post.comments, personId, options.now);
      }
    }
  });
}

async function seedComments(tx: Tx, postId: number, publishedAt: Date, comments: DemoComment[], personId: (h: string) => number, now: Date) {
  const ids = new Map<string, { id: number; depth: number }>();
  // Parents first: the content lists replies after what they answer, but sort by time to be safe.
  const ordered = [...comments].sort((a, b) => a.hoursAfterPost - b.hoursAfterPost);
  for (const c of ordered) {
    const parent = c.parentKey ? ids.get(c.parentKey) : undefined;
    const createdAt = new Date(Math.min(publishedAt.getTime() + c.hoursAfterPost * HOUR, now.getTime() - 60_000));
    const depth = parent ? Math.min(parent.depth + 1, 3) : 1;
    const id = await insertComment(tx, {
      post_id: postId,
      parent_id: parent?.id ?? null,
      depth,
      status: c.status,
      author_name: c.name,
      author_email: c.email.toLowerCase(),
      person_id: c.fromTeamHandle ? personId(c.fromTeamHandle) : null,
      is_team_reply: Boolean(c.fromTeamHandle),
      body_src: c.body,
      body_html: renderCommentHtml(c.body),
      rendered_version: RENDERER_VERSION,
      hold_reasons: c.status === 'pending' ? ['policy'] : [],
      created_at: createdAt,
      approved_at: c.status === 'approved' ? createdAt : null,
    });
    ids.set(c.key, { id, depth });
  }
}
