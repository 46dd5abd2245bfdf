/**
 * Email addresses as login identifiers: trimmed and lower-cased so one mailbox maps to one user,
 * and checked strictly enough that nothing but an address (no CR/LF, no display name) reaches a
 * mail header.
 */
import { MAX_EMAIL_LENGTH } from 'dxc/protocol';
import { DxcHttpError } from '../errors.js';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const EMAIL = new RegExp(`^[A-Za-z0-9.!#$%&'*+/=?^_\`{|}~-]{1,64}@${LABEL}(?:\\.${LABEL})*$`);

/** The normalized address, or a 400 `invalid-request` when `input` is not an address. */
export function normalizeEmail(input: string): string {
  const email = input.trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) {
    throw new DxcHttpError('invalid-request', 'email is not a valid email address', 400);
  }
  return email;
}

/** Display name used until the user sets one: the address's local part. */
export function defaultName(email: string): string {
  return email.slice(0, email.indexOf('@'));
}
