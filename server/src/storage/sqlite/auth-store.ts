/**
 * The AuthStore on SQLite. Every "once" operation is a single conditional statement (UPDATE …
 * RETURNING, INSERT … ON CONFLICT) so the row count decides the winner, exactly as the PostgreSQL
 * backend will across nodes.
 */
import { toApiClient, toOtp, toSession, toUser, type ApiClientRow, type OtpRow, type SessionRow, type UserRow } from '../auth-rows.js';
import type { AuthStore, OtpChallengeRecord } from '../auth-store.js';
import { migrate, type SqliteDatabase } from './database.js';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE auth_users (
     id TEXT PRIMARY KEY,
     -- Set for email-login users only, so one address maps to one such user; NULLs do not collide.
     login_email TEXT UNIQUE,
     email TEXT,
     name TEXT,
     client_id TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE auth_otps (
     id TEXT PRIMARY KEY,
     email TEXT NOT NULL,
     code_mac TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     consumed_at INTEGER
   );
   CREATE INDEX auth_otps_email ON auth_otps (email);
   CREATE TABLE auth_sessions (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL REFERENCES auth_users (id),
     client_id TEXT,
     public_key_pem TEXT,
     refresh_token_hash TEXT UNIQUE,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
   CREATE TABLE auth_api_clients (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE TABLE auth_once (
     key TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE auth_rate_counters (
     key TEXT NOT NULL,
     window_start INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     count INTEGER NOT NULL,
     PRIMARY KEY (key, window_start)
   );`,
  // Issue 8: DPoP-bound sessions with rotation, idle expiry, disabled users.
  `ALTER TABLE auth_users ADD COLUMN disabled_at INTEGER;
   ALTER TABLE auth_sessions ADD COLUMN proof_jkt TEXT;
   ALTER TABLE auth_sessions ADD COLUMN last_used_at INTEGER;
   UPDATE auth_sessions SET last_used_at = created_at;
   CREATE TABLE auth_refresh_superseded (
     hash TEXT PRIMARY KEY,
     session_id TEXT NOT NULL,
     superseded_at INTEGER NOT NULL,
     successor_sealed TEXT NOT NULL
   );
   CREATE INDEX auth_refresh_superseded_session ON auth_refresh_superseded (session_id);`,
];

export function createSqliteAuthStore(db: SqliteDatabase): AuthStore {
  migrate(db, 'auth', MIGRATIONS);
  const q = {
    insertEmailUser: db.prepare(
      `INSERT INTO auth_users (id, login_email, email, name, client_id, created_at)
       VALUES (@id, @email, @email, @name, NULL, @createdAt) ON CONFLICT (login_email) DO NOTHING`,
    ),
    userByLoginEmail: db.prepare('SELECT * FROM auth_users WHERE login_email = ?'),
    upsertClientUser: db.prepare(
      `INSERT INTO auth_users (id, login_email, email, name, client_id, created_at)
       VALUES (@id, NULL, @email, @name, @clientId, @now)
       ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name
       WHERE auth_users.client_id = excluded.client_id`,
    ),
    userById: db.prepare('SELECT * FROM auth_users WHERE id = ?'),
    deleteOtpsFor: db.prepare('DELETE FROM auth_otps WHERE email = ?'),
    insertOtp: db.prepare(
      `INSERT INTO auth_otps (id, email, code_mac, created_at, expires_at)
       VALUES (@id, @email, @codeMac, @createdAt, @expiresAt)`,
    ),
    countOtpAttempt: db.prepare(
      `UPDATE auth_otps SET attempts = attempts + 1
       WHERE id = @id AND consumed_at IS NULL AND expires_at > @now AND attempts < @maxAttempts
       RETURNING *`,
    ),
    consumeOtp: db.prepare(
      `UPDATE auth_otps SET consumed_at = @now WHERE id = @id AND consumed_at IS NULL AND expires_at > @now`,
    ),
    insertSession: db.prepare(
      `INSERT INTO auth_sessions
         (id, user_id, client_id, public_key_pem, refresh_token_hash, proof_jkt, created_at, expires_at, last_used_at)
       VALUES (@id, @userId, @clientId, @publicKeyPem, @refreshTokenHash, @proofKeyThumbprint, @createdAt, @expiresAt, @createdAt)`,
    ),
    setUserDisabled: db.prepare('UPDATE auth_users SET disabled_at = ? WHERE id = ?'),
    touchSession: db.prepare('UPDATE auth_sessions SET last_used_at = ? WHERE id = ? AND last_used_at < ?'),
    rotateRefresh: db.prepare(
      `UPDATE auth_sessions SET refresh_token_hash = @newHash, last_used_at = @now
       WHERE id = @id AND refresh_token_hash = @oldHash AND revoked_at IS NULL`,
    ),
    insertSuperseded: db.prepare(
      `INSERT INTO auth_refresh_superseded (hash, session_id, superseded_at, successor_sealed)
       VALUES (@oldHash, @id, @now, @successorSealed)`,
    ),
    supersededByHash: db.prepare('SELECT * FROM auth_refresh_superseded WHERE hash = ?'),
    purgeSuperseded: db.prepare(
      'DELETE FROM auth_refresh_superseded WHERE session_id NOT IN (SELECT id FROM auth_sessions)',
    ),
    sessionById: db.prepare('SELECT * FROM auth_sessions WHERE id = ?'),
    sessionByRefresh: db.prepare('SELECT * FROM auth_sessions WHERE refresh_token_hash = ?'),
    revokeSession: db.prepare('UPDATE auth_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    revokeUserSessions: db.prepare('UPDATE auth_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL'),
    insertApiClient: db.prepare(
      `INSERT INTO auth_api_clients (id, name, secret_hash, created_at) VALUES (@id, @name, @secretHash, @createdAt)`,
    ),
    apiClientById: db.prepare('SELECT * FROM auth_api_clients WHERE id = ?'),
    // An expired entry is replaced in the same statement, so a stale key never blocks a new one.
    rememberOnce: db.prepare(
      `INSERT INTO auth_once (key, expires_at) VALUES (@key, @expiresAt)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE auth_once.expires_at <= @now`,
    ),
    countHit: db.prepare(
      `INSERT INTO auth_rate_counters (key, window_start, expires_at, count) VALUES (@key, @windowStart, @expiresAt, 1)
       ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1
       RETURNING count`,
    ),
    purgeOtps: db.prepare('DELETE FROM auth_otps WHERE expires_at <= ?'),
    purgeOnce: db.prepare('DELETE FROM auth_once WHERE expires_at <= ?'),
    purgeCounters: db.prepare('DELETE FROM auth_rate_counters WHERE expires_at <= ?'),
    purgeSessions: db.prepare('DELETE FROM auth_sessions WHERE expires_at <= ?'),
  };
  const issueOtp = db.transaction((challenge: Omit<OtpChallengeRecord, 'attempts'>) => {
    q.deleteOtpsFor.run(challenge.email);
    q.insertOtp.run(challenge);
  });
  const purge = db.transaction((now: number) => {
    q.purgeOtps.run(now);
    q.purgeOnce.run(now);
    q.purgeCounters.run(now);
    q.purgeSessions.run(now);
    q.purgeSuperseded.run();
  });
  // One transaction: the conditional UPDATE picks the single winner, which alone records the old hash.
  const rotate = db.transaction((args: { id: string; oldHash: string; newHash: string; successorSealed: string; now: number }): boolean => {
    if (q.rotateRefresh.run(args).changes !== 1) return false;
    q.insertSuperseded.run(args);
    return true;
  });

  return {
    async userForEmail(email, candidate) {
      q.insertEmailUser.run({ id: candidate.id, email, name: candidate.name, createdAt: candidate.createdAt });
      return toUser(q.userByLoginEmail.get(email) as UserRow);
    },
    async userForClient(clientId, sub, claims, now) {
      q.upsertClientUser.run({ id: sub, email: claims.email, name: claims.name, clientId, now });
      const row = q.userById.get(sub) as UserRow;
      return row.client_id === clientId ? toUser(row) : 'taken';
    },
    async getUser(id) {
      const row = q.userById.get(id) as UserRow | undefined;
      return row && toUser(row);
    },
    async setUserDisabled(id, disabledAt) {
      return q.setUserDisabled.run(disabledAt, id).changes === 1;
    },
    async issueOtp(challenge) {
      issueOtp(challenge);
    },
    async countOtpAttempt(id, now, maxAttempts) {
      const row = q.countOtpAttempt.get({ id, now, maxAttempts }) as OtpRow | undefined;
      return row && toOtp(row);
    },
    async consumeOtp(id, now) {
      return q.consumeOtp.run({ id, now }).changes === 1;
    },
    async createSession(session) {
      q.insertSession.run(session);
    },
    async getSession(id) {
      const row = q.sessionById.get(id) as SessionRow | undefined;
      return row && toSession(row);
    },
    async findSessionByRefreshTokenHash(hash) {
      const row = q.sessionByRefresh.get(hash) as SessionRow | undefined;
      return row && toSession(row);
    },
    async touchSession(id, now) {
      q.touchSession.run(now, id, now);
    },
    async rotateRefreshToken(id, oldHash, newHash, successorSealed, now) {
      return rotate({ id, oldHash, newHash, successorSealed, now });
    },
    async findSupersededRefreshToken(hash) {
      const row = q.supersededByHash.get(hash) as
        | { session_id: string; superseded_at: number; successor_sealed: string }
        | undefined;
      return row && { sessionId: row.session_id, supersededAt: row.superseded_at, successorSealed: row.successor_sealed };
    },
    async revokeSession(id, now) {
      return q.revokeSession.run(now, id).changes === 1;
    },
    async revokeUserSessions(userId, now) {
      return q.revokeUserSessions.run(now, userId).changes;
    },
    async createApiClient(client) {
      q.insertApiClient.run(client);
    },
    async getApiClient(id) {
      const row = q.apiClientById.get(id) as ApiClientRow | undefined;
      return row && toApiClient(row);
    },
    async rememberOnce(key, expiresAt, now) {
      return q.rememberOnce.run({ key, expiresAt, now }).changes === 1;
    },
    async countHit(key, windowStart, windowMs) {
      const row = q.countHit.get({ key, windowStart, expiresAt: windowStart + windowMs }) as { count: number };
      return row.count;
    },
    async purgeExpired(now) {
      purge(now);
    },
  };
}
