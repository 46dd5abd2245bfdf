/**
 * Client tokens: what `POST /token` with `grant_type: client_credentials` and no `claims` returns,
 * an access token for the API client itself (Dexie Cloud's "token with global database access").
 * A JWT signed with the server's key, with its own `typ` and audience so it never passes for a
 * user's access token, and the granted scopes in `scp`. Verification also checks that the client
 * still exists and is not revoked, so revoking a client ends its tokens at once.
 */
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ACCESS_TOKEN_ALG, type SigningKey } from '../auth/signing-key.js';
import { randomId } from '../auth/random-ids.js';
import { DxcHttpError } from '../errors.js';
import type { AuthStore } from '../storage/auth-store.js';
import { CLIENT_TOKEN_AUDIENCE, CLIENT_TOKEN_TYPE } from './rest-limits.js';

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
      return new SignJWT({ scp: [...scopes] })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: CLIENT_TOKEN_TYPE, kid: key.kid })
        .setIssuer(issuer)
        .setAudience(CLIENT_TOKEN_AUDIENCE)
        .setSubject(clientId)
        .setIssuedAt(Math.floor(now / 1000))
        .setExpirationTime(Math.floor(now / 1000) + ttlSeconds)
        .setJti(randomId(''))
        .sign(key.privateKey);
    },
    async verify(token, now) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, key.publicKey, {
          algorithms: [ACCESS_TOKEN_ALG],
          issuer,
          audience: CLIENT_TOKEN_AUDIENCE,
          typ: CLIENT_TOKEN_TYPE,
          requiredClaims: ['sub', 'exp', 'scp'],
          currentDate: new Date(now),
        }));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new DxcHttpError('token-expired', 'The client token has expired', 401);
        throw new DxcHttpError('invalid-token', 'Not a valid client token', 401);
      }
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
