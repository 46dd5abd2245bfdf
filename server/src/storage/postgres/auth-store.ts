/**
 * The AuthStore on PostgreSQL, shared by every node. Each "once" operation is one conditional
 * statement (UPDATE … RETURNING, INSERT … ON CONFLICT) whose row count decides, so two nodes racing
 * on the same code, signature or rate counter get exactly one winner; PostgreSQL's row locks make
 * the loser wait for the winner's commit and then see its effect.
 */
import { toApiClient, toOtp, toSession, toUser, type ApiClientRow, type OtpRow, type SessionRow, type UserRow } from '../auth-rows.js';
import type { AuthStore } from '../auth-store.js';
import { inTransaction, query, type PgPool } from './database.js';

/**
 * Same tables and columns as the SQLite backend, version for version: migration N here is SQLite's
 * migration N, which is what lets `dxc-server migrate` copy a store 1:1 after comparing versions.
 */
export const AUTH_MIGRATIONS: readonly string[] = [
  `CREATE TABLE auth_users (
     id TEXT PRIMARY KEY,
     -- Set for email-login users only, so one address maps to one such user; NULLs do not collide.
     login_email TEXT UNIQUE,
     email TEXT,
     name TEXT,
     client_id TEXT,
     created_at BIGINT NOT NULL
   );
   CREATE TABLE auth_otps (
     id TEXT PRIMARY KEY,
     email TEXT NOT NULL,
     code_mac TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     consumed_at BIGINT
   );
   CREATE INDEX auth_otps_email ON auth_otps (email);
   CREATE TABLE auth_sessions (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES auth_users (id),
     client_id TEXT,
     public_key_pem TEXT,
     refresh_token_hash TEXT UNIQUE,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     revoked_at BIGINT
   );
   CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
   CREATE TABLE auth_api_clients (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     revoked_at BIGINT
   );
   CREATE TABLE auth_once (
     key TEXT PRIMARY KEY,
     expires_at BIGINT NOT NULL
   );
   CREATE TABLE auth_rate_counters (
     key TEXT NOT NULL,
     window_start BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     count INTEGER NOT NULL,
     PRIMARY KEY (key, window_start)
   );`,
  // DPoP-bound sessions with rotation, idle expiry, disabled users.
  `ALTER TABLE auth_users ADD COLUMN disabled_at BIGINT;
   ALTER TABLE auth_sessions ADD COLUMN proof_jkt TEXT;
   ALTER TABLE auth_sessions ADD COLUMN last_used_at BIGINT;
   UPDATE auth_sessions SET last_used_at = created_at;
   CREATE TABLE auth_refresh_superseded (
     hash TEXT PRIMARY KEY,
     session_id TEXT NOT NULL,
     superseded_at BIGINT NOT NULL,
     successor_sealed TEXT NOT NULL
   );
   CREATE INDEX auth_refresh_superseded_session ON auth_refresh_superseded (session_id);`,
];

export function createPgAuthStore(pool: PgPool): AuthStore {
  const one = async <R extends object>(text: string, values: unknown[]): Promise<R | undefined> =>
    (await query<R & Record<string, unknown>>(pool, text, values)).rows[0];
  const count = async (text: string, values: unknown[]): Promise<number> => (await query(pool, text, values)).rowCount ?? 0;

  return {
    async userForEmail(email, candidate) {
      // DO NOTHING waits for a concurrent insert of the same address to commit, so the SELECT
      // (a new statement, a new snapshot) always finds the one user both callers share.
      await query(
        pool,
        `INSERT INTO auth_users (id, login_email, email, name, client_id, created_at)
         VALUES ($1, $2, $2, $3, NULL, $4) ON CONFLICT (login_email) DO NOTHING`,
        [candidate.id, email, candidate.name, candidate.createdAt],
      );
      return toUser((await one<UserRow>('SELECT * FROM auth_users WHERE login_email = $1', [email]))!);
    },
    async userForClient(clientId, sub, claims, now) {
      await query(
        pool,
        `INSERT INTO auth_users (id, login_email, email, name, client_id, created_at)
         VALUES ($1, NULL, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name
         WHERE auth_users.client_id = excluded.client_id`,
        [sub, claims.email, claims.name, clientId, now],
      );
      const row = (await one<UserRow>('SELECT * FROM auth_users WHERE id = $1', [sub]))!;
      return row.client_id === clientId ? toUser(row) : 'taken';
    },
    async getUser(id) {
      const row = await one<UserRow>('SELECT * FROM auth_users WHERE id = $1', [id]);
      return row && toUser(row);
    },
    async setUserDisabled(id, disabledAt) {
      return (await count('UPDATE auth_users SET disabled_at = $1 WHERE id = $2', [disabledAt, id])) === 1;
    },
    async issueOtp(challenge) {
      await inTransaction(pool, async (client) => {
        await client.query('DELETE FROM auth_otps WHERE email = $1', [challenge.email]);
        await client.query(
          `INSERT INTO auth_otps (id, email, code_mac, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
          [challenge.id, challenge.email, challenge.codeMac, challenge.createdAt, challenge.expiresAt],
        );
      });
    },
    async countOtpAttempt(id, now, maxAttempts) {
      const row = await one<OtpRow>(
        `UPDATE auth_otps SET attempts = attempts + 1
         WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2 AND attempts < $3
         RETURNING *`,
        [id, now, maxAttempts],
      );
      return row && toOtp(row);
    },
    async consumeOtp(id, now) {
      return (
        (await count('UPDATE auth_otps SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2', [
          id,
          now,
        ])) === 1
      );
    },
    async createSession(session) {
      await query(
        pool,
        `INSERT INTO auth_sessions
           (id, user_id, client_id, public_key_pem, refresh_token_hash, proof_jkt, created_at, expires_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)`,
        [
          session.id,
          session.userId,
          session.clientId,
          session.publicKeyPem,
          session.refreshTokenHash,
          session.proofKeyThumbprint,
          session.createdAt,
          session.expiresAt,
        ],
      );
    },
    async getSession(id) {
      const row = await one<SessionRow>('SELECT * FROM auth_sessions WHERE id = $1', [id]);
      return row && toSession(row);
    },
    async findSessionByRefreshTokenHash(hash) {
      const row = await one<SessionRow>('SELECT * FROM auth_sessions WHERE refresh_token_hash = $1', [hash]);
      return row && toSession(row);
    },
    async touchSession(id, now) {
      await query(pool, 'UPDATE auth_sessions SET last_used_at = $1 WHERE id = $2 AND last_used_at < $1', [now, id]);
    },
    async rotateRefreshToken(id, oldHash, newHash, successorSealed, now) {
      // The conditional UPDATE row-locks the session: a racing rotation (on any node) waits, then
      // finds the hash changed and loses; only the winner records the old hash as superseded.
      return inTransaction(pool, async (client) => {
        const rotated = await client.query(
          `UPDATE auth_sessions SET refresh_token_hash = $1, last_used_at = $2
           WHERE id = $3 AND refresh_token_hash = $4 AND revoked_at IS NULL`,
          [newHash, now, id, oldHash],
        );
        if (rotated.rowCount !== 1) return false;
        await client.query(
          `INSERT INTO auth_refresh_superseded (hash, session_id, superseded_at, successor_sealed) VALUES ($1, $2, $3, $4)`,
          [oldHash, id, now, successorSealed],
        );
        return true;
      });
    },
    async findSupersededRefreshToken(hash) {
      const row = await one<{ session_id: string; superseded_at: number; successor_sealed: string }>(
        'SELECT session_id, superseded_at, successor_sealed FROM auth_refresh_superseded WHERE hash = $1',
        [hash],
      );
      return row && { sessionId: row.session_id, supersededAt: row.superseded_at, successorSealed: row.successor_sealed };
    },
    async revokeSession(id, now) {
      return (await count('UPDATE auth_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, id])) === 1;
    },
    async revokeUserSessions(userId, now) {
      return count('UPDATE auth_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL', [now, userId]);
    },
    async createApiClient(client) {
      await query(pool, 'INSERT INTO auth_api_clients (id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4)', [
        client.id,
        client.name,
        client.secretHash,
        client.createdAt,
      ]);
    },
    async getApiClient(id) {
      const row = await one<ApiClientRow>('SELECT * FROM auth_api_clients WHERE id = $1', [id]);
      return row && toApiClient(row);
    },
    async rememberOnce(key, expiresAt, now) {
      // An expired entry is replaced in the same statement, so a stale key never blocks a new one.
      return (
        (await count(
          `INSERT INTO auth_once (key, expires_at) VALUES ($1, $2)
           ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE auth_once.expires_at <= $3`,
          [key, expiresAt, now],
        )) === 1
      );
    },
    async countHit(key, windowStart, windowMs) {
      const row = await one<{ count: number }>(
        `INSERT INTO auth_rate_counters (key, window_start, expires_at, count) VALUES ($1, $2, $3, 1)
         ON CONFLICT (key, window_start) DO UPDATE SET count = auth_rate_counters.count + 1
         RETURNING count`,
        [key, windowStart, windowStart + windowMs],
      );
      return row!.count;
    },
    async purgeExpired(now) {
      await inTransaction(pool, async (client) => {
        await client.query('DELETE FROM auth_otps WHERE expires_at <= $1', [now]);
        await client.query('DELETE FROM auth_once WHERE expires_at <= $1', [now]);
        await client.query('DELETE FROM auth_rate_counters WHERE expires_at <= $1', [now]);
        await client.query('DELETE FROM auth_sessions WHERE expires_at <= $1', [now]);
        await client.query(
          'DELETE FROM auth_refresh_superseded s WHERE NOT EXISTS (SELECT 1 FROM auth_sessions WHERE id = s.session_id)',
        );
      });
    },
  };
}
