import { createDb } from '../server/db/create-db.js';
import { searchPosts } from '../server/search/queries.js';
const db = createDb('postgres://postgres@127.0.0.1:5432/pb_searchperf');
const words = ['budget', 'procurement', 'privacy records', '"new privacy flow"', 'identity -payments', 'archives or budget', 'nothingmatches'];
const times: number[] = [];
for (let round = 0; round < 5; round++) for (const q of words) {
  const t = performance.now();
  const r = await searchPosts(db, new Date(), { q }, { limit: 10, offset: 0 });
  const ms = performance.now() - t; times.push(ms);
  if (round === 4) console.log(q.padEnd(22), ms.toFixed(1), 'ms', r.total, r.hits.length);
}
times.sort((a, b) => a - b);
console.log('p50', times[Math.floor(times.length * 0.5)]!.toFixed(1), 'p95', times[Math.floor(times.length * 0.95)]!.toFixed(1));
await db.destroy();
