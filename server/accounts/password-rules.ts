// The password rules, and nothing more: at least 12 characters, at most 200 (argon2 does not need a
// cap, but a megabyte "password" is a denial of service), and not one of the most common passwords.
// No composition rules (NIST SP 800-63B). The list, server/auth/common-passwords.txt, is the 10,000
// most common passwords of @zxcvbn-ts/language-common 4.1.3 (MIT), lowercased, plus every entry of
// that package's full list with 12 or more characters; compared case-insensitively.
import fs from 'node:fs';
import path from 'node:path';
import { SERVER_SOURCE_DIR } from '../paths.js';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 200;

// Read from the source tree (also when running compiled from dist/).
const LIST_FILE = path.join(SERVER_SOURCE_DIR, 'auth', 'common-passwords.txt');
let common: Set<string> | undefined;

function commonPasswords(): Set<string> {
  common ??= new Set(fs.readFileSync(LIST_FILE, 'utf8').split('\n').filter(Boolean));
  return common;
}

export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.toLowerCase());
}

/** The problem with a new password, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters. A few ordinary words in a row make a good password.`;
  if (length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (isCommonPassword(password)) return 'That password is one of the most common ones, so it is easy to guess. Choose another.';
  return undefined;
}
