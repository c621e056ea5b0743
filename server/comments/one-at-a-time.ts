// Comments from one address (or one text, see submitComment) are stored one at a time under a database
// advisory lock. Waiting for that lock holds a pooled connection, so a burst of 200 from one address
// held every connection and starved readers (503 "timeout exceeded when trying to connect"). This
// queue makes them wait here, in memory, and sends one at a time per key to the database; the lock
// still orders requests from several app servers.
export class OneAtATime {
  private readonly queues = new Map<string, { tail: Promise<void>; size: number }>();

  /** How many tasks for this key are running or waiting on this server. */
  size(key: string): number {
    return this.queues.get(key)?.size ?? 0;
  }

  /** Runs `task` after every earlier task for `key` has settled. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = { tail: Promise.resolve(), size: 0 }));
    queue.size++;
    const before = queue.tail;
    let done!: () => void;
    queue.tail = new Promise<void>((resolve) => (done = resolve));
    try {
      await before;
      return await task();
    } finally {
      done();
      if (--queue.size === 0) this.queues.delete(key);
    }
  }
}
