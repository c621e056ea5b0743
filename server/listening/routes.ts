// The listening desk of a project (issue 20), by audience:
//   owners and editors (requireProjectAction('listen')): the Conversations inbox, watched feeds and key
//     terms, item actions (open, read, dismiss, link from a post, respond in a new post), OPML export
//     and import, their private feed address, their daily email of new matches;
//   feed readers (no session; a secret token in the URL): the private Atom feed of the inbox;
//   WebSub hubs (no session; a secret token in the URL): the callback of a watched feed's subscription;
//   mail clients and readers of the daily email (no session; a signed token in the URL): turning that
//     person's daily email of that project off in one click (RFC 8058).
// Everything shown came from other sites: item HTML was sanitized when stored (server/markdown), titles
// and excerpts are escaped by the templates, highlights are escaped before <mark> is added.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireUser } from '../auth/plugin.js';
import { accessOf, parseId, refuseWritesIfArchived, requireProjectAction } from '../auth/project-access.js';
import { httpDate, isNotModified } from '../conditional-get.js';
import { savePost } from '../editor/service.js';
import { isPostSlugTaken, listProjectPosts } from '../editor/queries.js';
import { notFound } from '../errors.js';
import { etagFor, lastChange } from '../feeds/http.js';
import { escapeHtml } from '../markdown/render.js';
import { addTeamLink, teamLinkProblems } from '../responses/team-links.js';
import { MARK_START, MARK_STOP } from '../search/queries.js';
import { absoluteUrl, slugify, urls, withQuery } from '../urls.js';
import { buildInboxFeed, inboxFeedPath, inboxPath } from './feed.js';
import { addTerm, editTerm } from './matches.js';
import { describeSeconds } from './poll.js';
import {
  countUnread,
  deleteSource,
  deleteTerm,
  findInboxFeedToken,
  findItem,
  findSource,
  hasActiveInboxFeedToken,
  listInbox,
  listSources,
  listTerms,
  markItems,
  replaceInboxFeedToken,
  revokeInboxFeedTokens,
  setSourceMode,
  setSourceStatus,
  type InboxShow,
  type SourceRow,
} from './queries.js';
import { schedulePoll } from './poll.js';
import { addSource, buildOpml, checkTerm, importOpml, readOpml } from './service.js';
import { setDailyEmail, wantsDailyEmail } from './daily-email-queries.js';
import { dailyEmailOffPath } from './daily-email.js';
import { readPairToken, siteSecretOf } from '../email/tokens.js';
import { acceptPush, answerVerification, cancelSubscription, PUSH_MAX_BYTES } from './websub.js';
import { listWebsubStates, type WebsubRow } from './websub-queries.js';

type Params = { project: string; id?: string; action?: string };
type Body = Record<string, unknown>;
const PER_PAGE = 25;
const SHOWS: InboxShow[] = ['unread', 'all', 'dismissed'];
const ITEM_ACTIONS = ['open', 'read', 'unread', 'dismiss', 'restore'] as const;

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const idOf = (v: unknown) => (typeof v === 'string' && /^[1-9][0-9]{0,14}$/.test(v) ? Number(v) : undefined);
const sourcesPath = (slug: string) => `${inboxPath(slug)}/sources`;

/** Escapes everything, then turns the headline markers into <mark>: no text can become markup. */
export function highlightHtml(headline: string): string {
  const escaped = escapeHtml(headline);
  const marked = escaped.replace(new RegExp(`${MARK_START}([^${MARK_START}${MARK_STOP}]*)${MARK_STOP}`, 'g'), '<mark>$1</mark>');
  return marked.replace(new RegExp(`[${MARK_START}${MARK_STOP}]`, 'g'), '');
}

/** Where to go back to after an item action: the inbox with its filters, nothing else. */
function backTo(slug: string, body: Body): string {
  const back = str(body.back);
  const base = inboxPath(slug);
  return back === base || (back.startsWith(`${base}?`) && /^[A-Za-z0-9=&%_.-]*$/.test(back.slice(base.length + 1))) ? back : base;
}

function when(date: Date | null, now: Date): string {
  if (!date) return 'never';
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  if (seconds < 0) return `in ${describeSeconds(-seconds)}`;
  if (seconds < 60) return 'just now';
  return `${describeSeconds(seconds)} ago`;
}

function sourceView(s: SourceRow, now: Date) {
  const state = s.status === 'paused' ? 'Paused' : s.status === 'gone' ? 'Stopped: the feed is gone' : s.lastError ? 'Failing' : 'Watching';
  return {
    ...s,
    label: s.title || s.url,
    state,
    lastFetched: when(s.lastFetchedAt, now),
    lastNewItem: when(s.lastNewItemAt, now),
    nextPoll: s.status === 'active' && s.nextPollAt ? when(s.nextPollAt, now) : null,
  };
}

/** A source's WebSub subscription in plain words (null: its feed declares no hub). */
function pushView(w: Pick<WebsubRow, 'hub' | 'state' | 'expires_at' | 'last_push_at' | 'last_error' | 'verified_at'> | undefined, now: Date): string | null {
  if (!w) return null;
  let host = w.hub;
  try {
    host = new URL(w.hub).host;
  } catch {
    /* shown as stored */
  }
  const last = w.last_push_at ? `; last update pushed ${when(w.last_push_at, now)}` : '';
  if (w.state === 'failed') return `Not subscribed at its hub (${host}): ${w.last_error ?? 'the hub refused'} Checked by polling only.`;
  if (w.state === 'unsubscribing') return `Unsubscribing from its hub (${host}).`;
  if (w.verified_at && w.expires_at && w.expires_at > now) return `Updates pushed by its hub (${host}), subscription renewed automatically${last}. Polling continues, less often.${w.last_error ? ` ${w.last_error}` : ''}`;
  return `Subscribing at its hub (${host}); waiting for the hub to confirm.`;
}

/** A draft's Markdown quoting an item: its title as a link, who wrote it, where. */
export function responseDraft(item: { title: string; url: string | null; author: string }, sourceTitle: string): string {
  const md = (text: string) => text.replace(/([\\`*_{}[\]()#+!<>|~])/g, '\\$1').replace(/\s+/g, ' ');
  const title = md(item.title || 'this post');
  const link = item.url ? `[${title}](<${item.url.replace(/[<>\s]/g, encodeURIComponent)}>)` : title;
  const by = [item.author, sourceTitle].map((s) => md(s)).filter(Boolean).join(', on ');
  return `> ${link}${by ? `\n>\n> — ${by}` : ''}\n\n`;
}

export default async function listeningRoutes(app: FastifyInstance) {
  await app.register(async (team) => {
    team.addHook('preHandler', requireUser);
    team.addHook('preHandler', requireProjectAction('listen', 'Only the project’s owners and editors use its listening desk.'));
    team.addHook('preHandler', refuseWritesIfArchived);

    // ---------------------------------------------------------------------------------- the inbox

    async function showInbox(request: FastifyRequest, reply: FastifyReply, query: Record<string, unknown>, outcome: { status: number; notice?: string; errors?: Record<string, string> } = { status: 200 }) {
      const { project } = accessOf(request);
      const user = request.user!;
      const now = app.clock.now();
      const [sources, terms] = await Promise.all([listSources(app.db, project.id), listTerms(app.db, project.id)]);
      const show = SHOWS.find((s) => s === query.show) ?? 'unread';
      const sourceId = idOf(query.source);
      const termId = idOf(query.term);
      const source = sourceId === undefined ? undefined : sources.find((s) => s.id === sourceId);
      const term = termId === undefined ? undefined : terms.find((t) => t.id === termId);
      if ((query.source !== undefined && query.source !== '' && !source) || (query.term !== undefined && query.term !== '' && !term)) throw notFound('There is no such source or term in this project.');
      const page = idOf(query.page) ?? 1;
      const items = await listInbox(app.db, project.id, { show, sourceId: source?.id, termId: term?.id }, { limit: PER_PAGE + 1, offset: (page - 1) * PER_PAGE });
      const [unread, feedToken, dailyEmail] = await Promise.all([countUnread(app.db, [project.id]), hasActiveInboxFeedToken(app.db, user.id, project.id), wantsDailyEmail(app.db, user.id, project.id)]);
      const termById = new Map(terms.map((t) => [t.id, t.query]));
      const filters = { show: show === 'unread' ? undefined : show, source: source?.id, term: term?.id };
      const base = inboxPath(project.slug);
      reply.code(outcome.status).header('cache-control', 'private, no-store');
      return reply.page('pages/listening/inbox', {
        title: `Conversations: ${project.title}`,
        noindex: true,
        // Not `project`: the layout would name it in the header, which the team's pages do not.
        projectTitle: project.title,
        notice: outcome.notice ?? (typeof query.done === 'string' ? doneNotice(query.done) : null),
        errors: outcome.errors ?? {},
        base,
        sourcesUrl: sourcesPath(project.slug),
        back: withQuery(base, { ...filters, page: page > 1 ? page : undefined }),
        show,
        shows: SHOWS,
        sourceFilter: source?.id ?? '',
        termFilter: term?.id ?? '',
        sources: sources.map((s) => ({ id: s.id, label: s.title || s.url })),
        terms,
        unread: unread.get(project.id) ?? 0,
        items: items.slice(0, PER_PAGE).map((i) => ({
          ...i,
          // Trusted HTML: escaped whole, then only <mark> added around matches (search/routes.ts: highlightHtml).
          titleHtmlTrusted: highlightHtml(i.titleHeadline || '(untitled)'),
          excerptHtmlTrusted: highlightHtml(i.excerptHeadline),
          matched: i.termIds.map((id) => termById.get(id)).filter(Boolean),
          date: (i.publishedAt ?? i.fetchedAt).toISOString().slice(0, 10),
          actionUrl: (action: string) => `${base}/items/${i.id}/${action}`,
        })),
        newer: page > 1 ? withQuery(base, { ...filters, page: page - 1 > 1 ? page - 1 : undefined }) : null,
        older: items.length > PER_PAGE ? withQuery(base, { ...filters, page: page + 1 }) : null,
        feedToken,
        dailyEmail,
        hasTerms: terms.length > 0,
        now,
      });
    }

    function doneNotice(done: string): string | null {
      return (
        {
          linked: 'The link was added to the post, under “Responses elsewhere”.',
          read: 'Marked as read.',
          unread: 'Marked as unread.',
          dismiss: 'Dismissed. You can find it under “Dismissed”.',
          restore: 'Put back in the inbox.',
          'all-read': 'Everything shown was marked as read.',
          revoked: 'Your private feed address no longer works.',
          'email-on': 'You will get a daily email of new matches (when there are any).',
          'email-off': 'You will no longer get the daily email of new matches.',
        }[done] ?? null
      );
    }

    // GET /admin/projects/:project/listening — Conversations: the inbox, filtered by show/source/term
    team.get<{ Params: Params; Querystring: Record<string, unknown> }>('/admin/projects/:project/listening', async (request, reply) => showInbox(request, reply, request.query));

    // POST /admin/projects/:project/listening/read-all — mark the items on the page as read
    team.post<{ Params: Params; Body: Body }>('/admin/projects/:project/listening/read-all', async (request, reply) => {
      const { project } = accessOf(request);
      const body = request.body ?? {};
      const raw = Array.isArray(body.ids) ? body.ids : body.ids === undefined ? [] : [body.ids];
      const ids = raw.map(idOf).filter((n): n is number => n !== undefined).slice(0, 200);
      await markItems(app.db, project.id, ids, 'read', app.clock.now());
      const back = backTo(project.slug, body);
      return reply.redirect(`${back}${back.includes('?') ? '&' : '?'}done=all-read`, 303);
    });

    // POST /admin/projects/:project/listening/items/:id/:action — open (mark read, go there), read, unread, dismiss, restore
    team.post<{ Params: Params; Body: Body }>('/admin/projects/:project/listening/items/:id/:action', async (request, reply) => {
      const { project } = accessOf(request);
      const action = ITEM_ACTIONS.find((a) => a === request.params.action);
      if (!action) throw notFound();
      const item = await findItem(app.db, project.id, parseId(request.params.id));
      if (!item) throw notFound('There is no such item in this project’s inbox.');
      const body = request.body ?? {};
      const now = app.clock.now();
      if (action === 'open') {
        await markItems(app.db, project.id, [item.id], 'read', now);
        if (item.url) return reply.redirect(item.url, 303);
        return reply.redirect(backTo(project.slug, body), 303);
      }
      await markItems(app.db, project.id, [item.id], action, now);
      const back = backTo(project.slug, body);
      return reply.redirect(`${back}${back.includes('?') ? '&' : '?'}done=${action}`, 303);
    });

    // GET /admin/projects/:project/listening/items/:id/link — choose the post to link this item from
    team.get<{ Params: Params }>('/admin/projects/:project/listening/items/:id/link', async (request, reply) => renderLinkForm(request, reply, undefined, {}, 200));

    async function renderLinkForm(request: FastifyRequest<{ Params: Params }>, reply: FastifyReply, values: Record<string, string> | undefined, errors: Record<string, string>, status: number) {
      const { project } = accessOf(request);
      const item = await findItem(app.db, project.id, parseId(request.params.id));
      if (!item) throw notFound('There is no such item in this project’s inbox.');
      const posts = await listProjectPosts(app.db, project.id, app.clock.now());
      reply.code(status).header('cache-control', 'private, no-store');
      return reply.page('pages/listening/link', {
        title: `Link from a post: ${item.title || item.url || 'item'}`,
        noindex: true,
        item,
        posts,
        errors,
        values: values ?? { postId: '', title: item.title.slice(0, 300), note: '' },
        action: `${inboxPath(project.slug)}/items/${item.id}/link`,
        back: inboxPath(project.slug),
      });
    }

    // POST /admin/projects/:project/listening/items/:id/link — add the item to a post's "Responses elsewhere"
    team.post<{ Params: Params; Body: Body }>('/admin/projects/:project/listening/items/:id/link', async (request, reply) => {
      const { project } = accessOf(request);
      const item = await findItem(app.db, project.id, parseId(request.params.id));
      if (!item) throw notFound('There is no such item in this project’s inbox.');
      const body = request.body ?? {};
      const values = { postId: str(body.postId), title: str(body.title), note: str(body.note) };
      const errors: Record<string, string> = {};
      const postId = idOf(values.postId);
      const posts = await listProjectPosts(app.db, project.id, app.clock.now());
      const post = posts.find((p) => p.id === postId);
      if (!post) errors.postId = 'Choose the post to link this conversation from.';
      if (!item.url) errors.postId = 'This item has no address to link to.';
      const problems = item.url ? teamLinkProblems({ url: item.url, title: values.title, note: values.note }) : {};
      if (problems.title) errors.title = problems.title;
      if (problems.note) errors.note = problems.note;
      if (problems.url) errors.postId = `The item’s address cannot be linked: ${problems.url}`;
      if (Object.keys(errors).length > 0) return renderLinkForm(request, reply, values, errors, 400);
      await addTeamLink(app.db, { postId: post!.id, url: item.url!, title: values.title, note: values.note || null, addedBy: request.user!.id, now: app.clock.now() });
      await markItems(app.db, project.id, [item.id], 'read', app.clock.now());
      return reply.redirect(withQuery(inboxPath(project.slug), { done: 'linked' }), 303);
    });

    // POST /admin/projects/:project/listening/items/:id/respond — a new draft quoting and linking the item
    team.post<{ Params: Params; Body: Body }>('/admin/projects/:project/listening/items/:id/respond', async (request, reply) => {
      const access = accessOf(request);
      const { project } = access;
      const item = await findItem(app.db, project.id, parseId(request.params.id));
      if (!item) throw notFound('There is no such item in this project’s inbox.');
      const source = await findSource(app.db, item.source_id, project.id);
      const now = app.clock.now();
      const title = Array.from(`Re: ${item.title || 'a conversation'}`).slice(0, 300).join('');
      const baseSlug = slugify(title, 90) || 'response';
      let slug = baseSlug;
      for (let n = 2; await isPostSlugTaken(app.db, project.id, slug); n++) slug = `${baseSlug}-${n}`;
      const result = await savePost(app.db, {
        project,
        user: request.user!,
        existingAuthorIds: [],
        value: { title, slug, summary: '', bodyMd: responseDraft(item, source?.title ?? ''), tags: [], additionalAuthorIds: [], commentsOpen: true, publishAt: undefined },
        action: 'save',
        version: 0,
        now,
        tagAuthority: app.siteIdentity.authority,
      });
      if (result.kind !== 'saved') return showInbox(request, reply, {}, { status: 409, notice: 'The draft could not be created; try again.' });
      await markItems(app.db, project.id, [item.id], 'read', now);
      return reply.redirect(`/admin/projects/${encodeURIComponent(project.slug)}/posts/${result.post.id}/edit`, 303);
    });

    // ---------------------------------------------------------------------------------- sources and terms

    async function showSources(request: FastifyRequest, reply: FastifyReply, outcome: { status: number; notice?: string; errors?: Record<string, string>; values?: Record<string, string> } = { status: 200 }) {
      const { project } = accessOf(request);
      const now = app.clock.now();
      const [sources, terms, pushes] = await Promise.all([listSources(app.db, project.id), listTerms(app.db, project.id), listWebsubStates(app.db, project.id)]);
      reply.code(outcome.status).header('cache-control', 'private, no-store');
      return reply.page('pages/listening/sources', {
        title: `Watched feeds and key terms: ${project.title}`,
        noindex: true,
        projectTitle: project.title,
        notice: outcome.notice ?? null,
        errors: outcome.errors ?? {},
        values: { address: '', mode: 'all', term: '', opml: '', ...outcome.values },
        sources: sources.map((s) => ({ ...sourceView(s, now), push: pushView(pushes.get(s.id), now) })),
        terms: terms.map((t) => ({ ...t, inboxUrl: withQuery(inboxPath(project.slug), { term: t.id, show: 'all' }) })),
        base: sourcesPath(project.slug),
        inboxUrl: inboxPath(project.slug),
        opmlUrl: `${inboxPath(project.slug)}/feeds.opml`,
        searchHelp: urls.search(),
      });
    }

    // GET /admin/projects/:project/listening/sources — watched feeds (with their state) and key terms
    team.get<{ Params: Params; Querystring: { done?: string } }>('/admin/projects/:project/listening/sources', async (request, reply) =>
      showSources(request, reply, { status: 200, notice: request.query.done === 'removed' ? 'The feed was removed, with its items.' : undefined }),
    );

    // POST /admin/projects/:project/listening/sources — watch a feed (or the feed a site advertises)
    team.post<{ Params: Params; Body: Body }>('/admin/projects/:project/listening/sources', async (request, reply) => {
      const { project } = accessOf(request);
      const body = request.body ?? {};
      const values = { address: str(body.address).slice(0, 4000), mode: str(body.mode) === 'matches' ? 'matches' : 'all' };
      const result = await addSource(app.db, app.config, { projectId: project.id, address: values.address, mode: values.mode as 'all' | 'matches', personId: request.user!.id, now: app.clock.now() });
      if (!result.ok) return showSources(request, reply, { status: 400, errors: { address: result.error }, values });
      return showSources(request, reply, {
        status: 200,
        notice: `Now watching “${result.title}”: ${result.newItems} ${result.newItems === 1 ? 'item' : 'items'} fetched.`,
      });
    });

    // POST /admin/projects/:project/listening/sources/:id/:action — pause, resume, remove, all, matches
    team.post<{ Params: Params; Body: Body }>('/admin/projects/:project/listening/sources/:id/:action', async (request, reply) => {
      const { project } = accessOf(request);
      const source = await findSource(app.db, parseId(request.params.id), project.id);
      if (!source) throw notFound('This project does not watch that feed.');
      const action = request.params.action;
      let notice: string;
      if (action === 'pause') {
        await app.db.transaction().execute(async (tx) => {
          await setSourceStatus(tx, source.id, 'paused');
          await cancelSubscription(tx, source.id, app.clock.now());
        });
        notice = `“${source.title || source.url}” is paused: it will not be checked until you resume it.`;
      } else if (action === 'resume') {
        await app.db.transaction().execute(async (tx) => {
          await setSourceStatus(tx, source.id, 'active');
          await schedulePoll(tx, source, 0);
        });
        notice = `“${source.title || source.url}” is watched again; it will be checked in a moment.`;
      } else if (action === 'remove') {
        await app.db.transaction().execute(async (tx) => {
          await cancelSubscription(tx, source.id, app.clock.now());
          await deleteSource(tx, source.id);
        });
        return reply.redirect(`${sourcesPath(project.slug)}?done=removed`, 303);
      } else if (action === 'all' || action === 'matches') {
        await setSourceMode(app.db, source.id, action);
        notice = action === 'all' ? 'Every new item of this feed goes to the inbox.' : 'Only items that match a key term go to the inbox.';
      } else throw notFound();
      return showSources(request, reply, { status: 200, notice });
    });

    // POST /admin/projects/:project/listening/terms — listen for a word or phrase
    team.post<{ Params: Params; Body: Body }>('/admin/projects/:project/listening/terms', async (request, reply) => {
      const { project } = accessOf(request);
      const raw = str((request.body ?? {}).term).slice(0, 1000);
      const checked = await checkTerm(app.db, raw);
      if (!checked.ok) return showSources(request, reply, { status: 400, errors: { term: checked.error }, values: { term: raw } });
      const added = await addTerm(app.db, project.id, checked.query, request.user!.id, app.clock.now());
      return showSources(request, reply, { status: 200, notice: added !== undefined ? `Listening for “${checked.query}”.` : `This project already listens for “${checked.query}”.` });
    });

    // POST /admin/projects/:project/listening/terms/:id/edit — change a term (its matches are found again)
    team.post<{ Params: Params; Body: Body }>('/admin/projects/:project/listening/terms/:id/edit', async (request, reply) => {
      const { project } = accessOf(request);
      const termId = parseId(request.params.id);
      const terms = await listTerms(app.db, project.id);
      const term = terms.find((t) => t.id === termId);
      if (!term) throw notFound('This project does not listen for that term (it may have been removed).');
      const raw = str((request.body ?? {}).query).slice(0, 1000);
      const field = `term-${term.id}`;
      const refuse = (error: string) => showSources(request, reply, { status: 400, errors: { [field]: error }, values: { [field]: raw } });
      const checked = await checkTerm(app.db, raw);
      if (!checked.ok) return refuse(checked.error);
      if (checked.query === term.query) return showSources(request, reply, { status: 200, notice: `The term “${term.query}” is unchanged.` });
      if (!(await editTerm(app.db, project.id, term.id, checked.query))) return refuse(`This project already listens for “${checked.query}”.`);
      return showSources(request, reply, { status: 200, notice: `“${term.query}” is now “${checked.query}”. Its matches among the items already fetched are being found again.` });
    });

    // POST /admin/projects/:project/listening/terms/:id/remove — stop listening for a term
    team.post<{ Params: Params }>('/admin/projects/:project/listening/terms/:id/remove', async (request, reply) => {
      const { project } = accessOf(request);
      await deleteTerm(app.db, project.id, parseId(request.params.id));
      return showSources(request, reply, { status: 200, notice: 'The term was removed.' });
    });

    // GET /admin/projects/:project/listening/feeds.opml — the watched feeds as OPML (to take them elsewhere)
    team.get<{ Params: Params }>('/admin/projects/:project/listening/feeds.opml', async (request, reply) => {
      const { project } = accessOf(request);
      const sources = await listSources(app.db, project.id);
      const opml = buildOpml({ title: `Feeds watched by ${project.title}`, sources, now: app.clock.now() });
      return reply
        .header('cache-control', 'private, no-store')
        .header('content-disposition', `attachment; filename="${project.slug}-watched-feeds.opml"`)
        .type('text/x-opml; charset=utf-8')
        .send(opml);
    });

    // POST /admin/projects/:project/listening/opml — watch every feed of a pasted OPML list
    team.post<{ Params: Params; Body: Body }>('/admin/projects/:project/listening/opml', async (request, reply) => {
      const { project } = accessOf(request);
      const text = str((request.body ?? {}).opml);
      if (text.length > 1_000_000) return showSources(request, reply, { status: 400, errors: { opml: 'The list is too long (1 MB at most).' }, values: { opml: '' } });
      const read = readOpml(text);
      if (!read.ok) return showSources(request, reply, { status: 400, errors: { opml: read.error }, values: { opml: text } });
      const { added, skipped } = await importOpml(app.db, { projectId: project.id, feeds: read.feeds, personId: request.user!.id, now: app.clock.now() });
      return showSources(request, reply, { status: 200, notice: `${added} ${added === 1 ? 'feed' : 'feeds'} added${skipped ? `, ${skipped} already watched` : ''}. They are fetched over the next few minutes.` });
    });

    // POST /admin/projects/:project/listening/feed-token — a new private feed address (replaces the old one)
    team.post<{ Params: Params }>('/admin/projects/:project/listening/feed-token', async (request, reply) => {
      const { project } = accessOf(request);
      const token = randomBytes(32).toString('base64url');
      await replaceInboxFeedToken(app.db, request.user!.id, project.id, token, app.clock.now());
      reply.header('cache-control', 'private, no-store');
      return reply.page('pages/listening/feed-token', {
        title: `Your private Conversations feed: ${project.title}`,
        noindex: true,
        p: project,
        feedUrl: absoluteUrl(app.config.publicUrl, inboxFeedPath(token)),
        inboxUrl: inboxPath(project.slug),
      });
    });

    // POST /admin/projects/:project/listening/daily-email — daily=on|off: the daily email of new matches, for me
    team.post<{ Params: Params; Body: Body }>('/admin/projects/:project/listening/daily-email', async (request, reply) => {
      const { project } = accessOf(request);
      const on = str((request.body ?? {}).daily) === 'on';
      await setDailyEmail(app.db, request.user!.id, project.id, on, app.clock.now());
      return reply.redirect(withQuery(inboxPath(project.slug), { done: on ? 'email-on' : 'email-off' }), 303);
    });

    // POST /admin/projects/:project/listening/feed-token/revoke — the private feed address stops working
    team.post<{ Params: Params }>('/admin/projects/:project/listening/feed-token/revoke', async (request, reply) => {
      const { project } = accessOf(request);
      await revokeInboxFeedTokens(app.db, request.user!.id, project.id, app.clock.now());
      return reply.redirect(withQuery(inboxPath(project.slug), { done: 'revoked' }), 303);
    });
  });

  // The WebSub callback of a watched feed (websub.ts): a public API for hubs (no session, no CSRF token);
  // the unguessable token in the path names the subscription. The body is kept as bytes (the signature
  // is over the bytes), whatever its type, up to PUSH_MAX_BYTES (more: 413).
  await app.register(async (hubs) => {
    hubs.removeAllContentTypeParsers();
    hubs.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: PUSH_MAX_BYTES }, (_request, body, done) => done(null, body));

    // GET /listening/websub/:token — the hub's verification of intent (or a denial)
    hubs.get<{ Params: { token: string }; Querystring: Record<string, unknown> }>('/listening/websub/:token', async (request, reply) => {
      const answer = await answerVerification(app.db, request.params.token, request.query ?? {}, app.clock.now());
      return reply.code(answer.status).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(answer.body);
    });

    // POST /listening/websub/:token — content distribution: the feed as the hub pushes it, verified and
    // stored (202), read by the listen:websub-push job
    hubs.post<{ Params: { token: string } }>('/listening/websub/:token', { config: { csrf: false }, bodyLimit: PUSH_MAX_BYTES }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const answer = await acceptPush(app.db, request.params.token, { headers: request.headers, body }, app.clock.now(), request.log);
      if (answer.retryAfter) reply.header('retry-after', String(answer.retryAfter));
      return reply.code(answer.status).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(answer.body);
    });
  });

  // The one-click "stop this daily email" of the daily email of new matches. The token (signed with the
  // site secret by the email domain's machinery) names a person and a project; it never expires, so an
  // email read a year later still lets its reader stop it. Turning it on again is the Conversations
  // page's button (signed in).
  const secret = await siteSecretOf(app.db);
  async function dailyEmailOf(token: string) {
    const check = readPairToken(secret, 'listening-daily-off', token);
    if (!check.ok) return undefined;
    const [personId, projectId] = check.ids;
    const project = await app.db.selectFrom('projects').select(['id', 'slug', 'title']).where('id', '=', projectId).executeTakeFirst();
    return project ? { personId, project } : undefined;
  }
  function dailyEmailLinkBroken(reply: FastifyReply) {
    return reply
      .code(404)
      .header('cache-control', 'no-store')
      .page('pages/email/message', {
        title: 'This link does not work',
        noindex: true,
        heading: 'This link does not work',
        paragraphs: ['It may have been copied incompletely, or its project has been removed. You can also stop the daily email on the project’s Conversations page, signed in.'],
      });
  }

  // GET /listening/daily-email/off/:token — the link in the email: a page with one button (link scanners only GET)
  app.get<{ Params: { token: string } }>('/listening/daily-email/off/:token', async (request, reply) => {
    const found = await dailyEmailOf(request.params.token);
    if (!found) return dailyEmailLinkBroken(reply);
    return reply.header('cache-control', 'no-store').page('pages/email/message', {
      title: 'Stop the daily email',
      noindex: true,
      heading: 'Stop the daily email',
      paragraphs: [`Stop your daily email of new matches in ${found.project.title}’s conversations?`],
      form: { action: dailyEmailOffPath(request.params.token), button: 'Stop the daily email' },
    });
  });

  // POST /listening/daily-email/off/:token — RFC 8058 one-click (from a mail client: no cookie, no CSRF
  // token; the signed URL is the proof), and the button of the page above. Again is harmless.
  app.post<{ Params: { token: string } }>('/listening/daily-email/off/:token', { config: { csrf: false, dropsPages: false } }, async (request, reply) => {
    const found = await dailyEmailOf(request.params.token);
    if (!found) return dailyEmailLinkBroken(reply);
    await setDailyEmail(app.db, found.personId, found.project.id, false, app.clock.now());
    return reply.header('cache-control', 'no-store').page('pages/email/message', {
      title: 'Daily email stopped',
      noindex: true,
      heading: 'Your daily email is stopped',
      paragraphs: [`No more daily emails of new matches in ${found.project.title}’s conversations will be sent to you. To have them again, use “Email me new matches daily” on the Conversations page.`],
      links: [{ href: inboxPath(found.project.slug), text: `Conversations of ${found.project.title} (sign in to turn it on again)` }],
    });
  });

  // GET /listening/feed/:token — a person's view of a project's inbox as Atom, at a secret address.
  // Private (no shared cache keeps it); it stops working when revoked, when the person is disabled, or
  // when they no longer may use the project's listening desk.
  app.get<{ Params: { token: string } }>('/listening/feed/:token', async (request, reply) => {
    const token = request.params.token;
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw notFound();
    const found = await findInboxFeedToken(app.db, token);
    if (!found) throw notFound();
    const role = await app.db.selectFrom('memberships').select('role').where('person_id', '=', found.person_id).where('project_id', '=', found.project_id).executeTakeFirst();
    if (!found.is_site_admin && role?.role !== 'owner' && role?.role !== 'editor') throw notFound();
    const now = app.clock.now();
    const project = { id: Number(found.project_id), slug: found.slug, title: found.title };
    const items = await listInbox(app.db, project.id, { show: 'all' }, { limit: 50, offset: 0 });
    const updated = lastChange(now, ...items.map((i) => i.fetchedAt));
    const etag = etagFor(`/listening/feed/person-${found.person_id}/project-${project.id}`, [app.config.publicUrl, project.title, ...items.map((i) => `${i.id}@${i.title}`)].join('\n'));
    reply
      .header('cache-control', 'private, no-cache')
      .header('etag', etag)
      .header('last-modified', httpDate(updated))
      .header('x-robots-tag', 'noindex')
      .header('referrer-policy', 'no-referrer');
    if (isNotModified(request.headers, { etag, lastModified: updated }, now)) return reply.code(304).send();
    const xml = buildInboxFeed({ publicUrl: app.config.publicUrl, identity: app.siteIdentity, project, personId: Number(found.person_id), selfPath: inboxFeedPath(token), items, updated });
    return reply.type('application/atom+xml; charset=utf-8').send(xml);
  });
}
