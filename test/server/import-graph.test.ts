// The import graph between domains stays one-way: no file imports another domain's routes.ts (only
// app.ts mounts routes), the folders of server/ import each other without a cycle, and db/, markdown/,
// urls.ts and forms.ts import no domain. Imports are read with TypeScript's own scanner (import, import type,
// export … from, dynamic import()), so a new file cannot slip past it.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SERVER = path.resolve(import.meta.dirname, '../../server');

interface ImportEdge {
  from: string; // path under server/, e.g. "posts/queries.ts"
  to: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import between files under server/. */
function importEdges(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(SERVER)) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), fileName.replace(/\.js$/, '.ts'));
      edges.push({ from: path.relative(SERVER, file), to: path.relative(SERVER, target) });
    }
  }
  return edges;
}

/** The unit the rules speak of: a folder of server/ (a domain, db, plugins…) or a file at its top. */
function unitOf(file: string): string {
  const parts = file.split(path.sep);
  // Outside server/ (the frozen migrations): named by its folder from the repository's root.
  if (parts[0] === '..') return `${parts[1]}/ (outside server/)`;
  const [first, ...rest] = parts;
  return rest.length > 0 ? `${first}/` : first!;
}

/** Groups of units that import each other, directly or round a loop (Tarjan's strongly connected components). */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || graph.get(v)?.has(v)) found.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

function unitGraph(edges: ImportEdge[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const [a, b] = [unitOf(from), unitOf(to)];
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
  }
  return graph;
}

describe('the import graph of server/', () => {
  const edges = importEdges();

  it('is read: the scanner sees the imports app.ts makes', () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges).toContainEqual({ from: 'app.ts', to: path.join('projects', 'routes.ts') });
    expect(edges).toContainEqual({ from: path.join('auth', 'roles.ts'), to: path.join('auth', 'signed-in-user.ts') });
  });

  it('has no file that imports another domain’s routes.ts (only app.ts mounts routes)', () => {
    const reaching = edges
      .filter(({ from, to }) => path.basename(to) === 'routes.ts' && unitOf(to) !== unitOf(from) && from !== 'app.ts')
      .map(({ from, to }) => `${from} → ${to}`);
    expect(reaching).toEqual([]);
  });

  it('has no cycle between folders (domains, db, plugins…) or top-level files', () => {
    const found = cycles(unitGraph(edges)).map((group) => {
      const inside = edges.filter(({ from, to }) => unitOf(from) !== unitOf(to) && group.includes(unitOf(from)) && group.includes(unitOf(to)));
      return `${group.join(' ⇄ ')}: ${inside.map(({ from, to }) => `${from} → ${to}`).join(', ')}`;
    });
    expect(found).toEqual([]);
  });

  it('keeps db/, markdown/, urls.ts and forms.ts free of any domain', () => {
    const foundation = new Set(['db/', 'markdown/', 'urls.ts', 'forms.ts', 'errors.ts', 'config.ts', 'paths.ts', 'migrations/ (outside server/)']);
    const reaching = edges
      .filter(({ from, to }) => ['db/', 'markdown/', 'urls.ts', 'forms.ts'].includes(unitOf(from)) && !foundation.has(unitOf(to)))
      .map(({ from, to }) => `${from} → ${to}`);
    expect(reaching).toEqual([]);
  });

  it('would notice a cycle: the finder reports a loop of three and a direct pair, not a chain', () => {
    const graph = (pairs: [string, string][]) => {
      const g = new Map<string, Set<string>>();
      for (const [a, b] of pairs) g.set(a, (g.get(a) ?? new Set()).add(b));
      return g;
    };
    expect(cycles(graph([['a', 'b'], ['b', 'c'], ['c', 'a'], ['c', 'd']]))).toEqual([['a', 'b', 'c']]);
    expect(cycles(graph([['x', 'y'], ['y', 'x']]))).toEqual([['x', 'y']]);
    expect(cycles(graph([['a', 'b'], ['b', 'c']]))).toEqual([]);
  });
});
