// A small pool of worker threads that convert and render imported posts and comments (convert-work.ts)
// while the importer's own thread writes to the database: on a machine with two cores or more, both
// work at once. Plain worker_threads: tasks go to the least busy worker; a worker that crashes or stays
// on one task longer than `taskTimeoutMs` is ended, its tasks fail with a message (the importer then
// skips those items, as it does any item that cannot be imported), and a fresh worker takes its place.
//
// The worker's entry is convert-worker.ts beside this file: compiled to .js in dist/ (`npm start`), or
// TypeScript under tsx and vitest, where the worker first registers tsx's loader itself (a worker does
// not inherit the parent's loader hooks on Node 20).
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ConvertedComments, ConvertedPost, ConvertTask } from './convert-work.js';

export interface ConvertPool {
  convert(task: Extract<ConvertTask, { kind: 'post' }>): Promise<ConvertedPost>;
  convert(task: Extract<ConvertTask, { kind: 'comments' }>): Promise<ConvertedComments>;
  close(): Promise<void>;
}

export interface ConvertPoolOptions {
  /** Worker threads; default: one fewer than the cores (at least 1, at most 4). */
  size?: number;
  /** A task taking longer than this ends its worker (the task fails; the item is skipped). */
  taskTimeoutMs?: number;
}

/** Set by the import benchmark (--workers) to compare pool sizes; otherwise unset. */
export const poolSettings: { size?: number } = {};

/** The worker count used when none is given: the importer's own thread keeps a core. */
export function defaultPoolSize(): number {
  return poolSettings.size ?? Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

interface Pending {
  task: ConvertTask;
  resolve: (value: never) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  running: Map<number, Pending>;
}

function workerEntry(): { entry: URL | string; eval: boolean } {
  const self = import.meta.url;
  if (!/\.ts$/.test(new URL(self).pathname)) return { entry: new URL('./convert-worker.js', self), eval: false };
  const file = new URL('./convert-worker.ts', self).href;
  const api = import.meta.resolve('tsx/esm/api');
  return { entry: `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file)}); });`, eval: true };
}

export function createConvertPool(options: ConvertPoolOptions = {}): ConvertPool {
  const size = Math.max(1, options.size ?? defaultPoolSize());
  const timeoutMs = options.taskTimeoutMs ?? 60_000;
  const { entry, eval: isEval } = workerEntry();
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const fail = (slot: Slot, error: Error) => {
    for (const pending of slot.running.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    slot.running.clear();
  };

  const start = (): Slot => {
    // Capped heaps, like the server's own (scripts/server-command.mjs): V8 then collects sooner rather than
    // letting dead objects of converted posts pile up. A task that needs more ends its worker (item skipped).
    // The parent's flags are not passed on (a tsx loader there, or --input-type, would break or weigh on
    // the worker); source maps are.
    const execArgv = process.execArgv.filter((a) => a === '--enable-source-maps');
    const worker = new Worker(entry, { eval: isEval, execArgv, resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 } });
    worker.unref(); // an idle pool never keeps the process alive
    const slot: Slot = { worker, running: new Map() };
    worker.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
      if (message.id === undefined) return;
      const pending = slot.running.get(message.id);
      if (!pending) return;
      slot.running.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error !== undefined) pending.reject(new Error(message.error));
      else pending.resolve(message.result as never);
    });
    const replace = (error: Error) => {
      const at = slots.indexOf(slot);
      if (at < 0) return;
      slots.splice(at, 1);
      fail(slot, error);
      void worker.terminate();
    };
    worker.on('error', (e) => replace(new Error(`the converter stopped (${e.message})`)));
    worker.on('exit', (code) => replace(new Error(`the converter stopped (exit code ${code})`)));
    slots.push(slot);
    return slot;
  };

  function convert(task: ConvertTask): Promise<never> {
    if (closed) return Promise.reject(new Error('the converter pool is closed'));
    while (slots.length < size) start();
    const slot = slots.reduce((a, b) => (b.running.size < a.running.size ? b : a));
    const id = nextId++;
    return new Promise<never>((resolve, reject) => {
      const pending: Pending = { task, resolve, reject };
      pending.timer = setTimeout(() => {
        // The worker is stuck on this task (or on one queued before it): end it; its tasks fail.
        const at = slots.indexOf(slot);
        if (at >= 0) slots.splice(at, 1);
        fail(slot, new Error(`converting it took longer than ${Math.round(timeoutMs / 1000)} s`));
        void slot.worker.terminate();
      }, timeoutMs);
      pending.timer.unref();
      slot.running.set(id, pending);
      slot.worker.postMessage({ id, task });
    });
  }

  return {
    convert: convert as ConvertPool['convert'],
    async close() {
      closed = true;
      const all = slots.splice(0);
      for (const slot of all) fail(slot, new Error('the converter pool is closed'));
      await Promise.all(all.map((slot) => slot.worker.terminate()));
    },
  };
}
