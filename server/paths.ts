// Where the project's files are, whether this code runs from server/ (tsx) or from dist/server/
// (compiled, what `npm start` runs): the folder that holds package.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${from}`);
    dir = parent;
  }
  return dir;
}

export const ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const VIEWS_DIR = path.join(ROOT, 'views');
export const STATIC_DIR = path.join(ROOT, 'static');
export const SERVER_SOURCE_DIR = path.join(ROOT, 'server');
