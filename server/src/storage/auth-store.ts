/**
 * Persistence for authentication: users, one-time codes, sessions, API clients, the replay cache
 * and rate-limit counters.
 *
 * Everything that must hold across several server nodes lives here, not in memory: a PostgreSQL
 * backend implements the same interface and the same atomic operations (each "once" method is one
 * conditional UPDATE/INSERT whose row count decides, so two nodes racing on the same code,
 * signature or counter get exactly one winner). Times are ms since epoch, passed in by the caller
 * so the server's injectable clock governs expiry. Secrets never reach this interface in plain
 * text: codes arrive as HMACs, refresh tokens and client secrets as SHA-256 hashes (hex).
 */

export interface UserRecord {
  /** `usr-…` for email-login users; the `sub` chosen by an API client for the users it mints. */
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
  /**
   * Who minted this user: an API client id (`cli-…`), `provider:<name>` for a webhook or JWKS
   * provider, or null for an email-login user.
   */
  readonly clientId: string | null;
  readonly createdAt: number;
  /** When the user was disabled (no login, no refresh, sessions revoked), or null. */
  readonly disabledAt: number | null;
}

export interface OtpChallengeRecord {
  readonly id: string;
  /** Normalized (trimmed, lower-case) address the code was sent to. */
  readonly email: string;
  /** Hex HMAC-SHA-256 of `id ‖ code` under the server's pepper. */
  readonly codeMac: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Verification attempts counted so far, including the one that returned this record. */
  readonly attempts: number;
}

export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  /** Set when an API client minted the session. */
  readonly clientId: string | null;
  /** PEM SPKI public key the refresh signature must verify with; null when no refresh token exists. */
  readonly publicKeyPem: string | null;
  /** Hex SHA-256 of the current refresh token; null for access-only sessions. */
  readonly refreshTokenHash: string | null;
  /**
   * RFC 7638 SHA-256 thumbprint (base64url) of the key whose DPoP-shaped proofs refresh this
   * session; null for the legacy signature. Such sessions rotate their refresh token on every use.
   */
  readonly proofKeyThumbprint: string | null;
  readonly createdAt: number;
  /** Absolute end of the session (never extended by refreshing). */
  readonly expiresAt: number;
  /** Last login or refresh, for the idle expiry. */
  readonly lastUsedAt: number;
  readonly revokedAt: number | null;
}

/** A refresh token that was rotated away: presenting it again after the grace window is reuse. */
export interface SupersededRefreshToken {
  readonly sessionId: string;
  readonly supersededAt: number;
  /**
   * The token that replaced it, sealed (AES-256-GCM under a key derived from the server's signing
   * key, which the database does not hold), so an honest retry inside the grace window gets the
   * same successor instead of a second one.
   */
  readonly successorSealed: string;
}

export interface ApiClientRecord {
  readonly id: string;
  readonly name: string;
  /** Hex SHA-256 of the 256-bit random secret. */
  readonly secretHash: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface AuthStore {
  /** The email-login user for `email`, created with `candidate` if none exists yet (atomic). */
  userForEmail(email: string, candidate: { id: string; name: string; createdAt: number }): Promise<UserRecord>;
  /**
   * The user `sub` minted by API client `clientId`, created or updated with the given email and
   * name. Returns `'taken'` (and changes nothing) when `sub` already belongs to another client or
   * to an email-login user.
   */
  userForClient(
    clientId: string,
    sub: string,
    claims: { email: string | null; name: string | null },
    now: number,
  ): Promise<UserRecord | 'taken'>;
  getUser(id: string): Promise<UserRecord | undefined>;
  /** Set or clear a user's `disabledAt`; false when the user does not exist. */
  setUserDisabled(id: string, disabledAt: number | null): Promise<boolean>;

  /** Store a new code challenge and void every earlier challenge for the same email (one transaction). */
  issueOtp(challenge: Omit<OtpChallengeRecord, 'attempts'>): Promise<void>;
  /**
   * Count one verification attempt at challenge `id`, atomically. Returns the challenge with its
   * new attempt count, or undefined when it does not exist, has expired, was consumed, or already
   * had `maxAttempts` attempts (so the attempt after the cap is refused even if the code is right).
   */
  countOtpAttempt(id: string, now: number, maxAttempts: number): Promise<OtpChallengeRecord | undefined>;
  /** Mark challenge `id` used. True for exactly one caller; false if it was already used or is gone. */
  consumeOtp(id: string, now: number): Promise<boolean>;

  createSession(session: Omit<SessionRecord, 'revokedAt' | 'lastUsedAt'>): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  findSessionByRefreshTokenHash(hash: string): Promise<SessionRecord | undefined>;
  /** Record a refresh of session `id` (legacy proof, no rotation) for the idle expiry. */
  touchSession(id: string, now: number): Promise<void>;
  /**
   * Rotate the refresh token of session `id` from `oldHash` to `newHash`, atomically: true for
   * exactly one caller, and only while `oldHash` is current and the session is not revoked. The
   * winner also sets `lastUsedAt = now` and records `oldHash` as superseded at `now` together with
   * `successorSealed`.
   */
  rotateRefreshToken(id: string, oldHash: string, newHash: string, successorSealed: string, now: number): Promise<boolean>;
  /** The session a rotated-away refresh token belonged to, and when it was superseded. */
  findSupersededRefreshToken(hash: string): Promise<SupersededRefreshToken | undefined>;
  /** Revoke one session; true if it existed and was live. */
  revokeSession(id: string, now: number): Promise<boolean>;
  /** Revoke every live session of a user; returns how many were revoked. */
  revokeUserSessions(userId: string, now: number): Promise<number>;

  createApiClient(client: Omit<ApiClientRecord, 'revokedAt'>): Promise<void>;
  getApiClient(id: string): Promise<ApiClientRecord | undefined>;

  /**
   * Remember `key` until `expiresAt`. True the first time (across all nodes), false while the key
   * is remembered: the replay cache for refresh signatures.
   */
  rememberOnce(key: string, expiresAt: number, now: number): Promise<boolean>;
  /**
   * Count one hit on the fixed window `[windowStart, windowStart + windowMs)` of counter `key`,
   * atomically, and return the count including this hit.
   */
  countHit(key: string, windowStart: number, windowMs: number): Promise<number>;

  /**
   * Delete expired challenges, replay entries, counters and sessions, and the superseded refresh
   * tokens of deleted sessions. Idempotent, any node.
   */
  purgeExpired(now: number): Promise<void>;
}
