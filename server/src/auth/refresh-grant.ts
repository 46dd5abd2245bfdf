/**
 * The refresh grant, in the two proof modes a session was opened with.
 *
 * Legacy (the official addon): the client signs `refresh_token + time_stamp` with its RSA device
 * key (RSASSA-PKCS1-v1_5/SHA-256). Accepted only if the time stamp is within
 * REFRESH_CLOCK_SKEW_MS of the server clock and the same signature was never accepted before
 * (PKCS#1 v1.5 signatures are deterministic, so a replay repeats its signature). The refresh token
 * is not rotated: the addon keeps the first one it gets.
 *
 * Proof-bound (the dxc client): a DPoP-shaped proof by the bound key (dpop-proof.ts), and the
 * refresh token rotates on every use. A superseded token presented again inside
 * REFRESH_REUSE_GRACE_MS gets the same successor (tabs racing, a lost response); later, it is
 * reuse: the whole session (the token family) is revoked. Reuse counts only with a valid proof by
 * the bound key, so a thief holding an old token but not the key cannot log the user out.
 *
 * Both modes: the session must be live, within its absolute and idle expiry, and its user not
 * disabled. Every refusal of the token itself is a 401 `invalid-grant` (the addon cannot handle
 * `invalid-timestamp`); a malformed proof is a 400 `invalid-dpop-proof`.
 */
import type { RefreshTokenRequest, TokenFinalResponse } from 'dxc/protocol';
import { DxcHttpError } from '../errors.js';
import type { SessionRecord, SupersededRefreshToken, UserRecord } from '../storage/auth-store.js';
import {
  REFRESH_CLOCK_SKEW_MS,
  REFRESH_IDLE_TTL_MS,
  REFRESH_PER_SESSION,
  REFRESH_REUSE_GRACE_MS,
} from './auth-limits.js';
import { verifyDeviceSignature } from './device-key.js';
import { tokenHashForProof } from './dpop-proof.js';
import type { GrantContext, RequestOrigin } from './grant-context.js';
import { sha256Hex } from './random-ids.js';
import { enforceRateLimit } from './rate-limit.js';

export async function refreshTokens(
  g: GrantContext,
  request: RefreshTokenRequest,
  origin: RequestOrigin,
): Promise<TokenFinalResponse> {
  const { context, store } = g;
  const refused = (reason: string, sessionId?: string): DxcHttpError => {
    context.logger.warn({ event: 'auth.refresh_refused', reason, sessionId }, 'refresh refused');
    return new DxcHttpError('invalid-grant', 'The refresh token is not valid', 401);
  };
  const now = context.now();
  const tokenHash = sha256Hex(request.refresh_token);
  let session = await store.findSessionByRefreshTokenHash(tokenHash);
  let superseded: SupersededRefreshToken | undefined;
  if (!session) {
    superseded = await store.findSupersededRefreshToken(tokenHash);
    session = superseded && (await store.getSession(superseded.sessionId));
  }
  if (!session || (session.publicKeyPem === null && session.proofKeyThumbprint === null)) {
    throw refused('unknown refresh token');
  }
  if (session.revokedAt !== null) throw refused('session revoked', session.id);
  if (session.expiresAt <= now) throw refused('session expired', session.id);
  if (now - session.lastUsedAt > REFRESH_IDLE_TTL_MS) throw refused('session idle too long', session.id);
  await enforceRateLimit(store, REFRESH_PER_SESSION, session.id, now);
  const user = await store.getUser(session.userId);
  if (!user) throw refused('user gone', session.id);
  if (user.disabledAt !== null) throw refused('user disabled', session.id);

  if (session.proofKeyThumbprint !== null) {
    return refreshWithProof(g, { session, user, request, superseded, origin, refused });
  }

  // Legacy signature: a proof is no substitute here, since the session never saw the proof's key.
  if (request.signature === undefined || request.time_stamp === undefined) throw refused('legacy session needs a signature', session.id);
  if (Math.abs(now - request.time_stamp) > REFRESH_CLOCK_SKEW_MS) throw refused('time stamp out of range', session.id);
  const message = request.refresh_token + String(request.time_stamp);
  if (!verifyDeviceSignature(session.publicKeyPem!, message, request.signature)) {
    throw refused('bad signature', session.id);
  }
  // Remembered until no clock could still accept the time stamp it signs.
  const firstUse = await store.rememberOnce(
    `refresh-signature:${sha256Hex(request.signature)}`,
    Math.max(now, request.time_stamp) + 2 * REFRESH_CLOCK_SKEW_MS,
    now,
  );
  if (!firstUse) throw refused('replayed signature', session.id);
  await store.touchSession(session.id, now);
  context.logger.debug({ sessionId: session.id }, 'access token refreshed');
  return g.sessions.renew(session, user, request.refresh_token);
}

interface ProofRefresh {
  readonly session: SessionRecord;
  readonly user: UserRecord;
  readonly request: RefreshTokenRequest;
  readonly superseded: SupersededRefreshToken | undefined;
  readonly origin: RequestOrigin;
  readonly refused: (reason: string, sessionId?: string) => DxcHttpError;
}

async function refreshWithProof(g: GrantContext, r: ProofRefresh): Promise<TokenFinalResponse> {
  const { context, store, sessions } = g;
  const { session, user, request, refused } = r;
  if (request.proof === undefined) throw refused('proof-bound session needs a proof', session.id);
  const now = context.now();
  const { thumbprint } = await g.proofs.verify(
    request.proof,
    { urls: r.origin.tokenUrls, tokenHash: tokenHashForProof(request.refresh_token), requireNonce: true },
    now,
  );
  if (thumbprint !== session.proofKeyThumbprint) {
    context.logger.warn({ event: 'auth.refresh_foreign_key', sessionId: session.id }, 'refresh proof by a foreign key');
    throw refused('foreign key', session.id);
  }

  let superseded = r.superseded;
  if (superseded === undefined) {
    const rotated = await sessions.rotate(session, user, request.refresh_token);
    if (rotated) {
      context.logger.debug({ sessionId: session.id }, 'refresh token rotated');
      return rotated;
    }
    // Another request rotated this token between our read and our write: answer as it did.
    superseded = await store.findSupersededRefreshToken(sha256Hex(request.refresh_token));
    if (superseded === undefined) throw refused('rotation lost to a revocation', session.id);
  }

  if (now - superseded.supersededAt <= REFRESH_REUSE_GRACE_MS) {
    const current = await store.getSession(session.id);
    const successor = sessions.unseal(superseded.successorSealed);
    // Only while the successor is still the live token; an older one would now count as reuse.
    if (current && current.revokedAt === null && successor !== undefined && sha256Hex(successor) === current.refreshTokenHash) {
      context.logger.debug({ sessionId: session.id }, 'superseded refresh token inside the grace window');
      return sessions.renew(current, user, successor);
    }
    throw refused('superseded refresh token inside the grace window', session.id);
  }
  context.logger.warn({ event: 'auth.refresh_reuse', sessionId: session.id, userId: user.id }, 'refresh token reuse detected');
  await g.revocations.revokeSession(session.id, 'refresh token reuse');
  throw refused('reused refresh token', session.id);
}
