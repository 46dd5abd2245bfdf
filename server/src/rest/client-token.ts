/**
 * Client tokens: what `POST /token` with `grant_type: client_credentials` and no `claims` returns,
 * an access token for the API client itself (Dexie Cloud's "token with global database access").
 * A JWT signed with the server's key, with its own `typ` and audience so it never passes for a
 * user's access token, and the granted scopes in `scp`. Verification also checks that the client
 * still exists and is not revoked, so revoking a client ends its tokens at once.
 */
import { signServerJwt, verifyServerJwt, type ServerJwtKind } from '../auth/server-jwt.js';
import type { SigningKey } from '../auth/signing-key.js';
import { DxcHttpError } from '../errors.js';
import type { AuthStore } from '../storage/auth-store.js';
import { CLIENT_TOKEN_AUDIENCE, CLIENT_TOKEN_TYPE } from './rest-limits.js';

const CLIENT_TOKEN_KIND: ServerJwtKind = {
  typ: CLIENT_TOKEN_TYPE,
  audience: CLIENT_TOKEN_AUDIENCE,
  expiredMessage: 'The client token has expired',
  invalidMessage: 'Not a valid client token',
};

/** A verified client token. */
export interface ClientPrincipal {
  readonly kind: 'client';
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
}

export interface ClientTokens {
  /** Sign a token for `clientId` with `scopes`, valid for `ttlSeconds`. */
  issue(clientId: string, scopes: readonly string[], now: number, ttlSeconds: number): Promise<string>;
  /** Verify a bearer token; throws DxcHttpError 401 `token-expired` or `invalid-token`. */
  verify(token: string, now: number): Promise<ClientPrincipal>;
}

export function createClientTokens(key: SigningKey, issuer: string, store: AuthStore): ClientTokens {
  return {
    issue(clientId, scopes, now, ttlSeconds) {
      return signServerJwt(key, CLIENT_TOKEN_KIND, {
        issuer,
        subject: clientId,
        claims: { scp: [...scopes] },
        now,
        expiresAtSeconds: Math.floor(now / 1000) + ttlSeconds,
      });
    },
    async verify(token, now) {
      const payload = await verifyServerJwt(key, CLIENT_TOKEN_KIND, token, {
        issuer,
        requiredClaims: ['sub', 'exp', 'scp'],
        now,
      });
      const { sub, scp } = payload;
      if (typeof sub !== 'string' || !Array.isArray(scp) || !scp.every((s) => typeof s === 'string')) {
        throw new DxcHttpError('invalid-token', 'Not a valid client token', 401);
      }
      const client = await store.getApiClient(sub);
      if (!client || client.revokedAt !== null) {
        throw new DxcHttpError('invalid-token', 'The client of this token is revoked', 401);
      }
      return { kind: 'client', clientId: sub, scopes: new Set(scp as string[]) };
    },
  };
}
