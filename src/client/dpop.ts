/**
 * DPoP-shaped proofs (a dxc extension in RFC 9449's shape), signed with the device key the client
 * already keeps (RSASSA-PKCS1-v1_5 2048, non-extractable): an RS256 JWS carrying the public key as
 * `jwk`. A server that lists `'dpop+jwt'` in `GET /auth-providers` `proofs` binds the session to
 * the key at login and from then on wants a proof (with a server nonce) for every refresh, and
 * rotates the refresh token each time. WebCrypto only: no JOSE library in the client.
 */
import { bytesToBase64 } from 'dxc/protocol';
import { DxcHttpError } from './errors.js';

/** The proof format dxc speaks, as `/auth-providers` lists it. */
export const PROOF_TYPE = 'dpop+jwt';

const encoder = new TextEncoder();

export function base64url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const jsonPart = (value: unknown): string => base64url(encoder.encode(JSON.stringify(value)));

async function sha256url(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
}

/** The public JWK (`{kty, n, e}`); public CryptoKeys are always exportable. */
export async function publicJwk(publicKey: CryptoKey): Promise<{ kty: string; n: string; e: string }> {
  const { kty, n, e } = await crypto.subtle.exportKey('jwk', publicKey);
  return { kty: kty!, n: n!, e: e! };
}

/** RFC 7638 thumbprint: SHA-256 over `{"e","kty","n"}` in this order without spaces, base64url. */
export async function jwkThumbprint(publicKey: CryptoKey): Promise<string> {
  const { kty, n, e } = await publicJwk(publicKey);
  return sha256url(`{"e":"${e}","kty":"${kty}","n":"${n}"}`);
}

export interface ProofInput {
  /** The URL the proof is for (`<databaseUrl>/token`, no query). */
  readonly htu: string;
  /** On refresh: the refresh token sent along, hashed into `ath`. */
  readonly refreshToken?: string;
  /** The server's nonce from a `use-dpop-nonce` answer. */
  readonly nonce?: string;
}

/** A fresh proof (new `jti`) for one `POST` to `input.htu`. */
export async function makeProof(keys: { privateKey: CryptoKey; publicKey: CryptoKey }, input: ProofInput): Promise<string> {
  const header = { typ: PROOF_TYPE, alg: 'RS256', jwk: await publicJwk(keys.publicKey) };
  const claims: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    htm: 'POST',
    htu: input.htu,
    iat: Math.floor(Date.now() / 1000),
  };
  if (input.refreshToken !== undefined) claims.ath = await sha256url(input.refreshToken);
  if (input.nonce !== undefined) claims.nonce = input.nonce;
  const signingInput = `${jsonPart(header)}.${jsonPart(claims)}`;
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.privateKey, encoder.encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

/**
 * POST a request whose body carries a proof: `send(nonce?)` builds and sends it. A `400
 * use-dpop-nonce` challenge is answered once with a new proof (new `jti`) carrying the server's
 * nonce; the challenge spends no attempt on the server.
 */
export async function withNonceRetry<T>(send: (nonce?: string) => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const body = (error as DxcHttpError).body as { error?: unknown; nonce?: unknown } | undefined;
    if (!(error instanceof DxcHttpError && body?.error === 'use-dpop-nonce' && typeof body.nonce === 'string')) throw error;
    return send(body.nonce);
  }
}
