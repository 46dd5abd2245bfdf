/**
 * Rows of the auth tables as both backends read them (same columns, same types: the PostgreSQL
 * backend parses BIGINT as a number), and their mapping to the AuthStore records.
 */
import type { ApiClientRecord, OtpChallengeRecord, SessionRecord, UserRecord } from './auth-store.js';

export interface UserRow {
  id: string;
  email: string | null;
  name: string | null;
  client_id: string | null;
  login_email: string | null;
  created_at: number;
  disabled_at: number | null;
}
export interface OtpRow {
  id: string;
  email: string;
  code_mac: string;
  created_at: number;
  expires_at: number;
  attempts: number;
}
export interface SessionRow {
  id: string;
  user_id: string;
  client_id: string | null;
  public_key_pem: string | null;
  refresh_token_hash: string | null;
  proof_jkt: string | null;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}
export interface ApiClientRow {
  id: string;
  name: string;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  name: row.name,
  clientId: row.client_id,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
});
export const toOtp = (row: OtpRow): OtpChallengeRecord => ({
  id: row.id,
  email: row.email,
  codeMac: row.code_mac,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  attempts: row.attempts,
});
export const toSession = (row: SessionRow): SessionRecord => ({
  id: row.id,
  userId: row.user_id,
  clientId: row.client_id,
  publicKeyPem: row.public_key_pem,
  refreshTokenHash: row.refresh_token_hash,
  proofKeyThumbprint: row.proof_jkt,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at ?? row.created_at,
  revokedAt: row.revoked_at,
});
export const toApiClient = (row: ApiClientRow): ApiClientRecord => ({
  id: row.id,
  name: row.name,
  secretHash: row.secret_hash,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});
