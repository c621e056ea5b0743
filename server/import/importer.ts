// The WordPress import's rules: what each WXR record becomes here, applied one record at a time inside
// the caller's transaction (server/import/run.ts batches them). Every item is keyed in import_items by
// the export's site and its WordPress id, so a second run creates nothing twice: an unchanged item is
// left alone, a changed one is updated (unless someone edited it here since), a new one is created.
// History is not news: imported posts get announced_at, so nothing is emailed or pinged for them.
import { createHash } from 'node:crypto';
import { suggestHandle } from '../accounts/people.js';
import type { Db, Tx } from '../db/create-db.js';
import type { CommentStatus, PostStatus, PostTable } from '../db/schema.js';
import { replacePostAuthors } from '../editor/queries.js';
import { sql, type Insertable } from 'kysely';
import { RENDERER_VERSION, renderPostHtml } from '../markdown/render.js';
import { mintAtomId } from '../posts/atom-id.js';
import { slugify } from '../urls.js';
import { convertPostContent, plainTitle, type ConvertNotes } from './content.js';
import type { ConvertPool } from './convert-pool.js';
import { checkConvertibleHere, convertComment, type ConvertedComments, type ConvertedPost } from './convert-work.js';
import type { MediaStore } from './media.js';
import type { WxrAuthor, WxrComment, WxrItem, WxrSite, WxrTerm } from './wxr-parser.js';

export type ReportKind = 'people' | 'posts' | 'pages' | 'comments' | 'pings' | 'attachments' | 'images' | 'other';

export interface ReportNote {
  kind: ReportKind;
  /** WordPress id (or login for people). */
  wpId: string;
  title: string;
  /** created | updated | skipped | changed | not-public | missing */
  action: string;
  reason: string;
}

export interface ImportReport {
  site: string;
  counts: Record<ReportKind, { created: number; updated: number; unchanged: number; skipped: number }>;
  people: Array<{ login: string; name: string; email: string; handle: string; created: boolean }>;
  notes: ReportNote[];
  /** Links to the old site's items rewritten to their new addresses (after all items were known). */
  links?: { items: number; links: number };
}

export function emptyReport(site = ''): ImportReport {
  const zero = () => ({ created: 0, updated: 0, unchanged: 0, skipped: 0 });
  return {
    site,
    counts: { people: zero(), posts: zero(), pages: zero(), comments: zero(), pings: zero(), attachments: zero(), images: zero(), other: zero() },
    people: [],
    notes: [],
  };
}

/** Site-relative notes are capped so a hostile export cannot grow the stored report without bound. */
const MAX_NOTES = 20_000;

/** CPU time spent per step (milliseconds, summed), read by the import benchmark (scripts/bench-import.ts). */
export const importTimings = { postConvert: 0, postRender: 0, commentConvert: 0, commentRender: 0, posts: 0, comments: 0, postWait: 0, commentWait: 0 };
const timed = <T>(key: keyof typeof importTimings, fn: () => T): T => {
  const started = performance.now();
  try {
    return fn();
  } finally {
    importTimings[key] += performance.now() - started;
  }
};

export interface ImporterSetup {
  projectId: number;
  tagAuthority: string;
  now: Date;
  media?: MediaStore;
  /**
   * Every attachment of the whole export (all its files), read on demand: a [gallery] needs the images
   * attached to its post, and an export may list them after the post (server/import/run.ts reads the
   * files once more, only when a post has a gallery).
   */
  attachmentIndex?: () => Promise<Map<string, AttachmentInfo>>;
  /** Worker threads that convert and render posts and comments (convert-pool.ts); none: this thread does. */
  pool?: ConvertPool;
}

/** An import_items row as the importer reads it (a written one, or one waiting in the batch's writes). */
type MappingRow = { local_id: number | null; fingerprint: string; old_url: string | null; updated_at: Date };
type RememberKind = 'person' | 'post' | 'page' | 'comment' | 'ping' | 'attachment';
type RememberRow = { kind: RememberKind; wp_id: string; local_id: number | null; fingerprint: string; old_url: string | null; old_path: string | null; old_slug: string | null };
type KnownComment = { local_id: number | null; fingerprint: string; depth: number | null; parent_id: number | null };
/** A post's new comments, waiting for the end of the batch (inserted with every post's, wave by wave). */
type PendingComments = {
  postId: number;
  title: string;
  local: Map<string, { id: number; depth: number; parentId: number | null }>;
  waves: Array<Array<{ c: WxrComment; fields: NewCommentFields; at: Date; print: string }>>;
};

/** An attachment of the export: its file's address, the post it is attached to and its gallery order. */
export interface AttachmentInfo {
  url: string;
  parent: string;
  order: number;
}

export function attachmentInfoOf(item: WxrItem): AttachmentInfo | undefined {
  if (!item.attachmentUrl) return undefined;
  const order = Number.parseInt(item.menuOrder, 10);
  return { url: item.attachmentUrl, parent: item.postParent.trim(), order: Number.isFinite(order) ? order : 0 };
}

/** The block editor's footnotes, kept in the "footnotes" meta as JSON ([{id, content}]); undefined if none. */
export function footnotesOf(item: WxrItem): Array<{ id: string; content: string }> | undefined {
  const raw = item.meta.find((m) => m.key === 'footnotes')?.value;
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (!Array.isArray(parsed)) return undefined;
    const notes = parsed.flatMap((f: unknown) => {
      const note = f as { id?: unknown; content?: unknown } | null;
      return note && typeof note.id === 'string' && typeof note.content === 'string' ? [{ id: note.id, content: note.content }] : [];
    });
    return notes.length ? notes : undefined;
  } catch {
    return undefined;
  }
}

/** Galleries show images only (WordPress asks for post_mime_type image; WXR carries no MIME type). */
const IMAGE_URL = /\.(?:jpe?g|png|gif|webp|avif|bmp|tiff?|svg)(?:[?#]|$)/i;

type NewCommentFields = {
  status: CommentStatus;
  author_name: string;
  author_email: string;
  author_url: string | null;
  body_src: string;
  body_html: string;
  rendered_version: number;
  approved_at: Date | null;
  decided_at: Date | null;
  updated_at: Date;
};

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', hellip: '…', ndash: '–', mdash: '—', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', raquo: '»', laquo: '«', copy: '©', reg: '®', trade: '™', middot: '·', bull: '•', euro: '€', pound: '£' };

/** Titles and names in exports carry HTML character references (It&#8217;s): plain text here. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (m, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : m;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? m;
  });
}

function plain(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/** "2020-01-02 03:04:05" (GMT) → Date; undefined for WordPress's "0000-00-00 00:00:00" and junk. */
export function parseWpDate(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(text.trim());
  if (!m || m[1] === '0000') return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

/** What a comment's import depends on: the same print means nothing to do on a second import. */
const commentPrints = new WeakMap<WxrComment, string>(); // computed once per comment (prepare, then comments)
function commentPrint(c: WxrComment): string {
  let print = commentPrints.get(c);
  if (print === undefined) commentPrints.set(c, (print = fingerprint([c.content, c.approved, c.author, c.authorEmail, c.authorUrl, c.parent, c.dateGmt])));
  return print;
}

/** Galleries need the transaction (attachments, earlier imports): such posts are converted on this thread. */
function needsTransactionToConvert(item: WxrItem, footnotes: Array<{ id: string; content: string }> | undefined): boolean {
  return /\[gallery\b/i.test(item.content) || (footnotes ?? []).some((f) => /\[gallery\b/i.test(f.content));
}

function safeDecodeUri(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The site key of an export: its base site URL (else the channel link), without scheme or trailing slash. */
export function siteKeyOf(site: WxrSite): string {
  const raw = site.baseSiteUrl || site.baseBlogUrl || site.link;
  return raw.replace(/^https?:\/\//i, '').replace(/\/+$/, '').toLowerCase();
}

/** The path of an old URL relative to the old site's base path, always starting and ending with "/". */
export function oldPathOf(url: string, site: WxrSite): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  let base = '/';
  try {
    base = new URL(site.baseBlogUrl || site.link || site.baseSiteUrl).pathname;
  } catch {
    /* keep / */
  }
  let path = parsed.pathname;
  base = base.replace(/\/+$/, '');
  if (base && path.startsWith(`${base}/`)) path = path.slice(base.length);
  if (parsed.search) return `${path}${parsed.search}`; // ?p=12 style permalinks
  return path.endsWith('/') ? path : `${path}/`;
}

const CONTENT_TYPES = new Set(['post', 'page', 'attachment']);
const SKIPPED_STATUSES: Record<string, string> = {
  trash: 'in the WordPress trash',
  'auto-draft': 'an automatic draft WordPress made, never written',
  inherit: 'a revision or attachment of another item',
};

/** Whether the item is a post or page whose content the import converts (pages only when public). */
function isConverted(item: WxrItem): boolean {
  const type = item.postType || 'post';
  if ((type !== 'post' && type !== 'page') || SKIPPED_STATUSES[item.status] || !/^\d{1,19}$/.test(item.postId)) return false;
  return type === 'post' || (item.status === 'publish' && !item.postPassword);
}

export class WxrImporter {
  report: ImportReport;
  private site: WxrSite | undefined;
  private siteKey = '';
  private readonly people = new Map<string, number>();
  private readonly attachments = new Map<string, AttachmentInfo>();
  /** The whole export's attachments (setup.attachmentIndex), once a gallery needed them. */
  private attachmentIndex: Map<string, AttachmentInfo> | undefined;
  private imagesByParent: Map<string, Array<{ id: string; url: string; order: number }>> | undefined;
  private readonly otherTypes = new Map<string, number>();
  /** Tag ids of this project by slug, and their names by id, learnt as posts are imported (fewer statements per post). */
  private tagIds = new Map<string, number>();
  private readonly tagNames = new Map<number, string>();
  /**
   * What one batch read ahead in one query each (prepare) and the writes it holds until its end
   * (flushWrites): import_items rows, new posts' authors and tags, new comments. Emptied after each batch
   * and whenever writes are rolled back, so a look-up that misses them simply asks the database.
   */
  private ahead = {
    mappings: new Map<string, MappingRow | null>(),
    comments: new Map<string, KnownComment | null>(),
    /** slug → ids of the posts (or pages) holding it, for the slugs this batch asks about. */
    slugs: { posts: new Map<string, Set<number>>(), pages: new Map<string, Set<number>>() },
    converted: new Map<WxrItem, Promise<ConvertedPost>>(),
    convertedComments: new Map<WxrItem, Promise<ConvertedComments>>(),
  };
  private writes = {
    /** New posts, inserted together at the batch's end (their ids already taken from the sequence). */
    posts: [] as Array<Insertable<PostTable> & { id: number }>,
    /** Their ids, and the slugs they hold (so that look-ups within the batch see them). */
    postIds: new Set<number>(),
    postSlugs: new Map<string, number>(),
    remember: new Map<string, RememberRow>(),
    postAuthors: [] as Array<{ post_id: number; person_id: number; position: number }>,
    postTags: [] as Array<{ post_id: number; tag_id: number }>,
    /** New posts' tag names, given with them so their search vector is computed once (migration 0028). */
    postTagNames: new Map<number, string>(),
    comments: [] as PendingComments[],
    /** WordPress ids of the comments whose writes are held. */
    commentIds: new Set<string>(),
  };
  /** Post ids taken from the sequence ahead of their INSERT, so the atom id is written with the row. */
  private postIds: number[] = [];
  /** Whether the last batch prepared held only items never imported before (see startConversions). */
  private bringingNew = true;
  /** Items whose conversions startConversions started for a batch not prepared yet. */
  private readonly startedEarly = new Set<WxrItem>();

  constructor(private readonly setup: ImporterSetup, report?: ImportReport) {
    this.report = report ?? emptyReport();
  }

  get key(): string {
    return this.siteKey;
  }

  /**
   * What one item may change in memory (the report, the people and attachments seen), so that an item
   * whose writes were rolled back (server/import/run.ts: one savepoint per item) leaves no trace here.
   * The notes are only ever appended, so their length is enough.
   */
  checkpoint(): unknown {
    return {
      counts: JSON.stringify(this.report.counts),
      people: this.report.people.length,
      notes: this.report.notes.length,
      peopleIds: new Map(this.people),
      attachments: new Map(this.attachments),
      otherTypes: new Map(this.otherTypes),
      media: this.setup.media?.mark() ?? 0,
      tagIds: new Map(this.tagIds),
    };
  }

  /** Forgets what the failed item did (see checkpoint) and records it as skipped, with the reason. */
  restore(checkpoint: unknown, item: { type: 'item'; postType: string; postId: string; title: string } | { type: 'author'; login: string }, reason: string): void {
    this.rollBack(checkpoint);
    this.skippedForError(item, reason);
  }

  /** Forgets what was done in memory since the checkpoint (its writes were rolled back). */
  rollBack(checkpoint: unknown): void {
    const cp = checkpoint as { counts: string; people: number; notes: number; peopleIds: Map<string, number>; attachments: Map<string, AttachmentInfo>; otherTypes: Map<string, number>; media: number; tagIds: Map<string, number> };
    this.setup.media?.forget(cp.media);
    this.report.counts = JSON.parse(cp.counts) as ImportReport['counts'];
    this.report.people.length = cp.people;
    this.report.notes.length = cp.notes;
    for (const [map, saved] of [[this.people, cp.peopleIds], [this.attachments, cp.attachments], [this.otherTypes, cp.otherTypes]] as Array<[Map<string, unknown>, Map<string, unknown>]>) {
      map.clear();
      for (const [k, v] of saved) map.set(k, v);
    }
    this.tagIds = cp.tagIds;
    this.forgetBatchState();
  }

  /** Drops what was read ahead and the writes held back (their batch was rolled back or is done). */
  private forgetBatchState(): void {
    this.ahead.mappings.clear();
    this.ahead.comments.clear();
    this.ahead.slugs.posts.clear();
    this.ahead.slugs.pages.clear();
    this.writes.remember.clear();
    this.writes.posts = [];
    this.writes.postIds.clear();
    this.writes.postSlugs.clear();
    this.writes.postAuthors = [];
    this.writes.postTags = [];
    this.writes.postTagNames.clear();
    this.writes.comments = [];
    this.writes.commentIds.clear();
  }

  private skippedForError(item: { type: 'item'; postType: string; postId: string; title: string } | { type: 'author'; login: string }, reason: string): void {
    const why = `It could not be imported (${reason.replace(/\s+/g, ' ').slice(0, 300)}); the rest of the import went on. Importing the export again tries it again.`;
    if (item.type === 'author') {
      this.report.counts.people.skipped++;
      this.note({ kind: 'people', wpId: item.login, title: item.login, action: 'skipped', reason: why });
      return;
    }
    const kind: ReportKind = item.postType === 'page' ? 'pages' : item.postType === 'attachment' ? 'attachments' : item.postType === 'post' || !item.postType ? 'posts' : 'other';
    this.report.counts[kind].skipped++;
    this.note({ kind, wpId: item.postId, title: plainTitle(item.title).text || 'Untitled', action: 'skipped', reason: why });
  }

  private note(note: ReportNote): void {
    if (this.report.notes.length < MAX_NOTES) this.report.notes.push(note);
  }

  /** The first record of each file: files of one import must come from one site. */
  startSite(site: WxrSite): void {
    const key = siteKeyOf(site);
    if (!key) throw new Error('The export names no site (no wp:base_site_url and no channel link), so its items cannot be recognised again.');
    if (this.siteKey && this.siteKey !== key) throw new Error(`The files come from different sites (${this.siteKey} and ${key}). Import each site on its own.`);
    this.site = site;
    this.siteKey = key;
    this.report.site = key;
  }

  private async mapping(tx: Tx, kind: RememberKind, wpId: string): Promise<MappingRow | undefined> {
    const key = `${kind}:${wpId}`;
    const held = this.writes.remember.get(key);
    if (held) return { local_id: held.local_id, fingerprint: held.fingerprint, old_url: held.old_url, updated_at: this.setup.now };
    const ahead = this.ahead.mappings.get(key);
    if (ahead !== undefined) return ahead ?? undefined;
    return tx
      .selectFrom('import_items')
      .select(['local_id', 'fingerprint', 'old_url', 'updated_at'])
      .where('project_id', '=', this.setup.projectId)
      .where('site', '=', this.siteKey)
      .where('kind', '=', kind as 'post')
      .where('wp_id', '=', wpId)
      .executeTakeFirst();
  }

  /** Records what a WordPress item became: held until the batch's end (flushWrites), read back by mapping(). */
  private remember(kind: RememberKind, wpId: string, localId: number | null, print: string, extra: { oldUrl?: string; oldPath?: string; oldSlug?: string } = {}): void {
    // A later row for the same item replaces an earlier one, as a second upsert would.
    const key = `${kind}:${wpId}`;
    this.writes.remember.delete(key);
    this.writes.remember.set(key, { kind, wp_id: wpId, local_id: localId, fingerprint: print, old_url: extra.oldUrl ?? null, old_path: extra.oldPath ?? null, old_slug: extra.oldSlug ?? null });
  }

  /**
   * Reads ahead, in one query each, what the batch's items will look up one by one: their import_items
   * rows (and their comments'), the slugs they want. Starts converting their content on the pool.
   * Optional: without it every look-up asks the database, as when a batch is applied item by item.
   */
  async prepare(tx: Tx, items: WxrItem[]): Promise<void> {
    // Conversions of other items are dropped (a batch that failed), except those started for the next batch.
    const batch = new Set(items);
    for (const map of [this.ahead.converted, this.ahead.convertedComments] as Array<Map<WxrItem, unknown>>) {
      for (const item of map.keys()) if (!batch.has(item) && !this.startedEarly.has(item)) map.delete(item);
    }
    for (const item of items) this.startedEarly.delete(item);
    if (!this.siteKey) return;
    const { projectId } = this.setup;
    const keys: Array<{ kind: RememberKind; wpId: string }> = [];
    const commentIds: string[] = [];
    const wanted = { posts: new Set<string>(), pages: new Set<string>() };
    for (const item of items) {
      const type = item.postType || 'post';
      if (!CONTENT_TYPES.has(type) || !/^\d{1,19}$/.test(item.postId)) continue;
      keys.push({ kind: type as RememberKind, wpId: item.postId });
      if (type === 'attachment' || SKIPPED_STATUSES[item.status]) continue;
      const title = plainTitle(item.title).text;
      wanted[type === 'page' ? 'pages' : 'posts'].add(this.slugFor(item, title, type === 'page' ? 64 : 100));
      if (type === 'post') for (const c of item.comments) if (/^\d{1,19}$/.test(c.id)) commentIds.push(c.id);
    }
    if (keys.length) {
      const rows = await tx
        .selectFrom('import_items')
        .select(['kind', 'wp_id', 'local_id', 'fingerprint', 'old_url', 'updated_at'])
        .where('project_id', '=', projectId)
        .where('site', '=', this.siteKey)
        .where('kind', 'in', [...new Set(keys.map((k) => k.kind))] as Array<'post'>)
        .where(sql<boolean>`wp_id = any(${keys.map((k) => k.wpId)}::text[])`)
        .execute();
      this.bringingNew = rows.length === 0;
      for (const k of keys) this.ahead.mappings.set(`${k.kind}:${k.wpId}`, null);
      for (const r of rows) this.ahead.mappings.set(`${r.kind}:${r.wp_id}`, { local_id: r.local_id, fingerprint: r.fingerprint, old_url: r.old_url, updated_at: r.updated_at });
    }
    if (commentIds.length) {
      for (const id of commentIds) this.ahead.comments.set(id, null);
      for (const [id, known] of await this.knownComments(tx, commentIds)) this.ahead.comments.set(id, known);
    }
    for (const table of ['posts', 'pages'] as const) {
      const slugs = [...wanted[table]];
      if (!slugs.length) continue;
      let q = tx.selectFrom(table).select(['id', 'slug']).where('project_id', '=', projectId).where(sql<boolean>`slug = any(${slugs}::text[])`);
      if (table === 'posts') q = q.where('deleted_at' as never, 'is', null);
      const taken = this.ahead.slugs[table];
      for (const slug of slugs) taken.set(slug, new Set());
      for (const r of await q.execute()) taken.get(r.slug)?.add(r.id);
    }
    // Conversions start now, on the pool's threads, while this thread writes the items one by one.
    if (this.setup.pool) {
      for (const item of items) {
        if (!isConverted(item)) continue;
        const type = item.postType || 'post';
        const mapped = this.ahead.mappings.get(`${type}:${item.postId}`);
        if (!mapped || mapped.fingerprint !== this.itemPrint(item)) this.convertAhead(item);
        else this.ahead.converted.delete(item); // started early (startConversions), but unchanged: not needed
        if (type === 'post' && item.comments.length) {
          const changed = item.comments.filter((c) => !(this.ahead.comments.get(c.id)?.fingerprint === commentPrint(c)));
          if (changed.length) this.commentsAhead(item);
          else this.ahead.convertedComments.delete(item);
        }
      }
    }
  }

  /**
   * Starts converting a batch's posts and comments on the pool before the batch is applied, while the
   * batch before it is still being written (server/import/run.ts reads one batch ahead), so the pool
   * never waits for the database. Only while the import is bringing new items (the last batch prepared
   * held none imported before): on a second import most items are unchanged and need no conversion,
   * which prepare() finds out first.
   */
  startConversions(items: WxrItem[]): void {
    if (!this.setup.pool || !this.bringingNew) return;
    for (const item of items) {
      if (!isConverted(item)) continue;
      this.startedEarly.add(item);
      this.convertAhead(item);
      if (item.postType !== 'page' && item.comments.length) this.commentsAhead(item);
    }
  }

  /** Writes what the batch held back: import_items rows, new posts' authors and tags, new comments. */
  async flushWrites(tx: Tx): Promise<void> {
    const { writes } = this;
    // Posts first: comments, authors and tags refer to them. Their tags are given with them, so that the
    // database computes each one's search vector once (migration 0028), then the setting is cleared.
    const tagsGiven = writes.postTagNames.size > 0;
    if (tagsGiven) await sql`SELECT set_config('pb.post_tags_given', ${JSON.stringify(Object.fromEntries(writes.postTagNames))}, true)`.execute(tx);
    if (writes.posts.length) {
      const rows = writes.posts;
      writes.posts = [];
      // posts.id is typed as never written (the sequence gives it): these were taken from that sequence.
      await tx.insertInto('posts').values(rows as Array<Insertable<PostTable>>).execute();
    }
    if (writes.comments.length) {
      const pending = writes.comments;
      writes.comments = [];
      await this.insertComments(tx, pending);
    }
    if (writes.postAuthors.length) {
      const rows = writes.postAuthors;
      writes.postAuthors = [];
      await tx.insertInto('post_authors').values(rows).execute();
    }
    if (writes.postTags.length) {
      const rows = writes.postTags;
      writes.postTags = [];
      await tx.insertInto('post_tags').values(rows).execute();
    }
    if (tagsGiven) {
      writes.postTagNames.clear();
      await sql`SELECT set_config('pb.post_tags_given', '', true)`.execute(tx);
    }
    const rows = [...writes.remember.values()];
    writes.remember.clear();
    for (let from = 0; from < rows.length; from += 2000) {
      await tx
        .insertInto('import_items')
        .values(rows.slice(from, from + 2000).map((r) => ({ project_id: this.setup.projectId, site: this.siteKey, ...r, created_at: this.setup.now, updated_at: this.setup.now })))
        .onConflict((oc) =>
          oc.columns(['project_id', 'site', 'kind', 'wp_id']).doUpdateSet((eb) => ({
            local_id: eb.ref('excluded.local_id'),
            fingerprint: eb.ref('excluded.fingerprint'),
            old_url: eb.ref('excluded.old_url'),
            old_path: eb.ref('excluded.old_path'),
            old_slug: eb.ref('excluded.old_slug'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
    this.forgetBatchState();
  }

  // ------------------------------------------------------------------------------------- people

  async author(tx: Tx, author: WxrAuthor): Promise<number | undefined> {
    const login = author.login.trim();
    if (!login) return undefined;
    if (this.people.has(login)) return this.people.get(login);
    const name = (decodeEntities(author.displayName) || [author.firstName, author.lastName].filter(Boolean).join(' ') || login).trim().slice(0, 100) || login.slice(0, 100);
    const rawEmail = author.email.trim().toLowerCase();
    const emailOk = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(rawEmail) && rawEmail.length <= 254;
    const email = emailOk ? rawEmail : `${slugify(login, 40) || 'author'}@wordpress-import.invalid`;
    const mapped = await this.mapping(tx, 'person', login);
    let personId: number | undefined;
    let created = false;
    if (mapped?.local_id) {
      const still = await tx.selectFrom('people').select('id').where('id', '=', mapped.local_id).executeTakeFirst();
      personId = still?.id;
    }
    if (!personId) {
      const existing = await tx.selectFrom('people').select(['id', 'handle']).where('email', '=', email).executeTakeFirst();
      if (existing) personId = existing.id;
      else {
        const handle = await suggestHandle(tx as unknown as Db, name);
        const row = await tx
          .insertInto('people')
          .values({ email, display_name: name, handle, password_hash: null, created_at: this.setup.now, updated_at: this.setup.now })
          .returning(['id'])
          .executeTakeFirstOrThrow();
        personId = row.id;
        created = true;
      }
    }
    await tx
      .insertInto('memberships')
      .values({ project_id: this.setup.projectId, person_id: personId, role: 'author' })
      .onConflict((oc) => oc.columns(['project_id', 'person_id']).doNothing())
      .execute();
    this.remember('person', login, personId, '');
    this.people.set(login, personId);
    const handle = (await tx.selectFrom('people').select('handle').where('id', '=', personId).executeTakeFirstOrThrow()).handle;
    if (!mapped) {
      this.report.people.push({ login, name, email, handle, created });
      this.report.counts.people[created ? 'created' : 'unchanged']++;
      if (!emailOk) this.note({ kind: 'people', wpId: login, title: name, action: 'changed', reason: 'The export gives no valid email address; a placeholder address was used. Give them a real one at /admin/people.' });
    } else this.report.counts.people.unchanged++;
    return personId;
  }

  private async personForLogin(tx: Tx, login: string): Promise<number | undefined> {
    if (!login) return undefined;
    const known = this.people.get(login);
    if (known) return known;
    const mapped = await this.mapping(tx, 'person', login);
    if (mapped?.local_id) {
      this.people.set(login, mapped.local_id);
      return mapped.local_id;
    }
    // WXR 1.0 has no <wp:author> list: the byline's login is all there is.
    return this.author(tx, { type: 'author', id: '', login, email: '', displayName: login, firstName: '', lastName: '' });
  }

  // -------------------------------------------------------------------------------------- items

  async item(tx: Tx, item: WxrItem): Promise<void> {
    const type = item.postType || 'post';
    const title = plainTitle(item.title).text;
    if (!CONTENT_TYPES.has(type)) {
      this.otherTypes.set(type, (this.otherTypes.get(type) ?? 0) + 1);
      this.report.counts.other.skipped++;
      if ((this.otherTypes.get(type) ?? 0) <= 3) this.note({ kind: 'other', wpId: item.postId, title, action: 'skipped', reason: `A “${type}” item (menus, revisions, custom types and settings are not content here).` });
      return;
    }
    if (type === 'attachment') {
      const info = attachmentInfoOf(item);
      if (info) this.attachments.set(item.postId, info);
      const mapped = await this.mapping(tx, 'attachment', item.postId);
      this.remember('attachment', item.postId, null, '', { oldUrl: item.attachmentUrl || item.link, oldPath: undefined });
      this.report.counts.attachments[mapped ? 'unchanged' : 'created']++;
      return;
    }
    const kind = type === 'page' ? 'pages' : 'posts';
    const skipReason = SKIPPED_STATUSES[item.status];
    if (skipReason) {
      this.report.counts[kind].skipped++;
      this.note({ kind, wpId: item.postId, title, action: 'skipped', reason: `Not imported: ${skipReason}.` });
      return;
    }
    if (!/^\d{1,19}$/.test(item.postId)) {
      this.report.counts[kind].skipped++;
      this.note({ kind, wpId: item.postId, title, action: 'skipped', reason: 'It has no WordPress id, so it could not be recognised again on a second import.' });
      return;
    }
    if (type === 'page') await this.page(tx, item, title);
    else await this.post(tx, item, title);
  }

  private async attachmentUrl(tx: Tx, id: string): Promise<string | undefined> {
    const known = this.attachments.get(id) ?? this.attachmentIndex?.get(id);
    if (known) return known.url;
    const mapped = await this.mapping(tx, 'attachment', id);
    return mapped?.old_url ?? undefined;
  }

  /** The image attachments of a post, in WordPress's gallery order (menu_order, then id). */
  private childImages(parent: string): Array<{ id: string; url: string }> {
    if (!this.imagesByParent) {
      this.imagesByParent = new Map();
      for (const source of [this.attachmentIndex ?? new Map<string, AttachmentInfo>(), this.attachments]) {
        for (const [id, info] of source) {
          if (!info.parent || info.parent === '0' || !IMAGE_URL.test(info.url)) continue;
          const list = this.imagesByParent.get(info.parent) ?? [];
          if (!list.some((known) => known.id === id)) list.push({ id, url: info.url, order: info.order });
          this.imagesByParent.set(info.parent, list);
        }
      }
      for (const list of this.imagesByParent.values()) list.sort((a, b) => a.order - b.order || Number(a.id) - Number(b.id));
    }
    return this.imagesByParent.get(parent) ?? [];
  }

  /** The import print of a post or page (what decides "unchanged" on a second import). */
  private itemPrint(item: WxrItem): string {
    const footnotes = footnotesOf(item); // in the print only when present: other items' prints stay as they were
    if (item.postType === 'page') return fingerprint([item.title, item.content, item.postName, ...(footnotes ? [footnotes] : [])]);
    return fingerprint([item.title, item.content, item.excerpt, item.status, item.postName, item.postDateGmt, item.postDate, item.terms, item.isSticky, item.creator, item.postPassword, item.commentStatus, ...(footnotes ? [footnotes] : [])]);
  }

  /** Starts converting a post or page on the pool (unless it needs the transaction: galleries). */
  private convertAhead(item: WxrItem): Promise<ConvertedPost> | undefined {
    const pool = this.setup.pool;
    const footnotes = footnotesOf(item);
    if (!pool || needsTransactionToConvert(item, footnotes)) return undefined;
    let job = this.ahead.converted.get(item);
    if (!job) {
      job = pool.convert({ kind: 'post', html: item.content, postId: item.postId, footnotes });
      // Awaited (and reported) when the item is applied; an item never applied is not an error. A failed
      // conversion is forgotten: when its worker died of another item's post (every task on it fails),
      // the batch's item-by-item pass converts this one again on a fresh worker instead of skipping it.
      const started = job;
      job.catch(() => {
        if (this.ahead.converted.get(item) === started) this.ahead.converted.delete(item);
      });
      this.ahead.converted.set(item, job);
    }
    return job;
  }

  /** Starts converting all of a post's comments on the pool, in one task. */
  private commentsAhead(item: WxrItem): Promise<ConvertedComments> | undefined {
    const pool = this.setup.pool;
    if (!pool) return undefined;
    let job = this.ahead.convertedComments.get(item);
    if (!job) {
      job = pool.convert({ kind: 'comments', contents: item.comments.map((c) => c.content) });
      const started = job;
      job.catch(() => {
        if (this.ahead.convertedComments.get(item) === started) this.ahead.convertedComments.delete(item); // as in convertAhead
      });
      this.ahead.convertedComments.set(item, job);
    }
    return job;
  }

  private async convert(tx: Tx, item: WxrItem, kind: 'posts' | 'pages', title: string): Promise<{ body: string; teaser?: string; html: string }> {
    const pooled = this.convertAhead(item);
    this.ahead.converted.delete(item);
    if (pooled) {
      const started = performance.now();
      const { markdown, notes, html } = await pooled;
      importTimings.postWait += performance.now() - started;
      return this.afterConvert(tx, item, kind, title, markdown, notes, html);
    }
    const hasGallery = /\[gallery\b/i.test(item.content);
    if (hasGallery && !this.attachmentIndex && this.setup.attachmentIndex) this.attachmentIndex = await this.setup.attachmentIndex();
    // Without the whole export's index, attachments seen since the last gallery count too.
    if (hasGallery && !this.attachmentIndex) this.imagesByParent = undefined;
    const galleryIds = [...item.content.matchAll(/\[gallery[^\]]*\b(?:ids|include)\s*=\s*["']?([\d,\s]+)/gi)].flatMap((m) => (m[1] ?? '').split(',').map((s) => s.trim()));
    const urls = new Map<string, string>();
    for (const id of galleryIds) {
      const url = id ? await this.attachmentUrl(tx, id) : undefined;
      if (url) urls.set(id, url);
    }
    const footnotes = footnotesOf(item);
    checkConvertibleHere(item.content, 'its content'); // on this thread: a heap-sized post would end the server
    const { markdown, notes } = timed('postConvert', () =>
      convertPostContent(item.content, { attachmentUrl: (id) => urls.get(id), postId: item.postId, childImages: (parent) => this.childImages(parent), footnotes }),
    );
    return this.afterConvert(tx, item, kind, title, markdown, notes, undefined);
  }

  /** The notes of a conversion, the media rewrite, and the rendered HTML (already made by the pool, unless the media rewrite changed the Markdown). */
  private async afterConvert(tx: Tx, item: WxrItem, kind: 'posts' | 'pages', title: string, markdown: string, notes: ConvertNotes, html: string | undefined): Promise<{ body: string; teaser?: string; html: string }> {
    let body = markdown;
    if (plainTitle(item.title).hadMarkup) this.note({ kind, wpId: item.postId, title, action: 'changed', reason: `Its title held HTML (${item.title.replace(/\s+/g, ' ').slice(0, 200)}); here it is plain text.` });
    if (notes.unknownShortcodes.length) this.note({ kind, wpId: item.postId, title, action: 'changed', reason: `Shortcodes not understood here, kept as their text: [${notes.unknownShortcodes.join('], [')}].` });
    if (notes.keptAsHtml) this.note({ kind, wpId: item.postId, title, action: 'changed', reason: 'Its HTML could not be converted to Markdown; it was kept as HTML (shown sanitized).' });
    if (notes.emptyGalleries?.length) this.note({ kind, wpId: item.postId, title, action: 'changed', reason: `A gallery of the images attached to the post, but the export holds no image attached to it (post ${[...new Set(notes.emptyGalleries)].join(', ')}).` });
    if (notes.unresolvedGalleryIds.length) this.note({ kind, wpId: item.postId, title, action: 'changed', reason: `Gallery images not found in the export (attachment ids ${notes.unresolvedGalleryIds.join(', ')}).` });
    if (this.setup.media) {
      const result = await this.setup.media.rewrite(tx, body, this.site);
      body = result.markdown;
      this.report.counts.images.created += result.stored;
      for (const missing of result.missing) this.note({ kind: 'images', wpId: item.postId, title, action: 'missing', reason: `${missing.url}: ${missing.reason}. The reference to the old address was kept.` });
    }
    const rendered = html !== undefined && body === markdown ? html : timed('postRender', () => renderPostHtml(body));
    return { body, teaser: notes.teaser, html: rendered };
  }

  private uniqueSlug = async (tx: Tx, table: 'posts' | 'pages', base: string, wpId: string, exceptId: number | undefined, max: number): Promise<string> => {
    const taken = async (slug: string) => {
      if (table === 'posts') {
        const pending = this.writes.postSlugs.get(slug);
        if (pending !== undefined && pending !== exceptId) return true;
      }
      const holders = this.ahead.slugs[table].get(slug);
      if (holders) return [...holders].some((id) => id !== exceptId);
      let q = tx.selectFrom(table).select('id').where('project_id', '=', this.setup.projectId).where('slug', '=', slug);
      if (table === 'posts') q = q.where('deleted_at' as never, 'is', null);
      if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
      return (await q.executeTakeFirst()) !== undefined;
    };
    if (!(await taken(base))) return base;
    const withId = `${base.slice(0, max - wpId.length - 4).replace(/-+$/, '')}-wp-${wpId}`;
    if (!(await taken(withId))) return withId;
    for (let n = 2; ; n++) {
      const candidate = `${withId.slice(0, max - 6)}-${n}`;
      if (!(await taken(candidate))) return candidate;
    }
  };

  /** Keeps the slugs read ahead true: `id` now holds `slug` (and no other of them). */
  private slugTaken(table: 'posts' | 'pages', slug: string, id: number): void {
    for (const [known, holders] of this.ahead.slugs[table]) if (known !== slug) holders.delete(id);
    this.ahead.slugs[table].get(slug)?.add(id);
  }

  /** The id the next new post will have, from the posts' sequence (taken 100 at a time). */
  private async nextPostId(tx: Tx): Promise<number> {
    if (!this.postIds.length) {
      const rows = await sql<{ id: string }>`SELECT nextval(pg_get_serial_sequence('posts', 'id')) AS id FROM generate_series(1, 100)`.execute(tx);
      this.postIds = rows.rows.map((r) => Number(r.id));
    }
    return this.postIds.shift() as number;
  }

  private slugFor(item: WxrItem, title: string, max: number): string {
    const pattern = new RegExp(`^[a-z0-9](?:[a-z0-9-]{0,${max - 2}}[a-z0-9])?$`);
    for (const candidate of [slugify(safeDecodeUri(item.postName), max), slugify(title, max)]) {
      if (candidate && pattern.test(candidate)) return candidate;
    }
    return `${item.postType === 'page' ? 'page' : 'post'}-${item.postId}`;
  }

  private async post(tx: Tx, item: WxrItem, title: string): Promise<void> {
    const { projectId, now } = this.setup;
    const site = this.site as WxrSite;
    let mapped = await this.mapping(tx, 'post', item.postId);
    // The same post twice in one batch (a broken export): the first one's row is written before it is read.
    if (mapped?.local_id && this.writes.postIds.has(mapped.local_id)) {
      await this.flushWrites(tx);
      mapped = await this.mapping(tx, 'post', item.postId);
    }
    const print = this.itemPrint(item);
    const existing = mapped?.local_id
      ? await tx.selectFrom('posts').selectAll().where('id', '=', mapped.local_id).where('deleted_at', 'is', null).executeTakeFirst()
      : undefined;
    let postId: number;
    if (existing && mapped && mapped.fingerprint === print) {
      this.report.counts.posts.unchanged++;
      postId = existing.id;
    } else if (existing && mapped && existing.updated_at.getTime() > mapped.updated_at.getTime() + 1000) {
      this.report.counts.posts.skipped++;
      this.note({ kind: 'posts', wpId: item.postId, title, action: 'skipped', reason: 'Changed in WordPress since the last import, but also edited here since: the version here was kept.' });
      postId = existing.id;
    } else {
      const displayTitle = (title || 'Untitled').slice(0, 300);
      if (!title) this.note({ kind: 'posts', wpId: item.postId, title: displayTitle, action: 'changed', reason: 'It had no title; it is called “Untitled”.' });
      else if (title.length > 300) this.note({ kind: 'posts', wpId: item.postId, title: displayTitle, action: 'changed', reason: 'Its title was cut to 300 characters.' });
      const wanted = this.slugFor(item, title, 100);
      const slug = await this.uniqueSlug(tx, 'posts', wanted, item.postId, existing?.id, 100);
      if (slug !== wanted) this.note({ kind: 'posts', wpId: item.postId, title: displayTitle, action: 'changed', reason: `Its slug “${wanted}” was taken here, so it is “${slug}”.` });
      const date = parseWpDate(item.postDateGmt) ?? parseWpDate(item.postDate) ?? (item.pubDate && !Number.isNaN(Date.parse(item.pubDate)) ? new Date(item.pubDate) : undefined) ?? now;
      let status: PostStatus;
      let notPublic: string | undefined;
      if (item.postPassword) {
        status = 'draft';
        notPublic = 'It was password-protected in WordPress; it is imported as a draft (not public).';
      } else if (item.status === 'publish') status = 'published';
      else if (item.status === 'future') status = 'scheduled';
      else if (item.status === 'pending') status = 'review';
      else if (item.status === 'private') {
        status = 'draft';
        notPublic = 'It was private in WordPress; it is imported as a draft (not public).';
      } else status = 'draft';
      const isPublicKind = status === 'published' || status === 'scheduled';
      const { body, teaser, html } = await this.convert(tx, item, 'posts', displayTitle);
      const summary = (plain(item.excerpt) || teaser || '').slice(0, 1000);
      const authorId = await this.personForLogin(tx, item.creator);
      const firstPublishedAt = isPublicKind ? (existing?.first_published_at ?? date) : (existing?.first_published_at ?? null);
      // The atom id is written with the row (minted at first publication): a new post's id is taken from
      // the sequence ahead of its INSERT, rather than an UPDATE after it.
      const id = existing?.id ?? (await this.nextPostId(tx));
      const fields = {
        slug,
        title: displayTitle,
        summary,
        body_md: body,
        body_html: html,
        rendered_version: RENDERER_VERSION,
        status,
        published_at: isPublicKind ? date : null,
        first_published_at: firstPublishedAt,
        atom_id: existing?.atom_id ?? (firstPublishedAt ? mintAtomId(this.setup.tagAuthority, firstPublishedAt, id) : null),
        comments_open: item.commentStatus !== 'closed',
        pinned_at: item.isSticky === '1' ? (existing?.pinned_at ?? date) : null,
        announced_at: existing?.announced_at ?? now,
        updated_at: now,
      };
      const isNew = !existing;
      if (existing) {
        await tx.updateTable('posts').set({ ...fields, version: existing.version + 1 }).where('id', '=', existing.id).execute();
        this.report.counts.posts.updated++;
        this.note({ kind: 'posts', wpId: item.postId, title: displayTitle, action: 'updated', reason: 'Changed in WordPress since the last import.' });
      } else {
        // Inserted with the batch's other new posts at its end (flushWrites): one statement, not one each.
        this.writes.posts.push({ id, project_id: projectId, ...fields, created_by: authorId ?? null, created_at: date });
        this.writes.postIds.add(id);
        this.writes.postSlugs.set(slug, id);
        this.report.counts.posts.created++;
      }
      this.slugTaken('posts', slug, id);
      if (notPublic) this.note({ kind: 'posts', wpId: item.postId, title: displayTitle, action: 'not-public', reason: notPublic });
      // A new post has no authors or tags to replace yet: their rows wait for the batch's end (one INSERT
      // each for the whole batch, no DELETEs).
      if (isNew) {
        if (authorId) this.writes.postAuthors.push({ post_id: id, person_id: authorId, position: 0 });
      } else if (authorId) await replacePostAuthors(tx, id, [authorId]);
      await this.setTags(tx, id, this.tagsOf(item.terms), isNew);
      postId = id;
      const oldUrl = item.link || item.guid;
      this.remember('post', item.postId, postId, print, { oldUrl, oldPath: oldUrl ? oldPathOf(oldUrl, site) : undefined, oldSlug: slugify(safeDecodeUri(item.postName), 100) || undefined });
    }
    importTimings.posts++;
    importTimings.comments += item.comments.length;
    await this.comments(tx, item, postId, title);
  }

  /** The post's tags (project tags created as needed; ids cached for the run). */
  private async setTags(tx: Tx, postId: number, tags: Array<{ slug: string; name: string }>, isNew: boolean): Promise<void> {
    if (!isNew) await tx.deleteFrom('post_tags').where('post_id', '=', postId).execute();
    if (tags.length === 0) return;
    const missing = tags.filter((t) => !this.tagIds.has(t.slug));
    if (missing.length) {
      await tx
        .insertInto('tags')
        .values(missing.map((t) => ({ project_id: this.setup.projectId, slug: t.slug, name: t.name })))
        .onConflict((oc) => oc.columns(['project_id', 'slug']).doNothing())
        .execute();
      const rows = await tx.selectFrom('tags').select(['id', 'slug', 'name']).where('project_id', '=', this.setup.projectId).where('slug', 'in', missing.map((t) => t.slug)).execute();
      for (const r of rows) {
        this.tagIds.set(r.slug, r.id);
        this.tagNames.set(r.id, r.name);
      }
    }
    const ids = [...new Set(tags.map((t) => this.tagIds.get(t.slug)).filter((id): id is number => id !== undefined))];
    if (!ids.length) return;
    if (isNew) {
      this.writes.postTags.push(...ids.map((tag_id) => ({ post_id: postId, tag_id })));
      // As post_search_vector joins them: the tags' stored names in code point order (UTF-8 bytes, COLLATE "C").
      const names = ids.map((id) => this.tagNames.get(id) ?? '').sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      this.writes.postTagNames.set(postId, names.join(' '));
    } else await tx.insertInto('post_tags').values(ids.map((tag_id) => ({ post_id: postId, tag_id }))).execute();
  }

  private tagsOf(terms: WxrTerm[]): Array<{ slug: string; name: string }> {
    const tags = new Map<string, string>();
    for (const term of terms) {
      if (term.domain !== 'category' && term.domain !== 'post_tag') continue;
      const name = decodeEntities(term.name).replace(/\s+/g, ' ').trim().slice(0, 60);
      const slug = slugify(safeDecodeUri(term.nicename), 64) || slugify(name, 64);
      if (!slug || slug === 'uncategorized' || !name) continue;
      if (!tags.has(slug)) tags.set(slug, name);
    }
    return [...tags].map(([slug, name]) => ({ slug, name }));
  }

  private async page(tx: Tx, item: WxrItem, title: string): Promise<void> {
    const { projectId, now } = this.setup;
    const site = this.site as WxrSite;
    if (item.status !== 'publish' || item.postPassword) {
      this.report.counts.pages.skipped++;
      this.note({ kind: 'pages', wpId: item.postId, title, action: 'not-public', reason: `Pages here are always public; this page was ${item.postPassword ? 'password-protected' : `“${item.status || 'unknown'}”`} in WordPress, so it was not imported.` });
      return;
    }
    const mapped = await this.mapping(tx, 'page', item.postId);
    const print = this.itemPrint(item);
    const existing = mapped?.local_id ? await tx.selectFrom('pages').selectAll().where('id', '=', mapped.local_id).executeTakeFirst() : undefined;
    if (existing && mapped?.fingerprint === print) {
      this.report.counts.pages.unchanged++;
      return;
    }
    const displayTitle = (title || 'Untitled').slice(0, 300);
    const wanted = this.slugFor(item, title, 64);
    const slug = await this.uniqueSlug(tx, 'pages', wanted, item.postId, existing?.id, 64);
    if (slug !== wanted) this.note({ kind: 'pages', wpId: item.postId, title: displayTitle, action: 'changed', reason: `Its slug “${wanted}” was taken here, so it is “${slug}”.` });
    const { body, html } = await this.convert(tx, item, 'pages', displayTitle);
    const fields = { slug, title: displayTitle, body_md: body, body_html: html, rendered_version: RENDERER_VERSION, updated_at: now };
    let pageId: number;
    if (existing) {
      await tx.updateTable('pages').set({ ...fields, version: existing.version + 1 }).where('id', '=', existing.id).execute();
      pageId = existing.id;
      this.report.counts.pages.updated++;
      this.note({ kind: 'pages', wpId: item.postId, title: displayTitle, action: 'updated', reason: 'Changed in WordPress since the last import.' });
    } else {
      pageId = (await tx.insertInto('pages').values({ project_id: projectId, ...fields, created_at: now }).returning('id').executeTakeFirstOrThrow()).id;
      this.report.counts.pages.created++;
    }
    this.slugTaken('pages', slug, pageId);
    const oldUrl = item.link || item.guid;
    this.remember('page', item.postId, pageId, print, { oldUrl, oldPath: oldUrl ? oldPathOf(oldUrl, site) : undefined, oldSlug: slugify(safeDecodeUri(item.postName), 64) || undefined });
  }

  // ----------------------------------------------------------------------------------- comments

  private async comments(tx: Tx, item: WxrItem, postId: number, title: string): Promise<void> {
    // Parents before children, whatever order the export lists them in.
    const byId = new Map(item.comments.map((c) => [c.id, c]));
    const ordered: WxrComment[] = [];
    const placed = new Set<string>();
    const place = (c: WxrComment, depth = 0) => {
      if (placed.has(c.id) || depth > 1000) return;
      const parent = byId.get(c.parent);
      if (parent && parent !== c) place(parent, depth + 1);
      placed.add(c.id);
      ordered.push(c);
    };
    for (const c of item.comments) place(c);
    const local = new Map<string, { id: number; depth: number; parentId: number | null }>();
    // What earlier imports made of these comments: read ahead for the whole batch (prepare), else one query.
    const ids = ordered.map((c) => c.id).filter((id) => /^\d{1,19}$/.test(id));
    // The same comment id under an earlier post of this batch (a broken export): its writes go first. So
    // do a new post's own when it has pingbacks (their links refer to the post's row at once).
    const hasPings = item.comments.some((c) => c.type === 'pingback' || c.type === 'trackback');
    if (ids.some((id) => this.writes.commentIds.has(id)) || (hasPings && this.writes.postIds.has(postId))) await this.flushWrites(tx);
    const missing = ids.filter((id) => !this.ahead.comments.has(id));
    const fetched = missing.length ? await this.knownComments(tx, missing) : new Map<string, KnownComment>();
    const known = { get: (id: string): KnownComment | undefined => this.ahead.comments.get(id) ?? fetched.get(id) };
    for (const id of ids) this.writes.commentIds.add(id);
    // Converted on the pool (started by prepare when any of them changed), else here one by one.
    const pooled = this.ahead.convertedComments.get(item);
    this.ahead.convertedComments.delete(item);
    let converted: Map<WxrComment, { src: string; html: string }> | undefined;
    if (pooled) {
      const started = performance.now();
      const results = await pooled;
      importTimings.commentWait += performance.now() - started;
      converted = new Map(item.comments.map((c, i) => [c, results[i]!]));
    }
    const waveOf = new Map<string, number>();
    const waves: PendingComments['waves'] = [];
    for (const c of ordered) {
      if (!/^\d{1,19}$/.test(c.id)) {
        this.report.counts.comments.skipped++;
        this.note({ kind: 'comments', wpId: c.id, title, action: 'skipped', reason: 'A comment without a WordPress id.' });
        continue;
      }
      if (c.type === 'pingback' || c.type === 'trackback') {
        await this.ping(tx, c, postId, title);
        continue;
      }
      const status: CommentStatus = c.approved === '1' ? 'approved' : c.approved === '0' ? 'pending' : c.approved === 'spam' ? 'spam' : c.approved === 'trash' || c.approved === 'post-trashed' ? 'deleted' : 'pending';
      const print = commentPrint(c);
      const mapped = known.get(c.id);
      if (mapped?.local_id) {
        local.set(c.id, { id: mapped.local_id, depth: mapped.depth ?? 1, parentId: mapped.parent_id });
        if (mapped.fingerprint === print) {
          this.report.counts.comments.unchanged++;
          continue;
        }
      }
      const at = parseWpDate(c.dateGmt) ?? parseWpDate(c.date) ?? this.setup.now;
      const body = converted?.get(c) ?? timed('commentConvert', () => (checkConvertibleHere(c.content, `comment ${c.id}`), convertComment(c.content)));
      const email = c.authorEmail.trim().toLowerCase().slice(0, 254);
      const url = /^https?:\/\/\S{1,1990}$/i.test(c.authorUrl.trim()) ? c.authorUrl.trim() : null;
      const fields: NewCommentFields = {
        status,
        author_name: (decodeEntities(c.author).replace(/\s+/g, ' ').trim() || 'Anonymous').slice(0, 100),
        author_email: /^[^\s@]+@[^\s@]+$/.test(email) ? email : '',
        author_url: url,
        body_src: body.src,
        body_html: body.html,
        rendered_version: RENDERER_VERSION,
        approved_at: status === 'approved' ? at : null,
        decided_at: status === 'pending' ? null : at,
        updated_at: this.setup.now,
      };
      let commentId: number;
      const existing = mapped?.local_id ? local.get(c.id) : undefined;
      if (existing) {
        await tx.updateTable('comments').set(fields).where('id', '=', existing.id).execute();
        commentId = existing.id;
        this.report.counts.comments.updated++;
        this.note({ kind: 'comments', wpId: c.id, title: `${fields.author_name} on “${title}”`, action: 'updated', reason: 'Changed in WordPress since the last import.' });
      } else {
        // New comments are inserted together, one multi-row INSERT per wave: a wave holds the comments
        // whose parent is already stored (or absent), so a thread of depth d costs d statements, not one
        // per comment.
        const parentWave = c.parent && c.parent !== '0' ? waveOf.get(c.parent) : undefined;
        const wave = parentWave === undefined ? 0 : parentWave + 1;
        waveOf.set(c.id, wave);
        (waves[wave] ??= []).push({ c, fields, at, print });
        continue;
      }
      this.remember('comment', c.id, commentId, print);
    }
    // New comments wait for the batch's end, where every post's are inserted together (insertComments).
    if (waves.length) this.writes.comments.push({ postId, title, local, waves });
  }

  /** What earlier imports made of these comments (and whether the comment is still here). */
  private async knownComments(tx: Tx, ids: string[]): Promise<Map<string, KnownComment>> {
    const known = new Map<string, KnownComment>();
    const rows = await tx
      .selectFrom('import_items')
      .leftJoin('comments', 'comments.id', 'import_items.local_id')
      .select(['import_items.wp_id', 'import_items.local_id', 'import_items.fingerprint', 'comments.depth', 'comments.parent_id', 'comments.id as comment_id'])
      .where('import_items.project_id', '=', this.setup.projectId)
      .where('import_items.site', '=', this.siteKey)
      .where('import_items.kind', '=', 'comment')
      .where(sql<boolean>`import_items.wp_id = any(${ids}::text[])`)
      .execute();
    for (const r of rows) known.set(r.wp_id, { local_id: r.comment_id === null ? null : r.local_id, fingerprint: r.fingerprint, depth: r.depth, parent_id: r.parent_id });
    return known;
  }

  /**
   * Inserts the new comments of several posts: one multi-row INSERT … RETURNING per wave (and 500 rows),
   * where wave k holds every post's comments whose parent was stored in wave k − 1 (or that have none).
   * A thread of depth d costs d statements for the whole batch, not one per comment or per post.
   */
  private async insertComments(tx: Tx, posts: PendingComments[]): Promise<void> {
    const depth = Math.max(...posts.map((p) => p.waves.length));
    for (let w = 0; w < depth; w++) {
      const wave = posts.flatMap((p) => (p.waves[w] ?? []).map((entry) => ({ p, ...entry })));
      for (let from = 0; from < wave.length; from += 500) {
        const rows = wave.slice(from, from + 500).map((entry) => {
          const { c, p } = entry;
          const parent = c.parent && c.parent !== '0' ? p.local.get(c.parent) : undefined;
          // Threads here are at most 3 deep: deeper replies hang under the third level.
          const parentId = parent ? (parent.depth >= 3 ? parent.parentId : parent.id) : null;
          const depth = parent ? Math.min(parent.depth + 1, 3) : 1;
          return { ...entry, parent, parentId, depth };
        });
        // PostgreSQL returns the ids of a multi-row INSERT … RETURNING in the order of its VALUES.
        const ids = await tx
          .insertInto('comments')
          .values(rows.map((r) => ({ post_id: r.p.postId, parent_id: r.parentId, depth: r.depth, ...r.fields, created_at: r.at })))
          .returning('id')
          .execute();
        for (const [i, r] of rows.entries()) {
          const commentId = ids[i]!.id;
          r.p.local.set(r.c.id, { id: commentId, depth: r.depth, parentId: r.parentId });
          this.report.counts.comments.created++;
          const who = `${r.fields.author_name} on “${r.p.title}”`;
          if (r.parent && r.parent.depth >= 3) this.note({ kind: 'comments', wpId: r.c.id, title: who, action: 'changed', reason: 'A reply nested deeper than 3 levels: it is shown under the third level.' });
          if (r.c.parent && r.c.parent !== '0' && !r.parent) this.note({ kind: 'comments', wpId: r.c.id, title: who, action: 'changed', reason: `Its parent comment (${r.c.parent}) is not in the export: it starts its own thread.` });
          this.remember('comment', r.c.id, commentId, r.print);
        }
      }
    }
  }

  private async ping(tx: Tx, c: WxrComment, postId: number, title: string): Promise<void> {
    const mapped = await this.mapping(tx, 'ping', c.id);
    if (mapped) {
      this.report.counts.pings.unchanged++;
      return;
    }
    const url = c.authorUrl.trim();
    if (c.approved !== '1' || !/^https?:\/\/\S{1,1990}$/i.test(url)) {
      this.report.counts.pings.skipped++;
      this.note({ kind: 'pings', wpId: c.id, title: `${c.type} on “${title}”`, action: 'skipped', reason: c.approved !== '1' ? `A ${c.type} that was not approved in WordPress.` : `A ${c.type} without a web address.` });
      this.remember('ping', c.id, null, '');
      return;
    }
    const linkTitle = (decodeEntities(c.author).replace(/\s+/g, ' ').trim() || url).slice(0, 300);
    const row = await tx
      .insertInto('post_links')
      .values({ post_id: postId, url, title: linkTitle, note: `A ${c.type} received by the WordPress site.`, added_by: null, created_at: parseWpDate(c.dateGmt) ?? this.setup.now })
      .onConflict((oc) => oc.columns(['post_id', 'url']).doNothing())
      .returning('id')
      .executeTakeFirst();
    this.remember('ping', c.id, row?.id ?? null, '');
    this.report.counts.pings.created++;
  }

  /** Adds the counts of skipped non-content types as one note each (called at the end). */
  finish(): void {
    for (const [type, n] of this.otherTypes) {
      if (n > 3) this.note({ kind: 'other', wpId: '', title: `${n} “${type}” items`, action: 'skipped', reason: 'Not content here (menus, revisions, custom types and settings are not imported).' });
    }
    this.otherTypes.clear();
  }
}
