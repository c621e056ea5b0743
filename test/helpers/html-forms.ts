// Reading forms out of pages over real HTTP, as a browser would: for tests that talk to a running server
// (processes, load balancers) rather than through app.inject.

/** The hidden fields of one form's HTML, unescaped. */
export function hiddenFields(formHtml: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of formHtml.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1];
    if (name) fields[name] = (value ?? '').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
  }
  return fields;
}

/** The hidden fields of the form in `html` whose action (its path; a #fragment aside) ends with `action`. */
export function formOn(html: string, action: string): Record<string, string> {
  for (const m of html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    if (m[1]!.split('#')[0]!.endsWith(action)) return hiddenFields(m[2]!);
  }
  throw new Error(`no form posting to …${action}`);
}

/** A post page's comment form: its hidden fields and the cookies the page set, ready to post. */
export async function readCommentForm(base: string, postPath: string): Promise<{ cookie: string; fields: Record<string, string> }> {
  const page = await fetch(base + postPath);
  const html = await page.text();
  return { cookie: page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), fields: formOn(html, '/comments') };
}
