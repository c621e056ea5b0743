// Lists the classes the templates in views/ use that no rule in static/css styles (issue 14: ~40 of them
// had none). Run: npx tsx scripts/unstyled-classes.mts — prints one "class  template…" a line and exits 1
// when a class is neither styled nor one of the deliberate hooks below. test/server/unstyled-classes
// runs the same check.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Classes that name a region or a variant for tests, for the page's structure and for readers' own
 * style sheets, with no look of their own on purpose. Each must still be used (the test checks).
 */
export const HOOKS: Record<string, string> = {
  post: 'the article of a post (public page and editor preview)',
  'post-body': 'the rendered text of a post, inside .prose',
  'project-intro': "the top of a project's home page",
  'main-column': "the post list beside a project's sidebar",
  'static-page': "a project's own page",
  'search-results': 'the result list (styled as .post-list)',
  'moderation-queue': 'the queue list (styled as .plain-list)',
  'comment-form-area': 'the comment form region',
  'confirm-form': 'the form of a confirmation page',
  subscribe: "the footer's feed addresses",
  tags: 'the paragraph of a post’s .tag links',
  'comment-permalink': 'the date link of a comment',
  'status-closed': 'a closed project’s .status-note',
  'status-archived': 'an archived project’s .status-note',
  'response-': 'the kind of a response elsewhere (response-reply, response-mention…), styled as .response',
};

function filesUnder(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full, ext) : e.name.endsWith(ext) ? [full] : [];
  });
}

/** class → the templates using it. A class built from a template expression (status-<%= … %>) is kept as its prefix ending in "-". */
export function classesInViews(viewsDir = path.join(ROOT, 'views')): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of filesUnder(viewsDir, '.eta')) {
    const source = fs.readFileSync(file, 'utf8');
    for (const match of source.matchAll(/class="([^"]*)"/g)) {
      const names = match[1]!.replace(/<%[^]*?%>/g, ' ').split(/\s+/).filter(Boolean);
      for (const name of names) used.set(name, [...(used.get(name) ?? []), path.relative(ROOT, file)]);
    }
  }
  return used;
}

/** Every class a selector in the style sheets names. */
export function classesInCss(staticDir = path.join(ROOT, 'static')): Set<string> {
  const css = filesUnder(staticDir, '.css').map((f) => fs.readFileSync(f, 'utf8').replace(/\/\*[^]*?\*\//g, '')).join('\n');
  return new Set([...css.matchAll(/\.(-?[A-Za-z_][\w-]*)/g)].map((m) => m[1]!));
}

/** Classes used in views/ with no rule and not a deliberate hook. */
export function unstyledClasses(): Array<{ name: string; files: string[] }> {
  const styled = [...classesInCss()];
  const isStyled = (name: string) => (name.endsWith('-') ? styled.some((s) => s.startsWith(name)) : styled.includes(name));
  return [...classesInViews()]
    .filter(([name]) => !isStyled(name) && !(name in HOOKS))
    .map(([name, files]) => ({ name, files: [...new Set(files)] }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const missing = unstyledClasses();
  for (const { name, files } of missing) console.log(`${name}  ${files.join(' ')}`);
  console.log(missing.length === 0 ? 'Every class used in views/ is styled or a listed hook.' : `${missing.length} classes have no style.`);
  process.exitCode = missing.length === 0 ? 0 : 1;
}
