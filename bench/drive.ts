// One load run, in its own process (so the load generator is not inside the server it measures): a
// warm-up, then a fixed duration with autocannon. Reads a Job as JSON from argv[2]; prints a Result as
// JSON on stdout.
import autocannon from 'autocannon';

export interface Job {
  base: string;
  /** One is picked per request, in turn. */
  paths: string[];
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** Comment POSTs: form fields (besides name/email/body) and a marker that makes each body unique. */
  comment?: { fields: Record<string, string>; marker: string };
}

export interface Result {
  requests: number;
  /** Requests including the warm-up (to share out the app's CPU time, which covers both). */
  totalRequests?: number;
  /** Set by run.ts: the server process's CPU time (user + system) per request, in ms. */
  appCpuMs?: number;
  /** Set by run.ts: the CPU time of the benchmark's PostgreSQL server (when on this machine) per request, in ms. */
  dbCpuMs?: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Answers that are not 2xx/3xx, plus connection errors and timeouts. */
  errors: number;
  statuses: Record<string, number>;
  /** Comment POSTs answered 303: the numbers in their bodies. */
  accepted?: number[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(job: Job, seconds: number, record: boolean): Promise<Result> {
  let next = 0;
  let serial = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const accepted: number[] = [];
  // One fixed path: no setupRequest, so autocannon sends the same prepared bytes every time (building
  // each request in JavaScript made the load generator, not the server, the limit).
  const fixed = job.paths.length === 1 && !job.comment;
  const request: autocannon.Request = fixed ? ({ method: job.method ?? 'GET', path: job.paths[0] } as autocannon.Request) : {
    method: job.method ?? 'GET',
    setupRequest: (req: any, context: any) => {
      const path = job.paths[next++ % job.paths.length]!;
      if (!job.comment) return { ...req, path };
      const id = serial++;
      context.id = id;
      const body = new URLSearchParams({
        ...job.comment.fields,
        name: `Bench reader ${id}`,
        email: `reader-${id}@example.org`,
        body: `Comment ${job.comment.marker}-${id}: a unique body so that every one can be found afterwards.`,
      }).toString();
      return { ...req, path, body, headers: { ...req.headers, 'content-type': 'application/x-www-form-urlencoded' } };
    },
    ...(job.comment
      ? {
          onResponse: (status: number, _body: string, context: any) => {
            if (status === 303 && record) accepted.push(context.id as number);
          },
        }
      : {}),
  } as autocannon.Request;
  // The typings describe the callback form; without one it is an EventEmitter that emits 'done'.
  const instance = autocannon({
    url: job.base,
    connections: job.connections,
    duration: seconds,
    headers: job.headers ?? {},
    requests: [request],
  }) as unknown as import('node:events').EventEmitter;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance.once('done', resolve);
    instance.once('error', reject);
  });
  latencies.sort((a, b) => a - b);
  const bad = Object.entries(statuses).filter(([s]) => Number(s) < 200 || Number(s) >= 400).reduce((n, [, c]) => n + c, 0);
  return {
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: bad + result.errors + result.timeouts,
    statuses,
    ...(job.comment ? { accepted } : {}),
  };
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const warm = job.warmupSeconds > 0 ? await run(job, job.warmupSeconds, false) : undefined;
const result = await run(job, job.seconds, true);
process.stdout.write(`${JSON.stringify({ ...result, totalRequests: result.requests + (warm?.requests ?? 0) })}\n`);
