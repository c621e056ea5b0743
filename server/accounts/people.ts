// Adding people: validation and creation shared by the web UI (site admins, project owners) and the
// admin CLI. A new person has no password; they set one with a one-time link.
import type { Db, Tx } from '../db/create-db.js';
import type { Role } from '../db/schema.js';
import { slugify } from '../urls.js';
import { type FormErrors, HANDLE_PATTERN, emailProblem } from '../forms.js';
import { insertPersonRow, isEmailTaken, isHandleTaken } from './queries.js';
import { issuePasswordToken } from './tokens.js';

export const ROLES: readonly Role[] = ['owner', 'editor', 'author', 'contributor', 'moderator'];
export const MAX_BIO_LENGTH = 500;

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export interface NewPersonInput {
  email: string;
  displayName: string;
  /** Empty: suggested from the display name. */
  handle: string;
  siteAdmin?: boolean;
}

export function displayNameProblem(name: string): string | undefined {
  const n = name.trim();
  if (!n) return 'Enter a name.';
  if (n.length > 100) return 'Use at most 100 characters.';
  return undefined;
}

export async function handleProblem(db: Db, handle: string, exceptPersonId?: number): Promise<string | undefined> {
  if (!HANDLE_PATTERN.test(handle)) return 'Use 1 to 40 lowercase letters, digits and hyphens, not starting or ending with a hyphen.';
  if (await isHandleTaken(db, handle, exceptPersonId)) return 'Someone else has this handle. Choose another.';
  return undefined;
}

/** Field errors for a new person (keys: email, displayName, handle). */
export async function validateNewPerson(db: Db, input: NewPersonInput): Promise<FormErrors> {
  const errors: FormErrors = {};
  const email = input.email.trim().toLowerCase();
  const emailError = emailProblem(email);
  if (emailError) errors.email = emailError;
  else if (await isEmailTaken(db, email)) errors.email = 'Someone with this email address is already registered.';
  const nameError = displayNameProblem(input.displayName);
  if (nameError) errors.displayName = nameError;
  const handle = input.handle.trim();
  if (handle) {
    const handleError = await handleProblem(db, handle);
    if (handleError) errors.handle = handleError;
  }
  return errors;
}

/** A free handle made from a name: amira-hassan, amira-hassan-2, … */
export async function suggestHandle(db: Db, displayName: string): Promise<string> {
  const base = slugify(displayName, 36) || 'person';
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!(await isHandleTaken(db, candidate))) return candidate;
  }
}

/** Creates a validated person (no password yet). */
export async function insertPerson(db: Db | Tx, input: NewPersonInput, handle: string, now: Date, passwordHash: string | null = null) {
  return insertPersonRow(db, {
    email: input.email.trim().toLowerCase(),
    displayName: input.displayName.trim(),
    handle,
    isSiteAdmin: input.siteAdmin ?? false,
    passwordHash,
  }, now);
}

/** Creates a validated person and a one-time set-password link token for them. */
export async function createPersonWithLink(db: Db, input: NewPersonInput, createdBy: number | null, now: Date) {
  const handle = input.handle.trim() || (await suggestHandle(db, input.displayName));
  return db.transaction().execute(async (tx) => {
    const person = await insertPerson(tx, input, handle, now);
    const { token, expiresAt } = await issuePasswordToken(tx, person.id, createdBy, now);
    return { personId: person.id, handle: person.handle, token, expiresAt };
  });
}
