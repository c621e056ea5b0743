// Shared steps of the email tests: a project with a tag and an author, posts published as the editor
// does (saved, then `post:changed` queued), and subscribing through the public form then confirming
// through the link in the email that arrived at the SMTP sink.
import { expect } from 'vitest';
import { renderPost } from '../../server/markdown/render.js';
import { queuePostChanged } from '../../server/posts/events.js';
import { createPerson, runJobs, type TestApp } from '../helpers/test-app.js';
import type { SmtpSink } from './smtp-sink.js';

export interface World {
  projectId: number;
  tagId: number;
  authorId: number;
}

export async function makeWorld(t: TestApp, settings: Record<string, unknown> = {}): Promise<World> {
  const project = await t.db.insertInto('projects').values({ slug: 'river', title: 'Riverside Park', settings: JSON.stringify(settings) }).returning('id').executeTakeFirstOrThrow();
  const tag = await t.db.insertInto('tags').values({ project_id: project.id, slug: 'flooding', name: 'Flooding' }).returning('id').executeTakeFirstOrThrow();
  const authorId = await createPerson(t, { email: 'ana@blogs.test', handle: 'ana', displayName: 'Ana Writer' }, { projectId: project.id, role: 'author' });
  return { projectId: project.id, tagId: tag.id, authorId };
}

let n = 0;
/** A post saved as published (or scheduled for `publishedAt`), with `post:changed` queued as the editor does. */
export async function publishPost(t: TestApp, w: World, fields: { title?: string; body?: string; summary?: string; tagged?: boolean; publishedAt?: Date; status?: 'published' | 'scheduled' } = {}) {
  n += 1;
  const body = fields.body ?? `Body of post ${n} with a [link](/river/) and ![a heron](/media/1.png).`;
  const rendered = renderPost(body);
  const publishedAt = fields.publishedAt ?? new Date(t.clock.now().getTime() - 60_000);
  const post = await t.db
    .insertInto('posts')
    .values({
      project_id: w.projectId,
      slug: `post-${n}`,
      title: fields.title ?? `Post number ${n}`,
      summary: fields.summary ?? `Summary of post ${n}.`,
      body_md: body,
      body_html: rendered.html,
      status: fields.status ?? 'published',
      published_at: publishedAt,
      first_published_at: publishedAt,
      created_by: w.authorId,
    })
    .returning(['id', 'slug', 'title'])
    .executeTakeFirstOrThrow();
  await t.db.insertInto('post_authors').values({ post_id: post.id, person_id: w.authorId, position: 0 }).execute();
  if (fields.tagged) await t.db.insertInto('post_tags').values({ post_id: post.id, tag_id: w.tagId }).execute();
  await queuePostChanged(t.db, post.id);
  return post;
}

/** The public form, as a browser on this site sends it. */
export async function subscribe(t: TestApp, to: string, email: string, frequency = 'each', headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/email/subscribe',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...headers },
    payload: new URLSearchParams({ to, email, frequency }).toString(),
  });
}

/** The site-relative path of the first link in a text that starts with this path prefix. */
export function linkIn(text: string, prefix: string): string {
  const match = new RegExp(`http://blogs\\.test(${prefix.replace(/\//g, '\\/')}[^\\s>"]+)`).exec(text);
  if (!match) throw new Error(`no ${prefix} link in:\n${text}`);
  return match[1]!;
}

/** Subscribes and confirms through the emailed link; the sink is emptied of the confirmation. */
export async function subscribeConfirmed(t: TestApp, sink: SmtpSink, to: string, email: string, frequency = 'each') {
  const before = sink.to(email).length;
  expect((await subscribe(t, to, email, frequency)).statusCode).toBe(303);
  await runJobs(t);
  const confirmations = sink.to(email).slice(before);
  expect(confirmations).toHaveLength(1);
  const confirm = linkIn(confirmations[0]!.mail.text ?? '', '/email/confirm/');
  const response = await t.app.inject({ method: 'POST', url: confirm });
  expect(response.statusCode).toBe(303);
  return confirm;
}

/** Confirmed subscribers of the project, made directly in the database (for tests about delivery). */
export async function confirmedSubscribers(t: TestApp, w: World, addresses: string[]): Promise<void> {
  for (const address of addresses) {
    const row = await t.db.insertInto('email_addresses').values({ address }).returning('id').executeTakeFirstOrThrow();
    await t.db
      .insertInto('email_subscriptions')
      .values({ address_id: row.id, kind: 'project', project_id: w.projectId, target_key: `project:${w.projectId}`, frequency: 'each', confirmed_at: t.clock.now() })
      .execute();
  }
}
