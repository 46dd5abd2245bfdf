/**
 * DPoP-shaped proofs of key possession (RFC 9449 §4.3), the dxc client's stronger alternative to
 * the addon's `refresh_token + time_stamp` signature. A proof is a `dpop+jwt` JWS signed with the
 * device key and carrying its public `jwk`; its claims bind it to one request (`htm`, `htu`), one
 * use (`jti`, remembered across nodes), one moment (`iat`, or a server `nonce`) and, on refresh,
 * one refresh token (`ath`).
 *
 * Freshness: a refresh proof must carry a server nonce; a login proof may instead have `iat`
 * within [-60 s, +10 s] of the server clock. Otherwise the server answers `use-dpop-nonce` with an
 * opaque nonce that embeds the server time under an HMAC; a proof carrying a valid nonce younger
 * than DPOP_NONCE_TTL_MS is fresh whatever the client's clock says (RFC 9449 §11.1), and cannot
 * have been pre-signed for a guessed future (§11.2).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { DxcHttpError } from '../errors.js';
import type { AuthStore } from '../storage/auth-store.js';
import {
  DPOP_ALGORITHMS,
  DPOP_IAT_FUTURE_MS,
  DPOP_IAT_PAST_MS,
  DPOP_JTI_RETENTION_MS,
  DPOP_MAX_JTI_LENGTH,
  DPOP_MAX_NONCE_LENGTH,
  DPOP_NONCE_TTL_MS,
  DPOP_PROOF_TYPE,
  MIN_RSA_MODULUS_BITS,
} from './auth-limits.js';

/** JWK members that only a private (or symmetric) key has: a proof's `jwk` must hold none. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The `use-dpop-nonce` refusal: the client retries with `nonce` in its proof. */
export class DpopNonceRequired extends DxcHttpError {
  constructor(
    readonly nonce: string,
    message: string,
  ) {
    super('use-dpop-nonce', message, 400);
  }
}

export function invalidProof(message: string): DxcHttpError {
  return new DxcHttpError('invalid-dpop-proof', message, 400);
}

/** What a request's proof must match. */
export interface ProofExpectation {
  /** The URLs this request may be addressed as (`htu`): the public URL and the one the server saw. */
  readonly urls: readonly string[];
  /** base64url SHA-256 of the refresh token being used, when one is (`ath`). */
  readonly tokenHash?: string;
  /**
   * Require a server nonce whatever `iat` says (refresh): a proof then cannot have been signed
   * before the server issued the nonce, so script that ran in the page once cannot pre-sign
   * proofs for later (RFC 9449 §11.2).
   */
  readonly requireNonce?: boolean;
}

export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what a session is bound to. */
  readonly thumbprint: string;
}

export interface DpopProofs {
  /** A fresh nonce carrying the server time. */
  nonce(now: number): string;
  /** Verify `proof` for one POST to the token endpoint; throws 400 `invalid-dpop-proof` or `use-dpop-nonce`. */
  verify(proof: string, expected: ProofExpectation, now: number): Promise<VerifiedProof>;
}

/** `origin + path` with repeated leading slashes folded, or undefined for a non-URL. */
export function normalizeHtu(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.origin + parsed.pathname.replace(/^\/+/, '/');
  } catch {
    return undefined;
  }
}

/** base64url SHA-256 of a token, the `ath` a proof carries for it. */
export function tokenHashForProof(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

function checkJwk(alg: string, jwk: unknown): JWK {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalidProof('The proof has no jwk header');
  const key = jwk as Record<string, unknown>;
  if (PRIVATE_JWK_MEMBERS.some((member) => member in key)) throw invalidProof('The proof jwk holds private key material');
  if (alg === 'ES256' && !(key.kty === 'EC' && key.crv === 'P-256')) throw invalidProof('ES256 needs an EC P-256 jwk');
  if (alg === 'RS256') {
    const bits = typeof key.n === 'string' ? Buffer.from(key.n, 'base64url').length * 8 : 0;
    if (key.kty !== 'RSA' || bits < MIN_RSA_MODULUS_BITS) throw invalidProof('RS256 needs an RSA jwk of 2048 bits or more');
  }
  return key as JWK;
}

export function createDpopProofs(nonceKey: Buffer, store: AuthStore): DpopProofs {
  const mac = (body: string) => createHmac('sha256', nonceKey).update(body).digest().subarray(0, 16);

  function nonce(now: number): string {
    const body = `${now.toString(36)}.${randomBytes(9).toString('base64url')}`;
    return `${body}.${mac(body).toString('base64url')}`;
  }

  /** True when `value` is a nonce this server (or a node sharing its key) issued, still alive. */
  function nonceIsLive(value: unknown, now: number): boolean {
    if (typeof value !== 'string' || value.length > DPOP_MAX_NONCE_LENGTH) return false;
    const parts = value.split('.');
    if (parts.length !== 3) return false;
    const [time, random, tag] = parts as [string, string, string];
    const expected = mac(`${time}.${random}`);
    const presented = Buffer.from(tag, 'base64url');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return false;
    const age = now - parseInt(time, 36);
    // A little negative age is another node's clock running ahead of this one.
    return age >= -DPOP_IAT_FUTURE_MS && age <= DPOP_NONCE_TTL_MS;
  }

  return {
    nonce,
    async verify(proof, expected, now) {
      let header;
      try {
        header = decodeProtectedHeader(proof);
      } catch {
        throw invalidProof('The proof is not a JWS');
      }
      if (header.typ !== DPOP_PROOF_TYPE) throw invalidProof(`The proof typ must be ${DPOP_PROOF_TYPE}`);
      if (typeof header.alg !== 'string' || !DPOP_ALGORITHMS.includes(header.alg)) {
        throw invalidProof(`The proof alg must be one of ${DPOP_ALGORITHMS.join(', ')}`);
      }
      const jwk = checkJwk(header.alg, header.jwk);

      let claims;
      try {
        ({ payload: claims } = await jwtVerify(proof, EmbeddedJWK, {
          algorithms: [...DPOP_ALGORITHMS],
          typ: DPOP_PROOF_TYPE,
          currentDate: new Date(now),
        }));
      } catch {
        throw invalidProof('The proof signature does not verify');
      }
      const { jti, htm, htu, iat, ath } = claims as Record<string, unknown>;
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > DPOP_MAX_JTI_LENGTH) {
        throw invalidProof(`The proof jti must be a string of 1 to ${DPOP_MAX_JTI_LENGTH} characters`);
      }
      if (htm !== 'POST') throw invalidProof('The proof htm does not match this request');
      const target = typeof htu === 'string' ? normalizeHtu(htu) : undefined;
      if (target === undefined || !expected.urls.some((url) => normalizeHtu(url) === target)) {
        throw invalidProof('The proof htu does not match this request');
      }
      if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidProof('The proof has no iat');
      if (expected.tokenHash !== undefined && ath !== expected.tokenHash) {
        throw invalidProof('The proof ath does not match the refresh token');
      }

      if ('nonce' in claims) {
        if (!nonceIsLive(claims.nonce, now)) throw new DpopNonceRequired(nonce(now), 'The proof nonce is not valid or too old');
      } else if (expected.requireNonce) {
        throw new DpopNonceRequired(nonce(now), 'This proof needs a server nonce');
      } else {
        const skew = iat * 1000 - now;
        if (skew < -DPOP_IAT_PAST_MS || skew > DPOP_IAT_FUTURE_MS) {
          throw new DpopNonceRequired(nonce(now), 'The proof iat is too far from the server time; use the nonce');
        }
      }

      const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
      const firstUse = await store.rememberOnce(`dpop-jti:${thumbprint}:${jti}`, now + DPOP_JTI_RETENTION_MS, now);
      if (!firstUse) throw invalidProof('The proof was already used');
      return { thumbprint };
    },
  };
}
