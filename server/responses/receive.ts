// Receiving webmentions (W3C Webmention, receiver): the synchronous checks of POST /webmention, the
// per-host and per-sender flood limit, and the asynchronous verification job. A verified webmention is
// stored as a comment row (comments.webmention_id) and decided by the same rules as a comment
// (comments/rules.ts: decideComment), logged in moderation_log, and then moderated in the same queue;
// nothing from another site is public before a person or a rule approves it.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import { decideComment } from '../comments/rules.js';
import type { Db, Tx } from '../db/create-db.js';
import { isPublic } from '../db/sql-helpers.js';
import type { Database, WebmentionKind } from '../db/schema.js';
import { enqueue } from '../jobs/queue.js';
import type { JobHandler } from '../jobs/worker.js';
import { RENDERER_VERSION, renderCommentHtml } from '../markdown/render.js';
import { fetchOutbound, mediaType, OutboundError } from '../outbound/http.js';
import { readSettings } from '../projects/settings.js';
import type { ExpressionBuilder } from 'kysely';
import { comparableUrl, readSource } from './source.js';

export const VERIFY_WEBMENTION = 'webmention:verify';
/** What a source page may weigh; a bigger one is refused (its link would be far down a huge page anyway). */
export const SOURCE_MAX_BYTES = 1024 * 1024;
export const SOURCE_TIMEOUT_MS = 10_000;
export const SOURCE_MAX_REDIRECTS = 5;

export type RequestCheck = { ok: true; postId: number; projectId: number; source: string; target: string } | { ok: false; reason: string };

/** Where a URL of ours points: a public post, by its project and slug; anything else is not a target. */
export async function checkWebmentionRequest(db: Db, config: Config, now: Date, rawSource: unknown, rawTarget: unknown): Promise<RequestCheck> {
  if (typeof rawSource !== 'string' || rawSource.trim() === '') return { ok: false, reason: 'The "source" parameter is missing: send the address of your page that links to ours.' };
  if (typeof rawTarget !== 'string' || rawTarget.trim() === '') return { ok: false, reason: 'The "target" parameter is missing: send the address of our post that your page links to.' };
  if (rawSource.length > 2000 || rawTarget.length > 2000) return { ok: false, reason: 'Addresses must be 2,000 characters or fewer.' };
  const source = comparableUrl(rawSource);
  if (!source) return { ok: false, reason: 'The source must be an http:// or https:// address.' };
  if (/^https?:\/\/[^/]*@/i.test(rawSource.trim())) return { ok: false, reason: 'The source address must not contain a user name or password.' };
  const target = comparableUrl(rawTarget);
  if (!target) return { ok: false, reason: 'The target must be an http:// or https:// address of a post on this site.' };
  if (source === target) return { ok: false, reason: 'The source and the target are the same address.' };
  const ours = new URL(config.publicUrl);
  const t = new URL(target);
  if (t.host.toLowerCase() !== ours.host.toLowerCase()) return { ok: false, reason: `The target is not on this site (${ours.host}).` };
  const match = /^\/([a-z0-9-]{1,63})\/posts\/([a-z0-9-]{1,100})\/?$/.exec(t.pathname);
  // Pages (about, comment policy…) are not targets: a webmention is moderated as a comment row of a post
  // (docs/SOCIAL-WEB.md, "Why pages take no webmentions"), and pages take no comments.
  if (!match && /^\/[a-z0-9-]{1,63}\/pages\/[^/]+\/?$/.test(t.pathname)) {
    return { ok: false, reason: 'The target is a page of this site, not a post: pages take no comments or webmentions here. Link to one of our posts instead.' };
  }
  if (!match) return { ok: false, reason: 'The target is not a post on this site: this site accepts webmentions for its posts.' };
  const post = await db
    .selectFrom('posts')
    .innerJoin('projects', 'projects.id', 'posts.project_id')
    .select(['posts.id', 'posts.project_id'])
    .where('projects.slug', '=', match[1]!)
    .where('posts.slug', '=', match[2]!)
    .where((eb) => isPublic(eb as unknown as ExpressionBuilder<Database, 'posts'>, now))
    .executeTakeFirst();
  if (!post) return { ok: false, reason: 'The target is not a published post on this site.' };
  return { ok: true, postId: post.id, projectId: post.project_id, source, target };
}

export const FLOOD_WINDOW_MS = 3_600_000;

/**
 * Floods: at most `perHour` webmentions per key (a source host, a sending address) in a sliding hour,
 * counted in PostgreSQL (webmention_throttle, migration 0020) so that every app server behind a load
 * balancer sees the same counts. Counts one try for each key; false (and nothing counted) when any key
 * is at its limit. The keys are locked (transaction-scoped advisory locks, in a fixed order) so that two
 * servers counting the same key at the same moment cannot both let the last one through.
 */
export async function webmentionFloodAllows(db: Db, keys: string[], perHour: number, now: Date): Promise<boolean> {
  if (perHour <= 0) return true;
  const since = new Date(now.getTime() - FLOOD_WINDOW_MS);
  const sorted = [...new Set(keys)].sort();
  return db.transaction().execute(async (tx) => {
    for (const key of sorted) await sql`SELECT pg_advisory_xact_lock(hashtext(${`webmention-flood:${key}`}))`.execute(tx);
    // Old tries of any key go (cheap by the index on at: usually nothing to delete).
    await tx.deleteFrom('webmention_throttle').where('at', '<=', since).execute();
    const counts = await tx
      .selectFrom('webmention_throttle')
      .select(['key', (eb) => eb.fn.countAll<string>().as('n')])
      .where('key', 'in', sorted)
      .where('at', '>', since)
      .groupBy('key')
      .execute();
    if (counts.some((c) => Number(c.n) >= perHour)) return false;
    await tx.insertInto('webmention_throttle').values(sorted.map((key) => ({ key, at: now }))).execute();
    return true;
  });
}

/** Stores (or, from the same source to the same post, renews) a webmention and queues its check. */
export async function acceptWebmention(db: Db, check: Extract<RequestCheck, { ok: true }>, now: Date): Promise<string> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('webmentions')
      .values({ token: randomBytes(18).toString('base64url'), source: check.source, target: check.target, post_id: check.postId, received_at: now })
      .onConflict((oc) => oc.columns(['source', 'post_id']).doUpdateSet({ target: check.target, received_at: now }))
      .returning(['id', 'token'])
      .executeTakeFirstOrThrow();
    await enqueue(tx, VERIFY_WEBMENTION, { id: row.id }, { jobKey: `webmention:${row.id}`, maxAttempts: 3 });
    return row.token;
  });
}

export interface WebmentionState {
  status: 'pending' | 'verified' | 'rejected' | 'removed';
  reason: string | null;
  source: string;
  target: string;
  /** Of the moderated row, once verified. */
  moderation: string | null;
}

export async function findWebmentionByToken(db: Db, token: string): Promise<WebmentionState | undefined> {
  const row = await db
    .selectFrom('webmentions')
    .leftJoin('comments', 'comments.webmention_id', 'webmentions.id')
    .select(['webmentions.status', 'webmentions.reason', 'webmentions.source', 'webmentions.target', 'comments.status as moderation'])
    .where('webmentions.token', '=', token)
    .executeTakeFirst();
  return row && { status: row.status, reason: row.reason, source: row.source, target: row.target, moderation: row.moderation ?? null };
}

/** The verification job: fetch the source, check its link, read its mf2, and moderate the result. */
export const verifyWebmention: JobHandler = async (payload, context, job) => {
  const id = Number(payload.id);
  if (!Number.isSafeInteger(id)) return;
  const mention = await context.db.selectFrom('webmentions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!mention) return;
  const now = context.clock.now();

  let html: string;
  try {
    const response = await fetchOutbound(mention.source, {
      headers: { accept: 'text/html, application/xhtml+xml;q=0.9, */*;q=0.1' },
      timeoutMs: SOURCE_TIMEOUT_MS,
      maxBytes: SOURCE_MAX_BYTES,
      maxRedirects: SOURCE_MAX_REDIRECTS,
      allowPrivate: context.config.allowPrivateFetch,
    });
    if (response.status === 410 || response.status === 404) {
      await settle(context.db, id, now, 'removed', `The source answered ${response.status} ${response.status === 410 ? 'Gone' : 'Not Found'}: the response was taken down.`);
      return;
    }
    if (response.status < 200 || response.status > 299) {
      await settle(context.db, id, now, 'rejected', `The source answered HTTP ${response.status}.`, { keepShown: true });
      return;
    }
    const type = mediaType(response);
    if (type !== 'text/html' && type !== 'application/xhtml+xml') {
      await settle(context.db, id, now, 'rejected', `The source is not an HTML page (it is ${type || 'of no stated type'}).`, { keepShown: true });
      return;
    }
    html = response.body.toString('utf8');
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    // A slow or unreachable site may be back soon: try again (with backoff), then give up.
    if ((error.kind === 'timeout' || error.kind === 'network') && !job.lastAttempt) throw error;
    await settle(context.db, id, now, 'rejected', `The source could not be fetched: ${error.message}`, { keepShown: true });
    return;
  }

  const facts = readSource(html, mention.source, mention.target);
  if (!facts.linksToTarget) {
    await settle(context.db, id, now, 'removed', 'The source does not link to the target (a link in a comment, a script or plain text does not count).');
    return;
  }
  await moderateVerified(context.db, id, now, facts);
};

/** Final states other than verified. `removed` also takes a shown response off the page. */
async function settle(db: Db, id: number, now: Date, status: 'rejected' | 'removed', reason: string, options: { keepShown?: boolean } = {}) {
  await db.transaction().execute(async (tx) => {
    const comment = await tx
      .selectFrom('comments')
      .innerJoin('posts', 'posts.id', 'comments.post_id')
      .select(['comments.id', 'comments.status', 'posts.project_id'])
      .where('comments.webmention_id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (comment && options.keepShown) {
      // A source that fails for a while keeps what was verified before; only 404/410 or a lost link remove it.
      await tx.updateTable('webmentions').set({ checked_at: now, reason }).where('id', '=', id).execute();
      return;
    }
    // Never verified: "removed" is just "rejected" (nothing was shown).
    const final = comment ? status : 'rejected';
    await tx.updateTable('webmentions').set({ status: final, reason, checked_at: now }).where('id', '=', id).execute();
    if (comment && comment.status !== 'deleted') {
      await tx.updateTable('comments').set({ status: 'deleted', updated_at: now, decided_at: now }).where('id', '=', comment.id).execute();
      await tx
        .insertInto('moderation_log')
        .values({ comment_id: comment.id, project_id: comment.project_id, actor_id: null, action: 'webmention-removed', reason, previous_status: comment.status, new_status: 'deleted', created_at: now })
        .execute();
    }
  });
}

interface Facts {
  kind: WebmentionKind;
  authorName: string | null;
  authorUrl: string | null;
  excerpt: string;
  published: Date | null;
}

const KIND_WORDS: Record<WebmentionKind, string> = { reply: 'replied', like: 'liked this post', repost: 'reposted this post', bookmark: 'bookmarked this post', mention: 'mentioned this post' };

/** A verified webmention through the comment rules: new → decided and logged; changed → decided again. */
async function moderateVerified(db: Db, id: number, now: Date, facts: Facts) {
  await db.transaction().execute(async (tx) => {
    const mention = await tx
      .selectFrom('webmentions')
      .innerJoin('posts', 'posts.id', 'webmentions.post_id')
      .innerJoin('projects', 'projects.id', 'posts.project_id')
      .select(['webmentions.source', 'webmentions.post_id', 'posts.project_id', 'projects.settings'])
      .where('webmentions.id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!mention) return;
    await tx
      .updateTable('webmentions')
      .set({ status: 'verified', reason: null, kind: facts.kind, author_name: facts.authorName, author_url: facts.authorUrl, published_at: facts.published, checked_at: now })
      .where('id', '=', id)
      .execute();
    const host = new URL(mention.source).host;
    const name = facts.authorName ?? host;
    const body = facts.excerpt || `${name} ${KIND_WORDS[facts.kind]}.`;
    const settings = readSettings(mention.settings);
    // The blocklist and keywords see the source address too, so a blocked domain is caught.
    const decision = decideComment({ name, email: mention.source, body }, settings, {
      honeypotFilled: false,
      secondsSinceRender: Number.MAX_SAFE_INTEGER,
      duplicate: false,
      knownCommenter: false,
    });
    const reasons = decision.reasons.map((r) => (r === 'first-time' ? 'other-site' : r));
    const existing = await tx.selectFrom('comments').select(['id', 'status', 'author_name', 'body_src']).where('webmention_id', '=', id).forUpdate().executeTakeFirst();
    if (!existing) {
      const inserted = await tx
        .insertInto('comments')
        .values({
          post_id: mention.post_id,
          status: decision.status,
          author_name: name,
          author_email: '',
          body_src: body,
          body_html: renderCommentHtml(body),
          rendered_version: RENDERER_VERSION,
          hold_reasons: reasons,
          created_at: now,
          approved_at: decision.status === 'approved' ? now : null,
          decided_at: decision.status === 'pending' ? null : now,
          webmention_id: id,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await logDecision(tx, inserted.id, mention.project_id, decision.status, reasons, null, now);
      return;
    }
    if (existing.author_name === name && existing.body_src === body && existing.status !== 'deleted') return;
    // Changed at the source (or back after being removed): decided again, except that a person's
    // rejection or spam mark stands.
    const personDecided = existing.status === 'rejected' || existing.status === 'spam';
    const status = personDecided ? existing.status : decision.status;
    await tx
      .updateTable('comments')
      .set({
        author_name: name,
        body_src: body,
        body_html: renderCommentHtml(body),
        rendered_version: RENDERER_VERSION,
        status,
        hold_reasons: personDecided ? undefined : status === 'pending' ? [...reasons, 'changed-at-source'] : reasons,
        updated_at: now,
        approved_at: status === 'approved' ? now : null,
        decided_at: status === 'pending' ? null : now,
      })
      .where('id', '=', existing.id)
      .execute();
    await tx
      .insertInto('moderation_log')
      .values({ comment_id: existing.id, project_id: mention.project_id, actor_id: null, action: 'webmention-updated', reason: 'changed-at-source', previous_status: existing.status, new_status: status, previous_body: existing.body_src, created_at: now })
      .execute();
  });
}

async function logDecision(tx: Tx, commentId: number, projectId: number, status: string, reasons: string[], previous: string | null, now: Date) {
  const action = status === 'approved' ? 'auto-approve' : status === 'spam' ? 'auto-spam' : 'auto-hold';
  await tx
    .insertInto('moderation_log')
    .values({ comment_id: commentId, project_id: projectId, actor_id: null, action, reason: reasons.join(', ') || null, previous_status: previous, new_status: status, created_at: now })
    .execute();
}

/** For tests and tools. */
export async function webmentionRows(db: Db) {
  const { rows } = await sql<{ id: number; status: string; reason: string | null }>`SELECT id, status, reason FROM webmentions ORDER BY id`.execute(db);
  return rows;
}
