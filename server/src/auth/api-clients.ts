/**
 * API clients: the `client_id`/`client_secret` pairs an application's backend uses for the
 * `client_credentials` grant. The secret has 256 random bits, is shown once, and is stored only as
 * its SHA-256 hash, compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ApiClientRecord, AuthStore } from '../storage/auth-store.js';
import { CLIENT_SECRET_BYTES } from './auth-limits.js';
import { randomId, randomSecret, sha256Hex } from './random-ids.js';

export interface NewApiClient {
  readonly clientId: string;
  /** Shown once; only its hash is stored. */
  readonly clientSecret: string;
  readonly name: string;
}

export async function createApiClient(store: AuthStore, name: string, now: number): Promise<NewApiClient> {
  const clientId = randomId('cli-');
  const clientSecret = randomSecret(CLIENT_SECRET_BYTES);
  await store.createApiClient({ id: clientId, name, secretHash: sha256Hex(clientSecret), createdAt: now });
  return { clientId, clientSecret, name };
}

/** The live client whose secret matches, or undefined. */
export async function authenticateApiClient(
  store: AuthStore,
  clientId: string,
  clientSecret: string,
): Promise<ApiClientRecord | undefined> {
  const client = await store.getApiClient(clientId);
  const presented = Buffer.from(sha256Hex(clientSecret), 'hex');
  // Hash and compare even for an unknown id, so timing does not tell which ids exist.
  const stored = Buffer.from(client?.secretHash ?? sha256Hex(''), 'hex');
  const matches = stored.length === presented.length && timingSafeEqual(stored, presented);
  return matches && client && client.revokedAt === null ? client : undefined;
}
