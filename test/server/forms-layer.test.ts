// One forms layer (issue 15, item 5): the markup of a field's error state and of a form's error summary is
// written only by the partials in views/partials/forms/ (field, checkbox, choices, error-message,
// error-summary). A template that writes `aria-invalid`, a `field-error` or `has-error` class, or an
// `error-summary` of its own starts a second system beside them, and this test names it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VIEWS = path.join(ROOT, 'views');
const FORMS = path.join(VIEWS, 'partials', 'forms');

/** The words of a field's error state and of an error summary, wherever they are written (markup or a string). */
const ERROR_MARKUP = /aria-invalid|field-error|has-error|error-summary/g;

/**
 * The one place outside the partials allowed to name one of those words, and why: the layout reads the
 * rendered body for an error summary to put "Error: " in the page's title; it writes none.
 */
const ALLOWED = new Map([['views/layouts/main.eta', [`it.body.includes('class="error-summary"')`]]]);

function templates(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? templates(full) : e.name.endsWith('.eta') ? [full] : [];
  });
}

/** "file:line: text" for each line of a template outside views/partials/forms/ that writes error markup. */
function errorMarkupOutsideFormsPartials(): string[] {
  const found: string[] = [];
  for (const file of templates(VIEWS)) {
    if (file.startsWith(FORMS + path.sep)) continue;
    const rel = path.relative(ROOT, file).split(path.sep).join('/');
    fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      // An include of the partials names them by path ('/partials/forms/error-summary'): that is using the layer.
      let rest = line.replace(/include\('\/partials\/forms\/[a-z-]+'/g, '');
      for (const allowed of ALLOWED.get(rel) ?? []) rest = rest.replace(allowed, '');
      if (ERROR_MARKUP.test(rest)) found.push(`${rel}:${i + 1}: ${line.trim()}`);
      ERROR_MARKUP.lastIndex = 0;
    });
  }
  return found;
}

describe('one forms layer', () => {
  it('writes error states and error summaries only in views/partials/forms/', () => {
    expect(errorMarkupOutsideFormsPartials()).toEqual([]);
  });

  it('has the partials every form template includes, and nothing else of the kind', () => {
    expect(fs.readdirSync(FORMS).sort()).toEqual(['checkbox.eta', 'choices.eta', 'error-message.eta', 'error-summary.eta', 'field.eta']);
    // The editor's private field partials are gone: one system, not two.
    for (const gone of ['error-summary', 'field-attrs', 'field-error', 'alt-fields']) {
      expect(fs.existsSync(path.join(VIEWS, 'pages', 'editor', `${gone}.eta`)), gone).toBe(false);
    }
  });
});
