// The one rule for what a public post URL answers, shared by the post page and its comments feed:
// the post if the public may see it; its current slug when it was renamed (the caller redirects, 301);
// 410 when it was unpublished or deleted; 404 for drafts, future posts and slugs that never existed.
import type { FastifyInstance } from 'fastify';
import type { Post, Project } from '../db/schema.js';
import { gone, notFound } from '../errors.js';
import { isPostPublic } from '../db/sql-helpers.js';
import { findPostBySlug, findSlugRedirect, wasPostDeleted } from './queries.js';


export type PublicPostLookup = { post: Post } | { movedTo: string };

/** `slug` has passed the route's params schema (route-params.ts: param.postSlug). */
export async function findPublicPost(app: FastifyInstance, project: Project, slug: string): Promise<PublicPostLookup> {
  const post = await findPostBySlug(app.readDb, project.id, slug);
  if (!post) {
    const current = await findSlugRedirect(app.readDb, project.id, slug);
    if (current) return { movedTo: current };
    if (await wasPostDeleted(app.readDb, project.id, slug)) throw gone('This post has been removed by the project team.');
    throw notFound('There is no such post in this project. It may have moved: try the project’s latest posts.');
  }
  if (post.status === 'unpublished') throw gone('This post has been unpublished by the project team.');
  if (!isPostPublic(post, app.clock.now())) throw notFound('There is no such post in this project.');
  return { post };
}
