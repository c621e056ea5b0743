// The public read path with a replica (DATABASE_READ_URL): `app.readDb` is a Kysely instance whose pool
// picks, per request, the replica or the primary. The replica answers only when that cannot show
// something older than what this server already knows about:
//
// - A request with a personal cookie (a signed-in team member, a commenter's notice) and any request that
//   is not a GET/HEAD reads from the primary: whoever wrote sees the result on the very next page.
// - After a change (a pb_cache notification from the primary, a write answered here, the LISTEN connection
//   coming back) the replica is "not fresh" until it has replayed the primary's WAL position taken after
//   that change (pg_current_wal_insert_lsn(), which is past the change's commit record). Meanwhile
//   anonymous reads, and so the page cache's refills, come from the primary: a page dropped because of a
//   change is never rebuilt from a replica that has not replayed the change and then served from the
//   cache as fresh. (A request that began before the notification is not stored: page-cache generations.)
// - A health check every second (more often while waiting for a position) asks the replica how far it
//   has replayed and the primary where it is. Unreachable, or behind by more than DATABASE_READ_MAX_LAG_MS
//   (its replay is short of a position the primary had that long ago): public reads go to the primary
//   until it is back within the bound. A replica connection that fails on its first query is swapped for
//   a primary one, so a replica that dies between two checks costs a reader nothing.
//
// The decision is taken once per request (AsyncLocalStorage), so a page and its cache fill read from
// the same place; a cache hit never gets here (answered earlier in onRequest). No extra round trip per
// request: the checks run on a timer.
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { isDatabaseUnavailable } from '../errors.js';
import { dbOnPool, type Db } from './create-db.js';

export interface ReadRouterOptions {
  /** Replay lag beyond which public reads go to the primary. */
  maxLagMs: number;
  /** Health check period (default: a quarter of maxLagMs, between 100 ms and 1 s). */
  checkEveryMs?: number;
  log?: (level: 'info' | 'warn', message: string, err?: unknown) => void;
}

export interface ReplicaStatus {
  /** Reachable and within the lag bound. */
  healthy: boolean;
  /** Has replayed every change this server has heard of: anonymous reads use it. */
  fresh: boolean;
  /** Upper bound of its replay lag, in ms (Infinity when unknown or unreachable). */
  lagMs: number;
}

const MAX_LSN = (1n << 64n) - 1n;
/** 'X/Y' (pg_lsn as text) → a number that compares like the position. */
export function parseLsn(text: string | null | undefined): bigint | undefined {
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(text ?? '');
  return m ? (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`) : undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}

function replicaFailure(err: unknown): boolean {
  // A hot standby cancels a query that conflicts with replay (40001): the primary has no such conflict.
  return isDatabaseUnavailable(err) || /conflict with recovery/i.test((err as Error | null)?.message ?? '');
}

export class ReadRouter {
  /** The public read path (app.readDb). */
  readonly db: Db;
  private readonly context = new AsyncLocalStorage<{ primary: boolean }>();
  private readonly checkEveryMs: number;
  private reachable = false;
  private caughtUpAt: number | undefined; // when the replica was last known to have all the primary had
  private samples: Array<{ lsn: bigint; at: number }> = []; // primary positions the replica had not replayed yet
  private replayed = 0n;
  private required = 0n;
  private changes = 0; // changes heard of
  private covered = 0; // changes whose position is in `required`
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private wasHealthy: boolean | undefined;
  private changedAt = 0;

  constructor(
    private readonly primary: pg.Pool,
    private readonly replica: pg.Pool,
    private readonly options: ReadRouterOptions,
  ) {
    this.checkEveryMs = options.checkEveryMs ?? Math.max(100, Math.min(1_000, Math.floor(options.maxLagMs / 4)));
    const router = this;
    this.db = dbOnPool({
      async connect() {
        return router.connect();
      },
      async end() {
        await router.stop();
      },
    } as unknown as pg.Pool);
  }

  get status(): ReplicaStatus {
    const lagMs = this.lagMs();
    const healthy = this.reachable && lagMs <= this.options.maxLagMs;
    return { healthy, fresh: healthy && this.covered === this.changes && this.replayed >= this.required, lagMs };
  }

  /** Runs the rest of a request with its reads bound: to the primary when `personal`, else by freshness. */
  bind(personal: boolean, next: () => void): void {
    this.context.run({ primary: personal || !this.status.fresh }, next);
  }

  /**
   * Something changed on the primary (a notification, a write answered here, LISTEN reconnected): the
   * replica serves anonymous reads again once it has replayed the primary's position after this call.
   */
  primaryChanged(): void {
    this.changes++;
    this.changedAt = Date.now();
    this.checkSoon(0);
  }

  async start(): Promise<void> {
    await this.check();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
    await this.replica.end().catch(() => {});
  }

  private lagMs(): number {
    if (!this.reachable || this.caughtUpAt === undefined) return Infinity;
    // Everything the primary had at caughtUpAt is replayed; a position it had after that may not be.
    return this.samples.length === 0 ? 0 : Date.now() - this.caughtUpAt;
  }

  private async connect(): Promise<pg.PoolClient> {
    const onPrimary = this.context.getStore()?.primary ?? !this.status.fresh;
    if (onPrimary) return this.primary.connect();
    let client: pg.PoolClient;
    try {
      client = await this.replica.connect();
    } catch (err) {
      this.down(err);
      return this.primary.connect();
    }
    return this.fallingBack(client);
  }

  /** A replica client that moves to the primary if its first query fails for want of the replica. */
  private fallingBack(replicaClient: pg.PoolClient): pg.PoolClient {
    const router = this;
    let client = replicaClient;
    let used = false;
    const wrapper = {
      get processID() {
        return (client as unknown as { processID?: number }).processID;
      },
      async query(text: unknown, values?: unknown) {
        try {
          const result = await (client.query as (t: unknown, v?: unknown) => Promise<pg.QueryResult>)(text, values);
          used = true;
          return result;
        } catch (err) {
          if (used || client !== replicaClient || !replicaFailure(err)) throw err;
          replicaClient.release(err as Error);
          router.down(err);
          client = await router.primary.connect();
          used = true;
          return (client.query as (t: unknown, v?: unknown) => Promise<pg.QueryResult>)(text, values);
        }
      },
      release(err?: Error | boolean) {
        client.release(err);
      },
    };
    return wrapper as unknown as pg.PoolClient;
  }

  private down(err: unknown) {
    this.reachable = false;
    this.report(err);
    this.checkSoon(this.checkEveryMs);
  }

  private report(err?: unknown) {
    const { healthy, lagMs } = this.status;
    if (healthy === this.wasHealthy) return;
    const first = this.wasHealthy === undefined;
    this.wasHealthy = healthy;
    if (healthy) {
      if (!first) this.options.log?.('info', 'read replica is back: public reads use it again');
    } else if (!this.reachable) {
      this.options.log?.('warn', 'read replica unavailable: public reads go to the primary', err);
    } else {
      this.options.log?.('warn', `read replica is behind by more than ${this.options.maxLagMs} ms${Number.isFinite(lagMs) ? ` (${lagMs} ms)` : ''}: public reads go to the primary`);
    }
  }

  private checkSoon(delay: number) {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), delay);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    if (this.running) return this.running;
    clearTimeout(this.timer);
    this.again = false;
    this.running = this.measure().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      // Right after a change, look often (the replica usually replays it within milliseconds); a replica
      // that stays behind (replay paused, a long query holding it back) is looked at once a period.
      const waiting = (this.covered !== this.changes || this.replayed < this.required) && Date.now() - this.changedAt < 2_000;
      this.checkSoon(this.again || (waiting && this.reachable) ? 25 : this.checkEveryMs);
    });
    return this.running;
  }

  private async measure(): Promise<void> {
    const changes = this.changes;
    const at = Date.now();
    let position: bigint | undefined;
    try {
      const { rows } = await withTimeout(this.primary.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn'), 2_000);
      position = parseLsn(rows[0]?.lsn);
    } catch {
      // The primary is away: nothing to compare with (and reads fail wherever they go).
    }
    if (position !== undefined) {
      this.samples.push({ lsn: position, at });
      if (this.samples.length > 256) this.samples.shift();
      if (this.covered !== changes) {
        this.required = position > this.required ? position : this.required;
        this.covered = changes;
      }
    }
    try {
      const { rows } = await withTimeout(
        this.replica.query<{ standby: boolean; replay: string | null }>('SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay'),
        2_000,
      );
      // A server that is not a standby has nothing to replay: it is as current as it gets.
      this.replayed = rows[0]?.standby ? (parseLsn(rows[0].replay) ?? 0n) : MAX_LSN;
      this.reachable = true;
    } catch (err) {
      this.reachable = false;
      this.report(err);
      return;
    }
    let newest = -1;
    this.samples.forEach((s, i) => {
      if (s.lsn <= this.replayed) newest = i;
    });
    if (newest >= 0) {
      this.caughtUpAt = Math.max(this.caughtUpAt ?? 0, this.samples[newest]!.at);
      this.samples = this.samples.slice(newest + 1);
    }
    this.report();
  }
}
