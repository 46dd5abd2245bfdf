/**
 * Every number the authentication code enforces, named in one place (docs/authentication.md lists
 * them). Sources: NIST SP 800-63B, research/reliability.md (a) and (c).
 */
import { MAX_TOKEN_FIELD_LENGTH } from 'dxc/protocol';

/** Decimal digits of a one-time code (NIST requires at least 6). @default 8 */
export const OTP_DIGITS = 8;

/** Verification attempts per code; the attempt after the last one is refused even if right. @default 5 */
export const OTP_MAX_ATTEMPTS = 5;

/**
 * How far (ms) a refresh signature's `time_stamp` may be from the server clock, either way.
 * @default 60000 (±60 s)
 */
export const REFRESH_CLOCK_SKEW_MS = 60_000;

/** RSA modulus sizes (bits) accepted for a device public key: the addon sends 2048. */
export const MIN_RSA_MODULUS_BITS = 2048;
export const MAX_RSA_MODULUS_BITS = 4096;

/**
 * An `Authorization: Bearer <token>` header of `/logout` and the REST API; the token (group 1) is
 * at most MAX_TOKEN_FIELD_LENGTH (8192) characters, like a token field in a `/token` body.
 */
export const BEARER_HEADER_PATTERN = new RegExp(`^Bearer ([^\\s]{1,${MAX_TOKEN_FIELD_LENGTH}})$`);

/** Random bytes in a refresh token (256 bits). */
export const REFRESH_TOKEN_BYTES = 32;

/** Random bytes in an API client secret (256 bits). */
export const CLIENT_SECRET_BYTES = 32;

/** How often (ms) request handlers sweep expired codes, counters, replay entries and sessions. @default 60000 */
export const PURGE_INTERVAL_MS = 60_000;

/** A fixed-window rate limit: at most `limit` hits per `windowMs` per subject. */
export interface RateLimitRule {
  /** Counter namespace, also used in logs. */
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** OTP mails per email address: 5 per 15 minutes. */
export const OTP_SEND_PER_EMAIL: RateLimitRule = { name: 'otp-send-email', limit: 5, windowMs: 15 * MINUTE };

/** OTP mails per client IP: 30 per hour. */
export const OTP_SEND_PER_IP: RateLimitRule = { name: 'otp-send-ip', limit: 30, windowMs: HOUR };

/** OTP verification requests per client IP: 10 per minute. */
export const OTP_VERIFY_PER_IP: RateLimitRule = { name: 'otp-verify-ip', limit: 10, windowMs: MINUTE };

/** Refreshes per session: 360 per hour (one every 10 s on average). */
export const REFRESH_PER_SESSION: RateLimitRule = { name: 'refresh-session', limit: 360, windowMs: HOUR };

/**
 * `client_credentials` requests per API client: 50 per 5 seconds, i.e. 10/s on average with a
 * burst of 50 allowed inside one window.
 */
export const CLIENT_CREDENTIALS_PER_CLIENT: RateLimitRule = { name: 'client-credentials', limit: 50, windowMs: 5_000 };

// ---------------------------------------------------------------------------------------------
// DPoP-shaped proofs (dxc client only; RFC 9449 §4.3, research/reliability.md (a) rows 9–13)

/** JOSE `typ` of a proof, so no other JWT kind is accepted as one. */
export const DPOP_PROOF_TYPE = 'dpop+jwt';

/** Signature algorithms a proof may use: ES256, and RS256 so the addon-style RSA device key also works. */
export const DPOP_ALGORITHMS: readonly string[] = ['ES256', 'RS256'];

/** How far (ms) a proof's `iat` may lie in the past when it carries no server nonce. @default 60000 */
export const DPOP_IAT_PAST_MS = 60_000;

/** How far (ms) a proof's `iat` may lie in the future when it carries no server nonce (FAPI 2.0). @default 10000 */
export const DPOP_IAT_FUTURE_MS = 10_000;

/** Lifetime (ms) of a server nonce, measured on the server clock it embeds. @default 120000 */
export const DPOP_NONCE_TTL_MS = 120_000;

/** Characters of a proof's `jti` (RFC 9449 §11.1: refuse needlessly large ones). @default 64 */
export const DPOP_MAX_JTI_LENGTH = 64;

/**
 * Characters of a proof's `nonce`; longer ones are not this server's (it issues about 45) and are
 * refused before any HMAC work. @default 80
 */
export const DPOP_MAX_NONCE_LENGTH = 80;

/**
 * How long (ms) an accepted `jti` is remembered: longer than any proof could still be accepted
 * (a nonce's life plus both `iat` windows). @default 190000
 */
export const DPOP_JTI_RETENTION_MS = DPOP_NONCE_TTL_MS + DPOP_IAT_PAST_MS + DPOP_IAT_FUTURE_MS;

// ---------------------------------------------------------------------------------------------
// Refresh-token rotation and expiry (RFC 9700 §4.14.2, ASVS 10.4.5, 10.4.8)

/**
 * How long (ms) after a rotation the superseded refresh token still gets the *same* successor
 * (a lost response, or tabs racing) instead of counting as reuse. @default 30000
 */
export const REFRESH_REUSE_GRACE_MS = 30_000;

/**
 * A session not refreshed (nor logged into) for this long (ms) ends: the idle expiry, next to the
 * absolute `--refresh-ttl`. @default 2592000000 (30 days)
 */
export const REFRESH_IDLE_TTL_MS = 30 * 24 * 3_600_000;

// ---------------------------------------------------------------------------------------------
// Third-party token providers (webhook and JWKS)

/** Default time (ms) the server waits for an auth webhook or a JWKS fetch. @default 5000 */
export const PROVIDER_TIMEOUT_MS = 5_000;

/**
 * Longest `timeoutMs` (ms) auth-providers.json may set: a login waits this long at worst.
 * @default 60000
 */
export const PROVIDER_MAX_TIMEOUT_MS = 60_000;

/** Bytes of an auth webhook's answer; a longer answer is a refusal. @default 65536 (64 KiB) */
export const WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024;

/** Characters of a webhook secret (HMAC-SHA256 key); shorter secrets are refused at start. @default 32 */
export const WEBHOOK_MIN_SECRET_LENGTH = 32;

/** Clock tolerance (s) for a third-party JWT's `exp`/`nbf`/`iat` (RFC 8725: keep it small). @default 60 */
export const JWKS_CLOCK_TOLERANCE_SECONDS = 60;

/** Provider logins per client IP: 30 per minute. */
export const PROVIDER_LOGIN_PER_IP: RateLimitRule = { name: 'provider-login-ip', limit: 30, windowMs: MINUTE };
