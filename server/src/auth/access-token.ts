/**
 * Access tokens: short-lived JWTs (RFC 9068 `typ: at+jwt`) signed with the server's Ed25519 key.
 * Verification pins the algorithm, issuer, audience and type, checks expiry against the server's
 * (injectable) clock, and then checks that the session behind the token is still live, so a
 * revoked session stops working at once, not only when its access token expires.
 */
import type { Principal } from '../context.js';
import { DxcHttpError } from '../errors.js';
import type { AuthStore } from '../storage/auth-store.js';
import { signServerJwt, verifyServerJwt, type ServerJwtKind } from './server-jwt.js';
import type { SigningKey } from './signing-key.js';

/** The `aud` of every dxc access token. */
export const ACCESS_TOKEN_AUDIENCE = 'dxc';
/** The JOSE `typ` header of access tokens (RFC 9068), so no other JWT kind is accepted as one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

const ACCESS_TOKEN_KIND: ServerJwtKind = {
  typ: ACCESS_TOKEN_TYPE,
  audience: ACCESS_TOKEN_AUDIENCE,
  expiredMessage: 'The access token has expired',
  invalidMessage: 'The access token is not valid',
};

export interface AccessTokenSubject {
  readonly userId: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly sessionId: string;
}

export interface AccessTokens {
  /** Sign a token for `subject` expiring at `expiresAt` (ms, whole seconds are kept). */
  issue(subject: AccessTokenSubject, now: number, expiresAt: number): Promise<string>;
  /** Verify a bearer token; throws DxcHttpError 401 `token-expired` or `invalid-token`. */
  verify(token: string, now: number): Promise<Principal>;
}

export function createAccessTokens(key: SigningKey, issuer: string, store: AuthStore): AccessTokens {
  return {
    async issue(subject, now, expiresAt) {
      const claims: Record<string, string> = { sid: subject.sessionId };
      if (subject.email !== null) claims.email = subject.email;
      if (subject.name !== null) claims.name = subject.name;
      return signServerJwt(key, ACCESS_TOKEN_KIND, {
        issuer,
        subject: subject.userId,
        claims,
        now,
        expiresAtSeconds: Math.floor(expiresAt / 1000),
      });
    },

    async verify(token, now) {
      const payload = await verifyServerJwt(key, ACCESS_TOKEN_KIND, token, {
        issuer,
        requiredClaims: ['sub', 'exp', 'sid'],
        now,
      });
      const { sub, sid, email, name, exp } = payload;
      if (typeof sub !== 'string' || typeof sid !== 'string') {
        throw new DxcHttpError('invalid-token', 'The access token is not valid', 401);
      }
      const session = await store.getSession(sid);
      if (!session || session.userId !== sub || session.revokedAt !== null) {
        throw new DxcHttpError('invalid-token', 'The session of this access token has ended', 401);
      }
      return {
        kind: 'user',
        userId: sub,
        sessionId: sid,
        ...(typeof email === 'string' ? { email } : {}),
        ...(typeof name === 'string' ? { name } : {}),
        expiresAt: (exp as number) * 1000,
      };
    },
  };
}
