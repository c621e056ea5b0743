// SQL for the WebSub subscriber side of the listening desk (listen_websub, migration 0022): one row per
// watched source that declares a hub, kept after the source is removed until the hub confirms the
// unsubscription.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/create-db.js';
import type { ListenWebsubTable } from '../db/schema.js';
import type { Selectable } from 'kysely';

export type WebsubRow = Selectable<ListenWebsubTable>;

export async function findWebsubBySource(db: Db | Tx, sourceId: number): Promise<WebsubRow | undefined> {
  return db.selectFrom('listen_websub').selectAll().where('source_id', '=', sourceId).executeTakeFirst();
}

export async function findWebsubById(db: Db | Tx, id: number): Promise<WebsubRow | undefined> {
  return db.selectFrom('listen_websub').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findWebsubByToken(db: Db | Tx, token: string): Promise<WebsubRow | undefined> {
  return db.selectFrom('listen_websub').selectAll().where('token', '=', token).executeTakeFirst();
}

/** A new request for this source: a new row, or the same row pointed at the (new) hub and topic. */
export async function upsertWebsubRequest(
  db: Db | Tx,
  values: { sourceId: number; hub: string; topic: string; token: string; secret: string; state: 'subscribing' | 'subscribed'; now: Date },
): Promise<WebsubRow> {
  return db
    .insertInto('listen_websub')
    .values({ source_id: values.sourceId, hub: values.hub, topic: values.topic, token: values.token, secret: values.secret, state: values.state, requested_at: values.now, created_at: values.now })
    .onConflict((oc) =>
      oc.column('source_id').doUpdateSet({ hub: values.hub, topic: values.topic, token: values.token, secret: values.secret, state: values.state, requested_at: values.now, last_error: null }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateWebsub(db: Db | Tx, id: number, changes: Partial<Pick<WebsubRow, 'state' | 'lease_seconds' | 'expires_at' | 'verified_at' | 'last_push_at' | 'last_error'>>): Promise<void> {
  if (Object.keys(changes).length === 0) return;
  await db.updateTable('listen_websub').set(changes).where('id', '=', id).execute();
}

export async function deleteWebsub(db: Db | Tx, id: number): Promise<void> {
  await db.deleteFrom('listen_websub').where('id', '=', id).execute();
}

/** Marks the source's subscription as being cancelled; its id (to queue the request), if it had one. */
export async function markUnsubscribing(db: Db | Tx, sourceId: number, now: Date): Promise<number | undefined> {
  const row = await db
    .updateTable('listen_websub')
    .set({ state: 'unsubscribing', requested_at: now })
    .where('source_id', '=', sourceId)
    .where('state', '!=', 'unsubscribing')
    .returning(['id', 'state'])
    .executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

/** Verified subscriptions of active sources whose lease ends soon (within half the lease, at most two days). */
export async function listWebsubToRenew(db: Db, now: Date, limit: number): Promise<Array<{ sourceId: number; hub: string; topic: string }>> {
  const { rows } = await sql<{ source_id: string; hub: string; topic: string }>`
    SELECT w.source_id, w.hub, w.topic FROM listen_websub w JOIN listen_sources s ON s.id = w.source_id
    WHERE w.state = 'subscribed' AND s.status = 'active'
      AND w.expires_at < ${now}::timestamptz + least(interval '2 days', make_interval(secs => coalesce(w.lease_seconds, 0) / 2.0))
    ORDER BY w.expires_at LIMIT ${limit}`.execute(db);
  return rows.map((r) => ({ sourceId: Number(r.source_id), hub: r.hub, topic: r.topic }));
}

/** Rows nobody needs any more: cancellations the hub never confirmed within a day, and failures of removed sources. */
export async function deleteStaleWebsub(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('listen_websub')
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'unsubscribing'), eb('requested_at', '<', new Date(now.getTime() - 86_400_000))]),
        eb.and([eb('source_id', 'is', null), eb('state', '!=', 'unsubscribing')]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}

/** True while pushed updates are expected for the source (verified, lease not over). */
export async function pushActive(db: Db | Tx, sourceId: number, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('listen_websub')
    .select('id')
    .where('source_id', '=', sourceId)
    .where('state', 'in', ['subscribed', 'subscribing'])
    .where('verified_at', 'is not', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}

/** The WebSub state of a project's sources, for the sources page. */
export async function listWebsubStates(db: Db, projectId: number): Promise<Map<number, Pick<WebsubRow, 'hub' | 'state' | 'expires_at' | 'last_push_at' | 'last_error' | 'verified_at'>>> {
  const rows = await db
    .selectFrom('listen_websub')
    .innerJoin('listen_sources', 'listen_sources.id', 'listen_websub.source_id')
    .select(['listen_websub.source_id', 'listen_websub.hub', 'listen_websub.state', 'listen_websub.expires_at', 'listen_websub.last_push_at', 'listen_websub.last_error', 'listen_websub.verified_at'])
    .where('listen_sources.project_id', '=', projectId)
    .execute();
  return new Map(rows.map((r) => [Number(r.source_id), r]));
}

// ------------------------------------------------------------------------------------------ pushed bodies

/**
 * Keeps a verified push for the listen:websub-push job; its id, or undefined when the same body of the
 * same source is already waiting (a hub that retries adds nothing).
 */
export async function storePush(db: Db | Tx, push: { sourceId: number; websubId: number; body: Buffer; sha256: string; contentType: string; now: Date }): Promise<number | undefined> {
  const row = await db
    .insertInto('listen_websub_pushes')
    .values({ source_id: push.sourceId, websub_id: push.websubId, body: push.body, body_sha256: push.sha256, content_type: push.contentType.slice(0, 200), received_at: push.now })
    .onConflict((oc) => oc.columns(['source_id', 'body_sha256']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

/** How many pushes of a source wait to be read. */
export async function countWaitingPushes(db: Db | Tx, sourceId: number): Promise<number> {
  const row = await db.selectFrom('listen_websub_pushes').select((eb) => eb.fn.countAll<string>().as('n')).where('source_id', '=', sourceId).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findPush(db: Db | Tx, id: number) {
  return db.selectFrom('listen_websub_pushes').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function deletePush(db: Db | Tx, id: number): Promise<void> {
  await db.deleteFrom('listen_websub_pushes').where('id', '=', id).execute();
}
