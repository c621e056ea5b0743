// Compiles server/ and migrations/ from TypeScript to JavaScript in dist/ (one file each, same layout),
// so that `npm start` runs plain Node: no TypeScript compiler in the server's memory (about 100 MB less)
// and a faster start. esbuild only strips types; `npm run typecheck` is what checks them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entryPoints = [];
for (const dir of ['server', 'migrations']) {
  for (const entry of fs.readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      entryPoints.push(path.join(entry.parentPath, entry.name));
    }
  }
}
const outdir = path.join(root, 'dist');
fs.rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints,
  outdir,
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
