/**
 * Fixed-window rate limiting over the AuthStore's counters, so limits hold across restarts and
 * across nodes sharing one database. A refused call is a 429 with `Retry-After` (seconds until the
 * window ends).
 */
import { createHash } from 'node:crypto';
import { DxcHttpError } from '../errors.js';
import type { AuthStore } from '../storage/auth-store.js';
import type { RateLimitRule } from './auth-limits.js';

/** Count one hit of `subject` under `rule`; throws DxcHttpError 429 when over the limit. */
export async function enforceRateLimit(
  store: AuthStore,
  rule: RateLimitRule,
  subject: string,
  now: number,
): Promise<void> {
  const windowStart = Math.floor(now / rule.windowMs) * rule.windowMs;
  // Subjects (emails, IPs) are hashed so the counters table holds no personal data.
  const key = `${rule.name}:${createHash('sha256').update(subject).digest('base64url').slice(0, 32)}`;
  const count = await store.countHit(key, windowStart, rule.windowMs);
  if (count > rule.limit) {
    const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + rule.windowMs - now) / 1000));
    throw new DxcHttpError('rate-limited', `Too many requests; retry in ${retryAfterSeconds} s`, 429, retryAfterSeconds);
  }
}
