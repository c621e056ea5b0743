// What the subscribe form accepts as an address: exactly one plain address (no display name, no list,
// no comment, no line break), so nothing typed can add a header or a recipient to an email.
import { isPlainAddress } from '../config.js';

export type AddressCheck = { ok: true; address: string } | { ok: false; message: string };

export function checkAddress(raw: unknown): AddressCheck {
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: false, message: 'Enter your email address.' };
  if (/[\r\n\u0000-\u001f\u007f]/.test(raw)) return { ok: false, message: 'Enter one email address on one line, like name@example.org.' };
  const address = raw.trim();
  if (address.length > 254) return { ok: false, message: 'Enter an email address of at most 254 characters.' };
  if (/[,;<>\s"()]/.test(address)) return { ok: false, message: 'Enter just one email address, like name@example.org (no name, no list).' };
  if (!isPlainAddress(address)) return { ok: false, message: 'Enter an email address like name@example.org.' };
  return { ok: true, address: address.toLowerCase() };
}
