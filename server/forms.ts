// Plain HTML forms, the one home of their small rules: reading a field as text whatever the body holds,
// carrying errors (field id → message) to the template (which shows them beside the fields and in a
// summary), and every one-line pattern a form or an address is checked against (handles, project and
// post slugs, email addresses). Imports nothing of ours, so any domain, urls.ts and the CLI may use it.

/**
 * A form's problems, field → message, in the order of the fields: the one shape a route hands its template,
 * whose partials (views/partials/forms/) show each beside its field and list them all in the error summary.
 * A key is the field's id, or a name the template maps to an id (the summary's `ids`, e.g. title → post-title).
 */
export type FormErrors = Record<string, string>;

export type FormBody = Record<string, unknown> | undefined | null;

// ---------------------------------------------------------------- patterns

/** A project's slug: its address (/info-sharing-taskforce/). */
export const PROJECT_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** A person's handle (/people/amira-hassan). */
export const HANDLE_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** A post's slug as the editor lets one be chosen. */
export const POST_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/;

/**
 * A post slug worth looking up in the database: the same characters and length as POST_SLUG_PATTERN but
 * any hyphens, so a stored slug made before that rule (or kept by an import) is still found; anything
 * else is a 404 without a query.
 */
export const POST_SLUG_LOOKUP_PATTERN = /^[a-z0-9-]{1,100}$/;

/** An email address as people type one: something@host.tld, none of the characters that never belong. */
export const EMAIL_PATTERN = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;.]+$/;

// ---------------------------------------------------------------- readers

// Control characters (PostgreSQL text cannot hold NUL at all); newlines and tabs stay.
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** A form value as text: non-strings (missing, sent twice) become '', control characters are dropped. Not trimmed. */
export function formText(v: unknown): string {
  return typeof v === 'string' ? v.replace(CONTROL_CHARS, '') : '';
}

/** A text field of a body as typed (formText). Not trimmed: the form is re-shown as typed. */
export function text(body: FormBody, name: string): string {
  return formText(body && typeof body === 'object' ? body[name] : undefined);
}

export function checkbox(body: FormBody, name: string): boolean {
  const value = body && typeof body === 'object' ? body[name] : undefined;
  return value === 'on' || value === 'true' || value === '1' || (Array.isArray(value) && value.length > 0);
}

export function hasErrors(errors: FormErrors): boolean {
  return Object.keys(errors).length > 0;
}

export function emailProblem(email: string): string | undefined {
  if (!email) return 'Enter an email address.';
  if (email.length > 254 || !EMAIL_PATTERN.test(email)) return 'Enter an email address like name@example.gov.';
  return undefined;
}

/** Whole number in a range, or an error message. */
export function wholeNumber(value: string, min: number, max: number): { value?: number; error?: string } {
  const v = value.trim();
  if (!/^\d{1,9}$/.test(v)) return { error: `Enter a whole number from ${min} to ${max}.` };
  const n = Number(v);
  if (n < min || n > max) return { error: `Enter a whole number from ${min} to ${max}.` };
  return { value: n };
}
