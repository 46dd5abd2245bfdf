/**
 * Structured logs through pino. Token-bearing fields are redacted by path, and request URLs are
 * logged without their query string because the Dexie protocol puts the access token in
 * `/changes?token=` (the one place the protocol forces a secret into a URL).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'token',
  'accessToken',
  'refreshToken',
  'refresh_token',
  'client_secret',
  'otp',
  'signature',
  'authorization',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.refresh_token',
  '*.client_secret',
  '*.otp',
  '*.signature',
  '*.authorization',
  'req.headers.authorization',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination as never);
}

/** A URL's path without its query (which may hold a token). */
export function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
