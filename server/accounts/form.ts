// Small helpers for plain HTML forms: read a field as a string whatever the body holds, and carry
// errors (field id → message) to the template, which shows them beside the fields and in a summary.
export type FormErrors = Record<string, string>;

export type FormBody = Record<string, unknown> | undefined | null;

/** A text field as typed ('' when missing or sent twice). Not trimmed: the form is re-shown as typed. */
export function text(body: FormBody, name: string): string {
  const value = body && typeof body === 'object' ? body[name] : undefined;
  return typeof value === 'string' ? value : '';
}

export function checkbox(body: FormBody, name: string): boolean {
  const value = body && typeof body === 'object' ? body[name] : undefined;
  return value === 'on' || value === 'true' || value === '1' || (Array.isArray(value) && value.length > 0);
}

export function hasErrors(errors: FormErrors): boolean {
  return Object.keys(errors).length > 0;
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

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
