// Templates read named view models, not rows (issue 15, item 6): no one-letter keys (`it.p`, `it.pg`,
// `it.f`, `it.E`…), no snake_case column names, and raw output (`<%~ %>`) only of an include, the layout's
// body, or a field whose name says it is trusted HTML (`…HtmlTrusted`, made safe where it is built: the
// one sanitizing renderer, or escaping then adding known tags). It checks every template under views/.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VIEWS_DIR } from '../../server/paths.js';

/** Raw outputs that are not a model's field: the layout's body and its extra <meta> (built by a page from an ISO date). */
const RAW_ALLOWED = new Set(['it.body', 'it.ogExtra']);

/** What a template does wrong, one line each ("line N: …"); [] when it reads only view models. */
function viewModelProblems(template: string): string[] {
  const problems: string[] = [];
  // Only the code between the tags is read: page text may well contain an underscore or "it.p".
  for (const tag of template.matchAll(/<%([~=]?)([\s\S]*?)%>/g)) {
    const [, kind, raw] = tag;
    const code = raw!.startsWith('/*') ? '' : raw!; // a comment
    const line = template.slice(0, tag.index).split('\n').length;
    const shortKey = /\bit\.(p|pg|f|E|c|r)\b/.exec(code);
    if (shortKey) problems.push(`line ${line}: one-letter key ${shortKey[0]}`);
    // A property read with an underscore in a lower-case name (a column name), outside string literals.
    const outsideStrings = code.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
    const snake = /\.([a-z][a-z0-9]*_[a-z0-9_]*)\b/.exec(outsideStrings);
    if (snake) problems.push(`line ${line}: snake_case field .${snake[1]}`);
    if (kind === '~') {
      const expr = code.trim();
      const fine = expr.startsWith('include(') || RAW_ALLOWED.has(expr) || /^[\w.]+HtmlTrusted$/.test(expr);
      if (!fine) problems.push(`line ${line}: raw output of ${expr} (name trusted HTML …HtmlTrusted)`);
    }
  }
  return problems;
}

function allTemplates(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allTemplates(join(dir, e.name)) : e.name.endsWith('.eta') ? [relative(VIEWS_DIR, join(dir, e.name))] : []));
}

describe('templates read view models', () => {
  it('finds one-letter keys, column names and untrusted raw output', () => {
    expect(viewModelProblems('<h1><%= it.p.title %></h1>')).toEqual(['line 1: one-letter key it.p']);
    expect(viewModelProblems('<%= it.pg.title %>\n<% if (it.E.title) { %>')).toEqual(['line 1: one-letter key it.pg', 'line 2: one-letter key it.E']);
    expect(viewModelProblems('<time><%= it.isoDate(it.page.updated_at) %></time>')).toEqual(['line 1: snake_case field .updated_at']);
    expect(viewModelProblems('<div><%~ it.post.body_html %></div>')).toEqual(['line 1: snake_case field .body_html', 'line 1: raw output of it.post.body_html (name trusted HTML …HtmlTrusted)']);
    expect(viewModelProblems('<%~ it.comment.bodyHtml %>')).toEqual(['line 1: raw output of it.comment.bodyHtml (name trusted HTML …HtmlTrusted)']);
    // What is allowed: trusted fields, includes, the layout's body, column-like words in text and strings.
    expect(viewModelProblems("<%~ it.post.bodyHtmlTrusted %><%~ include('/partials/x', { ...it }) %><%~ it.body %>")).toEqual([]);
    expect(viewModelProblems('<p>SMTP_URL and it.p are words here</p><%= it.ok ? \'a_b\' : "c.d_e" %><%/* it.p.x */%>')).toEqual([]);
  });

  it.each(allTemplates(VIEWS_DIR))('%s reads only named view models', (file) => {
    expect(viewModelProblems(readFileSync(join(VIEWS_DIR, file), 'utf8'))).toEqual([]);
  });
});
