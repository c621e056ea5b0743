// Subscribers, their subscriptions and the form's throttle: plain functions, db first.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import type { EmailFrequency } from '../db/schema.js';
import { urls } from '../urls.js';
import type { Target } from './targets.js';

export const FREQUENCIES: Record<EmailFrequency, string> = {
  each: 'Each new post',
  daily: 'A daily digest',
  weekly: 'A weekly digest',
};

export function isFrequency(value: unknown): value is EmailFrequency {
  return value === 'each' || value === 'daily' || value === 'weekly';
}

/** The address's row (created if new); `address` is already checked and lower-cased. */
export async function findOrCreateAddress(tx: Db | Tx, address: string, now: Date): Promise<{ id: number; suspended: boolean }> {
  await tx.insertInto('email_addresses').values({ address, created_at: now }).onConflict((oc) => oc.column('address').doNothing()).execute();
  const row = await tx.selectFrom('email_addresses').select(['id', 'suspended_at']).where('address', '=', address).executeTakeFirstOrThrow();
  return { id: row.id, suspended: row.suspended_at !== null };
}

/**
 * Records a wish to subscribe. A new or still-pending subscription takes the frequency asked for and
 * `created_at` = now (when it was last asked for: pruneUnconfirmed counts from there); a confirmed one
 * is left as it is (whoever typed the address may not own it).
 */
export async function requestSubscription(tx: Db | Tx, addressId: number, target: Target, frequency: EmailFrequency, now: Date): Promise<{ id: number; confirmed: boolean }> {
  const row = await tx
    .insertInto('email_subscriptions')
    .values({
      address_id: addressId,
      kind: target.kind,
      project_id: target.projectId,
      tag_id: target.tagId,
      person_id: target.personId,
      search: target.search ? JSON.stringify(target.search) : null,
      target_key: target.key,
      frequency,
      created_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['address_id', 'target_key']).doUpdateSet({
        frequency: sql`CASE WHEN email_subscriptions.confirmed_at IS NULL THEN excluded.frequency ELSE email_subscriptions.frequency END`,
        created_at: sql`CASE WHEN email_subscriptions.confirmed_at IS NULL THEN excluded.created_at ELSE email_subscriptions.created_at END`,
      }),
    )
    .returning(['id', 'confirmed_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, confirmed: row.confirmed_at !== null };
}

/** Confirms (once; again is harmless). Returns the subscription with its address, or undefined if gone. */
export async function confirmSubscription(db: Db, id: number, now: Date) {
  await db.updateTable('email_subscriptions').set({ confirmed_at: now }).where('id', '=', id).where('confirmed_at', 'is', null).execute();
  return db
    .selectFrom('email_subscriptions')
    .innerJoin('email_addresses', 'email_addresses.id', 'email_subscriptions.address_id')
    .select(['email_subscriptions.id', 'email_subscriptions.address_id', 'email_addresses.address'])
    .where('email_subscriptions.id', '=', id)
    .executeTakeFirst();
}

export interface SubscriptionView {
  id: number;
  addressId: number;
  frequency: EmailFrequency;
  confirmed: boolean;
  description: string;
  pagePath: string;
  /** The project whose name signs emails about it (project and tag subscriptions). */
  projectTitle: string | null;
}

/** An address's subscriptions (or some of them by id) with a description of each. */
export async function listSubscriptions(db: Db | Tx, filter: { addressId?: number; ids?: number[] }): Promise<SubscriptionView[]> {
  let q = db
    .selectFrom('email_subscriptions as s')
    .leftJoin('projects', 'projects.id', 's.project_id')
    .leftJoin('tags', 'tags.id', 's.tag_id')
    .leftJoin('people', 'people.id', 's.person_id')
    .select([
      's.id', 's.address_id', 's.kind', 's.frequency', 's.confirmed_at', 's.search',
      'projects.slug as project_slug', 'projects.title as project_title', 'tags.slug as tag_slug', 'tags.name as tag_name',
      'people.handle', 'people.display_name',
    ])
    .orderBy('s.id');
  if (filter.addressId !== undefined) q = q.where('s.address_id', '=', filter.addressId);
  if (filter.ids !== undefined) q = q.where('s.id', 'in', filter.ids.length ? filter.ids : [-1]);
  const rows = await q.execute();
  return rows.map((r) => {
    let description = 'new posts';
    let pagePath = '/';
    if (r.kind === 'project' && r.project_slug) [description, pagePath] = [`new posts in ${r.project_title}`, urls.project(r.project_slug)];
    else if (r.kind === 'tag' && r.project_slug && r.tag_slug) [description, pagePath] = [`new posts tagged “${r.tag_name}” in ${r.project_title}`, urls.tag(r.project_slug, r.tag_slug)];
    else if (r.kind === 'person' && r.handle) [description, pagePath] = [`new posts by ${r.display_name}`, urls.person(r.handle)];
    else if (r.kind === 'search' && r.search) [description, pagePath] = [`new posts matching the search “${r.search.q ?? ''}”`, urls.search(r.search)];
    return { id: r.id, addressId: r.address_id, frequency: r.frequency, confirmed: r.confirmed_at !== null, description, pagePath, projectTitle: r.project_title };
  });
}

export async function findAddressById(db: Db | Tx, id: number) {
  return db.selectFrom('email_addresses').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function changeFrequency(db: Db, addressId: number, subscriptionId: number, frequency: EmailFrequency): Promise<void> {
  await db.updateTable('email_subscriptions').set({ frequency }).where('id', '=', subscriptionId).where('address_id', '=', addressId).execute();
}

export async function removeSubscription(db: Db, addressId: number, subscriptionId: number): Promise<number> {
  const result = await db.deleteFrom('email_subscriptions').where('id', '=', subscriptionId).where('address_id', '=', addressId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Removes every subscription of an address (its delivery history stays for at-most-once). */
export async function removeAllSubscriptions(db: Db, addressId: number, frequency?: EmailFrequency): Promise<number> {
  let q = db.deleteFrom('email_subscriptions').where('address_id', '=', addressId);
  if (frequency) q = q.where('frequency', '=', frequency);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Forgets an address entirely: the address, its subscriptions, deliveries, digests and outbox copies. */
export async function forgetAddress(db: Db, address: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    await tx.deleteFrom('email_outbox').where('to_address', '=', address).execute();
    const result = await tx.deleteFrom('email_addresses').where('address', '=', address).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

/** Confirmed subscribers of a project (its own subscriptions and its tags'), counted by address. */
export async function countProjectSubscribers(db: Db, projectId: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(DISTINCT s.address_id)::int AS n FROM email_subscriptions s JOIN email_addresses a ON a.id = s.address_id
    WHERE s.confirmed_at IS NOT NULL AND a.suspended_at IS NULL
      AND (s.project_id = ${projectId})`.execute(db);
  return rows[0]?.n ?? 0;
}

/** For a move: the confirmed subscriptions of a project (address, what, how often, since). */
export async function listProjectSubscribers(db: Db, projectId: number) {
  return db
    .selectFrom('email_subscriptions as s')
    .innerJoin('email_addresses as a', 'a.id', 's.address_id')
    .leftJoin('tags', 'tags.id', 's.tag_id')
    .select(['a.address', 's.kind', 'tags.slug as tag_slug', 's.frequency', 's.confirmed_at'])
    .where('s.project_id', '=', projectId)
    .where('s.confirmed_at', 'is not', null)
    .orderBy('a.address')
    .execute();
}

/**
 * Counts one use of the form under `key` and says whether it is within `limit` per `windowMs`. Counted in
 * the database, so the limit holds across servers; old rows of the key are dropped on the way.
 */
export async function throttleAllows(db: Db, key: string, limit: number, windowMs: number, now: Date): Promise<boolean> {
  const since = new Date(now.getTime() - windowMs);
  await db.deleteFrom('email_throttle').where('key', '=', key).where('at', '<', since).execute();
  const { n } = await db.selectFrom('email_throttle').select((eb) => eb.fn.countAll<number>().as('n')).where('key', '=', key).where('at', '>=', since).executeTakeFirstOrThrow();
  if (Number(n) >= limit) return false;
  await db.insertInto('email_throttle').values({ key, at: now }).execute();
  return true;
}

/**
 * Removes subscriptions never confirmed and last asked for before `cutoff`, then the addresses left
 * with nothing: no subscription, never sent anything (no delivery or digest row), not suspended (a
 * suspension is kept: it is what stops mail to a bouncing address), created before `cutoff`.
 */
export async function pruneUnconfirmed(db: Db, cutoff: Date): Promise<{ subscriptions: number; addresses: number }> {
  return db.transaction().execute(async (tx) => {
    const subs = await tx.deleteFrom('email_subscriptions').where('confirmed_at', 'is', null).where('created_at', '<', cutoff).executeTakeFirst();
    const addresses = await tx
      .deleteFrom('email_addresses as a')
      .where('a.suspended_at', 'is', null)
      .where('a.created_at', '<', cutoff)
      .where((eb) =>
        eb.and([
          eb.not(eb.exists(eb.selectFrom('email_subscriptions as s').select('s.id').whereRef('s.address_id', '=', 'a.id'))),
          eb.not(eb.exists(eb.selectFrom('email_deliveries as d').select('d.id').whereRef('d.address_id', '=', 'a.id'))),
          eb.not(eb.exists(eb.selectFrom('email_digests as g').select('g.id').whereRef('g.address_id', '=', 'a.id'))),
        ]),
      )
      .executeTakeFirst();
    return { subscriptions: Number(subs.numDeletedRows), addresses: Number(addresses.numDeletedRows) };
  });
}

/** What an account email was: set-password link, team invitation with a link, or the note of a new team. */
export type AccountEmailKind = 'password-link' | 'invitation' | 'team-note';

/** Records that an account email did not reach its person (a 5xx, or every try failed). */
export async function recordAccountRefusal(db: Db, refusal: { personId: number; toAddress: string; what: AccountEmailKind; reason: string; at: Date }): Promise<void> {
  await db
    .insertInto('email_account_refusals')
    .values({ person_id: refusal.personId, to_address: refusal.toAddress, what: refusal.what, reason: refusal.reason.slice(0, 500), refused_at: refusal.at })
    .execute();
}

/** An account email reached this person: their earlier refusals are no longer news. */
export async function clearAccountRefusals(db: Db, personId: number): Promise<void> {
  await db.deleteFrom('email_account_refusals').where('person_id', '=', personId).execute();
}

/** The refusals site admins have not dismissed, newest first, with whom they were for. */
export async function listAccountRefusals(db: Db) {
  return db
    .selectFrom('email_account_refusals as r')
    .innerJoin('people as p', 'p.id', 'r.person_id')
    .select(['r.id', 'r.person_id', 'r.to_address', 'r.what', 'r.reason', 'r.refused_at', 'p.display_name', 'p.email'])
    .orderBy('r.refused_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(100)
    .execute();
}

export async function dismissAccountRefusal(db: Db, id: number): Promise<void> {
  await db.deleteFrom('email_account_refusals').where('id', '=', id).execute();
}

/** Records that the mail server refused (5xx) a subscriber's confirmation email, for site admins. */
export async function recordConfirmationRefusal(db: Db, refusal: { addressId: number; description: string; reason: string; at: Date }): Promise<void> {
  await db
    .insertInto('email_confirmation_refusals')
    .values({ address_id: refusal.addressId, description: refusal.description.slice(0, 500), reason: refusal.reason.slice(0, 500), refused_at: refusal.at })
    .execute();
}

/** An email to this address got through: its earlier refusals are no longer news. */
export async function clearConfirmationRefusals(db: Db, addressId: number): Promise<void> {
  await db.deleteFrom('email_confirmation_refusals').where('address_id', '=', addressId).execute();
}

/** The confirmation refusals site admins have not dismissed, newest first, with their address. */
export async function listConfirmationRefusals(db: Db) {
  return db
    .selectFrom('email_confirmation_refusals as r')
    .innerJoin('email_addresses as a', 'a.id', 'r.address_id')
    .select(['r.id', 'r.description', 'r.reason', 'r.refused_at', 'a.address'])
    .orderBy('r.refused_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(100)
    .execute();
}

export async function dismissConfirmationRefusal(db: Db, id: number): Promise<void> {
  await db.deleteFrom('email_confirmation_refusals').where('id', '=', id).execute();
}

/**
 * Digest runs whose period ended before the cutoff, except the latest run of each frequency: that one
 * is where the next run starts (server/email/digests.ts), however old it is (a site whose digests were
 * off, or whose servers were all down, for over a year).
 */
export async function pruneDigestRuns(db: Db, cutoff: Date): Promise<number> {
  const result = await sql`
    DELETE FROM email_digest_runs r
    WHERE r.period_end < ${cutoff}::timestamptz
      AND r.period_end < (SELECT max(latest.period_end) FROM email_digest_runs latest WHERE latest.frequency = r.frequency)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

// The site admins' email page: one address looked up, the suspended addresses, deliveries of unknown outcome.

export async function findAddressForAdmin(db: Db, address: string) {
  const row = await db.selectFrom('email_addresses').select(['id', 'address', 'hard_bounces', 'suspended_at']).where('address', '=', address).executeTakeFirst();
  return row && { id: row.id, address: row.address, hardBounces: row.hard_bounces, suspended: row.suspended_at !== null };
}

export async function listSuspendedAddresses(db: Db, limit = 200) {
  const rows = await db.selectFrom('email_addresses').select(['address', 'hard_bounces', 'last_bounce', 'suspended_at']).where('suspended_at', 'is not', null).orderBy('suspended_at', 'desc').limit(limit).execute();
  return rows.map((r) => ({ address: r.address, hardBounces: r.hard_bounces, lastBounce: r.last_bounce }));
}

export async function listUnknownDeliveries(db: Db, limit = 200) {
  const rows = await db
    .selectFrom('email_deliveries')
    .innerJoin('email_addresses', 'email_addresses.id', 'email_deliveries.address_id')
    .innerJoin('posts', 'posts.id', 'email_deliveries.post_id')
    .select(['email_addresses.address', 'posts.title', 'email_deliveries.claimed_at', 'email_deliveries.last_error'])
    .where('email_deliveries.status', '=', 'unknown')
    .orderBy('email_deliveries.claimed_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ address: r.address, postTitle: r.title, claimedAt: r.claimed_at, lastError: r.last_error }));
}
