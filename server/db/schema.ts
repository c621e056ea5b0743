// Table types for Kysely: one interface per table, plus Selectable/Insertable/Updateable aliases.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Id = ColumnType<number, never, never>;
type Json<T> = ColumnType<T, string | undefined, string>;

export type ProjectStatus = 'active' | 'closed' | 'archived';
export type Role = 'owner' | 'editor' | 'author' | 'contributor' | 'moderator';
export type PostStatus = 'draft' | 'review' | 'scheduled' | 'published' | 'unpublished';
export type CommentStatus = 'pending' | 'approved' | 'rejected' | 'spam' | 'deleted';

export interface PersonTable {
  id: Id;
  handle: string;
  display_name: string;
  bio: Generated<string>;
  email: string;
  password_hash: string | null;
  is_site_admin: Generated<boolean>;
  disabled_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ProjectTable {
  id: Id;
  slug: string;
  title: string;
  summary: Generated<string>;
  description_md: Generated<string>;
  description_html: Generated<string>;
  rendered_version: Generated<number>;
  status: Generated<ProjectStatus>;
  time_zone: Generated<string>;
  settings: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface MembershipTable {
  project_id: number;
  person_id: number;
  role: Role;
  position: Generated<number>;
  created_at: Generated<Date>;
}

export interface PostTable {
  id: Id;
  project_id: number;
  slug: string;
  title: string;
  summary: Generated<string>;
  body_md: Generated<string>;
  body_html: Generated<string>;
  rendered_version: Generated<number>;
  status: Generated<PostStatus>;
  published_at: NullableTimestamp;
  first_published_at: NullableTimestamp;
  atom_id: string | null;
  comments_open: Generated<boolean>;
  /** Pinned to the top of its project's listing (migration 0011); several may be, newest pin first. */
  pinned_at: NullableTimestamp;
  /** An editor's note when sending a post in review back to its writer (migration 0011). */
  review_note: string | null;
  review_note_by: number | null;
  /** When its first becoming public was announced (emails, WebSub, webmentions; migration 0014). */
  announced_at: NullableTimestamp;
  version: Generated<number>;
  created_by: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: NullableTimestamp;
}

export interface PostAuthorTable {
  post_id: number;
  person_id: number;
  position: Generated<number>;
}

export interface TagTable {
  id: Id;
  project_id: number;
  slug: string;
  name: string;
}

export interface PostTagTable {
  post_id: number;
  tag_id: number;
}

export interface SlugRedirectTable {
  project_id: number;
  old_slug: string;
  post_id: number;
  created_at: Generated<Date>;
}

export interface PostRevisionTable {
  id: Id;
  post_id: number;
  person_id: number | null;
  title: string;
  summary: Generated<string>;
  body_md: string;
  created_at: Generated<Date>;
}

export interface PageTable {
  id: Id;
  project_id: number;
  slug: string;
  title: string;
  body_md: Generated<string>;
  body_html: Generated<string>;
  rendered_version: Generated<number>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CommentTable {
  id: Id;
  post_id: number;
  parent_id: number | null;
  depth: Generated<number>;
  status: Generated<CommentStatus>;
  author_name: string;
  author_email: string;
  person_id: number | null;
  is_team_reply: Generated<boolean>;
  body_src: string;
  body_html: string;
  rendered_version: Generated<number>;
  ip_hash: string | null;
  user_agent: string | null;
  hold_reasons: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Timestamp;
  updated_at: Generated<Date>;
  approved_at: NullableTimestamp;
  decided_at: NullableTimestamp;
  /** When a moderator last edited the text (migration 0011): the public page says "edited by the team". */
  edited_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The random id in the commenter's signed cookie when they wrote it (migration 0012); binds "known commenter". */
  commenter_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The commenter's web address, for comments imported from WordPress (migration 0018). */
  author_url: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set when the row is a webmention from another site (migration 0017): moderated here, shown under "Responses elsewhere". */
  webmention_id: ColumnType<number | null, number | null | undefined, number | null>;
}

export type WebmentionStatus = 'pending' | 'verified' | 'rejected' | 'removed';
export type WebmentionKind = 'reply' | 'like' | 'repost' | 'bookmark' | 'mention';

export interface WebmentionTable {
  id: Id;
  token: string;
  source: string;
  target: string;
  post_id: number;
  status: Generated<WebmentionStatus>;
  reason: string | null;
  kind: WebmentionKind | null;
  author_name: string | null;
  author_url: string | null;
  published_at: Date | null;
  received_at: Date;
  checked_at: Date | null;
}

export interface WebmentionSendTable {
  id: Id;
  post_id: number;
  target: string;
  still_linked: Generated<boolean>;
  outcome: 'sent' | 'no-endpoint' | 'failed';
  endpoint: string | null;
  http_status: number | null;
  message: Generated<string>;
  sent_at: Date;
}

export interface WebsubSubscriptionTable {
  id: Id;
  topic: string;
  callback: string;
  secret: string | null;
  lease_seconds: number;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

export interface ModerationLogTable {
  id: Id;
  comment_id: number | null;
  project_id: number;
  actor_id: number | null;
  action: string;
  reason: string | null;
  previous_status: string | null;
  new_status: string | null;
  previous_body: string | null;
  created_at: Generated<Date>;
}

export interface ImageTable {
  id: Id;
  sha256: string;
  content_type: string;
  byte_size: number;
  bytes: Buffer;
  project_id: number | null;
  uploaded_by: number | null;
  /** The description given at upload (migration 0011): '' = decorative on purpose; NULL = never asked. */
  alt_text: string | null;
  created_at: Generated<Date>;
}

export interface SessionTable {
  id: string;
  person_id: number;
  created_at: Generated<Date>;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface PasswordTokenTable {
  token_hash: string;
  person_id: number;
  created_by: number | null;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface LoginThrottleTable {
  key: string;
  failures: Generated<number>;
  last_failure_at: Timestamp;
  blocked_until: NullableTimestamp;
}

export interface ModeratorFeedTokenTable {
  token_hash: string;
  person_id: number;
  created_at: Generated<Date>;
  revoked_at: NullableTimestamp;
}

export interface SiteSettingTable {
  key: string;
  value: Json<unknown>;
  updated_at: Generated<Date>;
}

/** Listed posts (public now or at their scheduled time) per project; kept by triggers (migration 0008). */
export interface ProjectPostCountTable {
  project_id: number;
  n: number;
}

/** Listed posts per tag and project of the post; kept by triggers (migration 0008). */
export interface TagPostCountTable {
  tag_id: number;
  project_id: number;
  n: number;
}

/** A link to a conversation elsewhere that the team added to a post (migration 0015). */
export interface PostLinkTable {
  id: Id;
  post_id: number;
  url: string;
  title: string;
  note: string | null;
  added_by: number | null;
  created_at: Generated<Date>;
}

export type EmailFrequency = 'each' | 'daily' | 'weekly';
export type EmailSubscriptionKind = 'project' | 'tag' | 'person' | 'search';
/** queued → sending (claimed) → sent | failed (5xx) | skipped (not public, unsubscribed) | unknown (claimed by a worker that died). */
export type EmailDeliveryStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'skipped' | 'unknown';

/** Subscribers' addresses (migration 0016); lower-cased; suspended after repeated hard bounces. */
export interface EmailAddressTable {
  id: Id;
  address: string;
  hard_bounces: Generated<number>;
  last_bounce: string | null;
  suspended_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface EmailSubscriptionTable {
  id: Id;
  address_id: number;
  kind: EmailSubscriptionKind;
  project_id: number | null;
  tag_id: number | null;
  person_id: number | null;
  /** For kind 'search': the canonical search parameters { q, project?, tag?, author? }. */
  search: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
  target_key: string;
  frequency: EmailFrequency;
  confirmed_at: NullableTimestamp;
  created_at: Generated<Date>;
}

/** One row per (address, post): UNIQUE, so a post goes to an address at most once. */
export interface EmailDeliveryTable {
  id: Id;
  address_id: number;
  post_id: number;
  status: Generated<EmailDeliveryStatus>;
  claim_token: string | null;
  claimed_at: NullableTimestamp;
  sent_at: NullableTimestamp;
  last_error: string | null;
  created_at: Generated<Date>;
}

export interface EmailDigestTable {
  id: Id;
  address_id: number;
  frequency: 'daily' | 'weekly';
  period_start: Timestamp;
  period_end: Timestamp;
  status: Generated<EmailDeliveryStatus>;
  claim_token: string | null;
  claimed_at: NullableTimestamp;
  sent_at: NullableTimestamp;
  last_error: string | null;
  created_at: Generated<Date>;
}

export interface EmailDigestRunTable {
  id: Id;
  frequency: 'daily' | 'weekly';
  period_start: Timestamp;
  period_end: Timestamp;
  created_at: Generated<Date>;
}

export interface EmailAccountRefusalTable {
  id: Id;
  person_id: number;
  to_address: string;
  what: 'password-link' | 'invitation' | 'team-note';
  reason: string;
  refused_at: Timestamp;
}

/** A subscriber's confirmation email the mail server refused (migration 0027), for site admins. */
export interface EmailConfirmationRefusalTable {
  id: Id;
  address_id: number;
  description: string;
  reason: string;
  refused_at: Timestamp;
}

export interface EmailOutboxTable {
  id: Id;
  to_address: string;
  subject: string;
  headers: Json<Record<string, string>>;
  text_body: string;
  html_body: string | null;
  created_at: Generated<Date>;
}

export interface WebmentionThrottleTable {
  key: string;
  at: Timestamp;
}

export interface EmailThrottleTable {
  key: string;
  at: Timestamp;
}

/** A feed a project watches (migration 0019, server/listening). */
export interface ListenSourceTable {
  id: Id;
  project_id: number;
  url: string;
  title: Generated<string>;
  site_url: string | null;
  mode: Generated<'all' | 'matches'>;
  status: Generated<'active' | 'paused' | 'gone'>;
  etag: string | null;
  last_modified: string | null;
  last_fetched_at: NullableTimestamp;
  last_new_item_at: NullableTimestamp;
  last_error: string | null;
  last_error_at: NullableTimestamp;
  error_count: Generated<number>;
  next_poll_at: NullableTimestamp;
  created_by: number | null;
  created_at: Generated<Date>;
}

/** A key term a project listens for (websearch syntax, like the site search). */
export interface ListenTermTable {
  id: Id;
  project_id: number;
  query: string;
  created_by: number | null;
  created_at: Generated<Date>;
  /** True once every stored item has been matched against this query (listen_term_matches is complete). */
  matches_ready: Generated<boolean>;
  match_cursor: number | null;
  match_top: number | null;
}

/** A key term's match with a fetched item, with the item's inbox sort key (migration 0023). */
export interface ListenTermMatchTable {
  term_id: number;
  item_id: number;
  fetched_at: Timestamp;
  sort_at: Timestamp;
  unread: boolean;
  dismissed: boolean;
}

/** An item fetched from a watched feed: other people's text, sanitized, for the team only. */
export interface ListenItemTable {
  id: Id;
  project_id: number;
  source_id: number;
  guid: string;
  url: string | null;
  title: Generated<string>;
  author: Generated<string>;
  content_html: Generated<string>;
  content_text: Generated<string>;
  published_at: NullableTimestamp;
  fetched_at: Timestamp;
  read_at: NullableTimestamp;
  dismissed_at: NullableTimestamp;
  search_vector: ColumnType<string, never, never>;
}

export interface ListenFeedTokenTable {
  token_hash: string;
  person_id: number;
  project_id: number;
  created_at: Generated<Date>;
  revoked_at: NullableTimestamp;
}

/** A WebSub subscription of a watched feed (migration 0022). */
export interface ListenWebsubTable {
  id: Id;
  source_id: number | null;
  hub: string;
  topic: string;
  token: string;
  secret: string;
  state: 'subscribing' | 'subscribed' | 'unsubscribing' | 'failed';
  lease_seconds: number | null;
  expires_at: NullableTimestamp;
  requested_at: Date;
  verified_at: NullableTimestamp;
  last_push_at: NullableTimestamp;
  last_error: string | null;
  created_at: Generated<Date>;
}

/** A verified WebSub push waiting for the listen:websub-push job (migration 0027). */
export interface ListenWebsubPushTable {
  id: Id;
  source_id: number;
  websub_id: number;
  body: Buffer;
  body_sha256: string;
  content_type: string;
  received_at: Timestamp;
}

/** A member's choice of the daily email of new matches, per project (migration 0022). */
export interface ListenEmailPrefTable {
  person_id: number;
  project_id: number;
  sent_through: Date;
  created_at: Generated<Date>;
}

/** One daily email of new matches per member, project and day (migration 0022). */
export interface ListenEmailSendTable {
  id: Id;
  person_id: number;
  project_id: number;
  day: ColumnType<string, string, string>;
  period_end: Date;
  status: Generated<'queued' | 'sending' | 'sent' | 'skipped' | 'failed'>;
  items: Generated<number>;
  last_error: string | null;
  sent_at: NullableTimestamp;
}

/** One WordPress import run: progress and the stored report (migration 0018). */
export interface ImportTable {
  id: Id;
  project_id: number;
  status: Generated<'queued' | 'running' | 'done' | 'failed'>;
  dry_run: Generated<boolean>;
  options: Json<Record<string, unknown>>;
  file_names: ColumnType<string[], string[] | undefined, string[]>;
  site: string | null;
  items_total: Generated<number>;
  items_done: Generated<number>;
  activity: Generated<string>;
  report: ColumnType<unknown | null, string | null | undefined, string | null>;
  error: string | null;
  created_by: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  finished_at: NullableTimestamp;
}

/** An uploaded export file, in order, as chunks (migration 0018). */
export interface ImportChunkTable {
  import_id: number;
  file_index: number;
  seq: number;
  bytes: Buffer;
}

/** What each WordPress item became here, keyed by its site and WordPress id (migration 0018). */
export interface ImportItemTable {
  project_id: number;
  site: string;
  kind: 'person' | 'post' | 'page' | 'comment' | 'ping' | 'attachment' | 'term';
  wp_id: string;
  local_id: number | null;
  fingerprint: Generated<string>;
  old_url: string | null;
  old_path: string | null;
  old_slug: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface Database {
  people: PersonTable;
  projects: ProjectTable;
  memberships: MembershipTable;
  posts: PostTable;
  post_authors: PostAuthorTable;
  tags: TagTable;
  post_tags: PostTagTable;
  slug_redirects: SlugRedirectTable;
  post_revisions: PostRevisionTable;
  pages: PageTable;
  comments: CommentTable;
  moderation_log: ModerationLogTable;
  images: ImageTable;
  sessions: SessionTable;
  password_tokens: PasswordTokenTable;
  login_throttle: LoginThrottleTable;
  moderator_feed_tokens: ModeratorFeedTokenTable;
  site_settings: SiteSettingTable;
  project_post_counts: ProjectPostCountTable;
  tag_post_counts: TagPostCountTable;
  post_links: PostLinkTable;
  email_addresses: EmailAddressTable;
  email_subscriptions: EmailSubscriptionTable;
  email_deliveries: EmailDeliveryTable;
  email_digests: EmailDigestTable;
  email_digest_runs: EmailDigestRunTable;
  email_account_refusals: EmailAccountRefusalTable;
  email_confirmation_refusals: EmailConfirmationRefusalTable;
  email_outbox: EmailOutboxTable;
  email_throttle: EmailThrottleTable;
  webmentions: WebmentionTable;
  webmention_throttle: WebmentionThrottleTable;
  webmention_sends: WebmentionSendTable;
  websub_subscriptions: WebsubSubscriptionTable;
  listen_sources: ListenSourceTable;
  listen_terms: ListenTermTable;
  listen_items: ListenItemTable;
  listen_term_matches: ListenTermMatchTable;
  listen_feed_tokens: ListenFeedTokenTable;
  listen_websub: ListenWebsubTable;
  listen_websub_pushes: ListenWebsubPushTable;
  listen_email_prefs: ListenEmailPrefTable;
  listen_email_sends: ListenEmailSendTable;
  imports: ImportTable;
  import_chunks: ImportChunkTable;
  import_items: ImportItemTable;
}

export type Person = Selectable<PersonTable>;
export type NewPerson = Insertable<PersonTable>;
export type Project = Selectable<ProjectTable>;
export type NewProject = Insertable<ProjectTable>;
export type ProjectUpdate = Updateable<ProjectTable>;
export type Post = Selectable<PostTable>;
export type NewPost = Insertable<PostTable>;
export type PostUpdate = Updateable<PostTable>;
export type Page = Selectable<PageTable>;
export type Comment = Selectable<CommentTable>;
export type NewComment = Insertable<CommentTable>;
export type Tag = Selectable<TagTable>;
