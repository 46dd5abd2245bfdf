/**
 * Tokens: the device key pair, the login record built from a `/token` answer, and the refresh.
 *
 * The key pair is RSASSA-PKCS1-v1_5 2048/SHA-256 with a non-extractable private key, kept as a
 * CryptoKey in `$logins` (IndexedDB stores CryptoKeys without exposing their bytes). A refresh
 * signs `refresh_token + time_stamp` with it (the addon's proof), or, for a session the server
 * bound to the key at login (`dpopBound`, dxc-server), sends a DPoP-shaped proof and stores the
 * rotated refresh token of every answer. Either way a copied refresh token is useless elsewhere.
 */
import { bytesToBase64, type RefreshTokenRequest, type TokenFinalResponse } from 'dxc/protocol';
import { DxcHttpError, dxcError, loadPart } from './errors.js';
import { postJson } from './http.js';
import type { UserLogin } from './types.js';

/** Refresh the access token when less than this many ms of its life remain. @default 300000 (5 min) */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;

/**
 * Call `authenticationExpiringSoon` when less than this many ms of the session remain (sessions of
 * provider logins end with the provider's expiry). @default 300000 (5 min)
 */
export const AUTH_EXPIRING_SOON_MS = 5 * 60 * 1000;

const KEY_ALGORITHM: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

export function assertWebCrypto(): void {
  if (!globalThis.crypto?.subtle) {
    throw dxcError(
      'insecure-context',
      'dxc needs WebCrypto (crypto.subtle), which browsers only offer in secure contexts: serve the app over https or from localhost',
    );
  }
}

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  assertWebCrypto();
  return crypto.subtle.generateKey(KEY_ALGORITHM, false, ['sign', 'verify']);
}

/** The public key as PEM (SPKI, base64 in 64-character lines), the format `/token` expects. */
export async function publicKeyPem(publicKey: CryptoKey): Promise<string> {
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
  const lines = bytesToBase64(spki).match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----`;
}

export async function signRefresh(privateKey: CryptoKey, refreshToken: string, timeStamp: number): Promise<string> {
  const data = new TextEncoder().encode(refreshToken + timeStamp);
  const signature = await crypto.subtle.sign(KEY_ALGORITHM.name, privateKey, data);
  return bytesToBase64(new Uint8Array(signature));
}

/** The `$logins` record for a `tokens` answer. */
export function loginFromTokens(res: TokenFinalResponse, keys: CryptoKeyPair): UserLogin {
  if (res?.type !== 'tokens' || typeof res.accessToken !== 'string' || typeof res.claims?.sub !== 'string') {
    throw dxcError('invalid-grant', 'The token answer is not a tokens response');
  }
  return {
    userId: res.claims.sub,
    email: res.claims.email,
    name: res.claims.name,
    claims: res.claims,
    license: { type: res.userType ?? 'prod', status: res.claims.license ?? 'ok' },
    lastLogin: new Date(),
    accessToken: res.accessToken,
    accessTokenExpiration: new Date(res.accessTokenExpiration),
    refreshToken: res.refreshToken,
    refreshTokenExpiration: res.refreshTokenExpiration ? new Date(res.refreshTokenExpiration) : undefined,
    nonExportablePrivateKey: keys.privateKey,
    publicKey: keys.publicKey,
    dpopBound: res.dpopBound === true,
    isLoggedIn: true,
  };
}

export function needsRefresh(user: UserLogin, now = Date.now()): boolean {
  if (!user.accessToken || !user.accessTokenExpiration) return true;
  const expiry = user.accessTokenExpiration.getTime();
  // When the session ends with this access token (a provider's expiry), refreshing early gains
  // nothing: use it to the end, then the refresh reports needs-auth.
  const end = user.refreshTokenExpiration?.getTime();
  if (end !== undefined && expiry >= end - 1000) return expiry <= now;
  return expiry - now < TOKEN_REFRESH_MARGIN_MS;
}

/**
 * A new access token for `user` from `/token`. Throws DxcError `needs-auth` when the server refuses
 * the refresh token (revoked, expired, reused, or not bound to this key), `offline` when unreachable.
 * The caller must store the answer before it releases the refresh lock: a bound session's old
 * refresh token stops working once rotated.
 */
export async function refreshLogin(databaseUrl: string, user: UserLogin): Promise<UserLogin> {
  const { refreshToken, nonExportablePrivateKey: privateKey, publicKey } = user;
  if (!refreshToken || !privateKey) throw dxcError('needs-auth', 'No refresh token: log in again');
  if (user.refreshTokenExpiration && user.refreshTokenExpiration.getTime() <= Date.now()) {
    throw dxcError('needs-auth', 'The refresh token has expired: log in again');
  }
  const url = `${databaseUrl}/token`;
  const base: RefreshTokenRequest = { grant_type: 'refresh_token', refresh_token: refreshToken, scopes: ['ACCESS_DB'] };
  let res: TokenFinalResponse;
  try {
    if (user.dpopBound && publicKey) {
      const { makeProof, withNonceRetry } = await loadPart(() => import('./dpop.js'), 'the proof signer');
      const keys = { privateKey, publicKey };
      res = await withNonceRetry((nonce) =>
        makeProof(keys, { htu: url, refreshToken, nonce }).then((proof) =>
          postJson<TokenFinalResponse>(url, { ...base, proof } satisfies RefreshTokenRequest),
        ),
      );
    } else {
      const time_stamp = Date.now();
      const signature = await signRefresh(privateKey, refreshToken, time_stamp);
      res = await postJson<TokenFinalResponse>(url, {
        ...base,
        time_stamp,
        signing_algorithm: 'RSASSA-PKCS1-v1_5',
        signature,
      } satisfies RefreshTokenRequest);
    }
  } catch (error) {
    if (error instanceof DxcHttpError && error.status >= 400 && error.status < 500 && error.status !== 429) {
      // 400 invalid-dpop-proof is a client bug, not the user's: say so in the console, then log in again.
      if ((error.body as { error?: string } | undefined)?.error === 'invalid-dpop-proof') console.error('dxc:', error);
      throw dxcError('needs-auth', `The server refused the refresh token: ${error.message}`, error);
    }
    throw error;
  }
  if (res?.type !== 'tokens' || typeof res.accessToken !== 'string') {
    throw dxcError('needs-auth', 'The server did not return an access token');
  }
  return {
    ...user,
    claims: res.claims ?? user.claims,
    accessToken: res.accessToken,
    accessTokenExpiration: new Date(res.accessTokenExpiration),
    // dxc-server rotates bound sessions' refresh tokens; the official server never sends one here.
    ...(res.refreshToken ? { refreshToken: res.refreshToken } : {}),
    ...(res.refreshTokenExpiration ? { refreshTokenExpiration: new Date(res.refreshTokenExpiration) } : {}),
    license: { type: res.userType ?? user.license?.type ?? 'prod', status: res.claims?.license ?? 'ok' },
  };
}
