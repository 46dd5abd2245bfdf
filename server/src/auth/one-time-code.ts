/**
 * One-time codes: drawn from the CSPRNG, stored only as HMAC(pepper, otp_id ‖ code) and compared
 * in constant time, so a copy of the database reveals no usable code.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { OTP_DIGITS } from './auth-limits.js';

/** A fresh code of OTP_DIGITS decimal digits, uniformly distributed (crypto.randomInt). */
export function generateCode(): string {
  return String(randomInt(0, 10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
}

/** The hex MAC stored for a code. `otpId` has a fixed length, so plain concatenation is unambiguous. */
export function codeMac(pepper: Buffer, otpId: string, code: string): string {
  return createHmac('sha256', pepper).update(`${otpId}${code}`, 'utf8').digest('hex');
}

/** What the user typed, without the spaces or dashes a mail client may add when copying. */
export function normalizeSubmittedCode(input: string): string {
  return input.replace(/[\s-]/g, '');
}

/** Constant-time comparison of a submitted code against the stored MAC. */
export function codeMatches(pepper: Buffer, otpId: string, submitted: string, storedMac: string): boolean {
  const expected = Buffer.from(storedMac, 'hex');
  const actual = Buffer.from(codeMac(pepper, otpId, normalizeSubmittedCode(submitted)), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** `12345678` → `1234 5678`, easier to read and type from a mail. */
export function formatCode(code: string): string {
  return code.length === 8 ? `${code.slice(0, 4)} ${code.slice(4)}` : code;
}
