/** Random identifiers and secrets (CSPRNG only) and the hash under which secrets are stored. */
import { createHash, randomBytes } from 'node:crypto';

/** `prefix` + 128 random bits in base64url: unguessable and collision-free in practice. */
export function randomId(prefix: string): string {
  return prefix + randomBytes(16).toString('base64url');
}

/** `bytes` random bytes as base64url. */
export function randomSecret(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Hex SHA-256. Enough for refresh tokens and client secrets because they carry 256 random bits
 * (a slow hash only helps with guessable secrets such as passwords).
 */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
