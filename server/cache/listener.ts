// One dedicated PostgreSQL connection per app server that LISTENs on pb_cache (see migration
// 0005-cache-notify) and reports which project a committed write touched. When the connection drops
// (the database restarted, the network broke) the listener says so at once and reconnects with backoff;
// the cache is bypassed while it is down and emptied when it is back, because notifications sent in
// between are lost. A heartbeat query finds connections that died without a TCP reset.
import pg from 'pg';

export const CACHE_CHANNEL = 'pb_cache';

export interface ListenerEvents {
  /** LISTEN is in place: from now on every committed write is reported. */
  onUp(): void;
  /** The connection is gone: notifications may be missed until onUp. */
  onDown(err?: Error): void;
  onInvalidate(scope: number | 'all'): void;
}

export interface ListenerOptions {
  heartbeatMs?: number;
  maxBackoffMs?: number;
  log?: (message: string, err?: unknown) => void;
}

export class CacheListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private up = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly events: ListenerEvents,
    private readonly options: ListenerOptions = {},
  ) {}

  get connected() {
    return this.up;
  }

  /** Resolves after the first attempt, connected or not (a later attempt may succeed). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    this.markDown();
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.connectionString,
      keepAlive: true,
      connectionTimeoutMillis: 2_000,
      query_timeout: 5_000,
      application_name: 'project-blogs cache listener',
    });
    this.client = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel !== CACHE_CHANNEL) return;
      const payload = msg.payload ?? 'all';
      const id = /^[0-9]+$/.test(payload) ? Number(payload) : NaN;
      this.events.onInvalidate(Number.isSafeInteger(id) ? id : 'all');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CACHE_CHANNEL}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (this.stopped || this.client !== client) return;
    this.attempt = 0;
    this.up = true;
    this.events.onUp();
    const every = this.options.heartbeatMs ?? 10_000;
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((err: Error) => this.lost(client, err));
    }, every);
    this.heartbeat.unref();
  }

  private markDown(err?: Error) {
    const wasUp = this.up;
    this.up = false;
    if (wasUp || err) this.events.onDown(err);
  }

  private lost(client: pg.Client, err?: Error) {
    if (this.client !== client) return; // an old connection's late events
    this.client = undefined;
    clearInterval(this.heartbeat);
    this.markDown(err);
    client.end().catch(() => {});
    if (this.stopped) return;
    const delay = Math.min(this.options.maxBackoffMs ?? 5_000, 100 * 2 ** this.attempt++);
    if (this.attempt === 1) this.options.log?.(`cache listener lost its connection; reconnecting`, err);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }
}
