/**
 * The JWTs dxc-server signs for itself (users' access tokens, API clients' tokens): Ed25519 with a
 * pinned algorithm, and each kind with its own `typ` and audience so one kind never passes for
 * another (RFC 8725 §3.11). Verification checks expiry against the server's injectable clock.
 *
 * A signature, once verified, stays valid for the token's life, so verified payloads are cached
 * (a client sends the same access token with every request, and an Ed25519 verification costs
 * more than the rest of a small push's handling). Expiry is still checked on every use; revocation
 * is not this module's concern (callers look up the session).
 */
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { DxcHttpError } from '../errors.js';
import { randomId } from './random-ids.js';
import { ACCESS_TOKEN_ALG, type SigningKey } from './signing-key.js';

/** What makes one kind of server token distinct from the others. */
export interface ServerJwtKind {
  readonly typ: string;
  readonly audience: string;
  /** Said in the 401 when the token has expired, e.g. 'The access token has expired'. */
  readonly expiredMessage: string;
  /** Said in the 401 for any other failure. */
  readonly invalidMessage: string;
}

export function signServerJwt(
  key: SigningKey,
  kind: ServerJwtKind,
  token: { issuer: string; subject: string; claims: JWTPayload; now: number; expiresAtSeconds: number },
): Promise<string> {
  return new SignJWT(token.claims)
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: kind.typ, kid: key.kid })
    .setIssuer(token.issuer)
    .setAudience(kind.audience)
    .setSubject(token.subject)
    .setIssuedAt(Math.floor(token.now / 1000))
    .setExpirationTime(token.expiresAtSeconds)
    .setJti(randomId(''))
    .sign(key.privateKey);
}

/** Verified tokens remembered per signing key, oldest forgotten first. @default 4096 */
export const VERIFIED_TOKEN_CACHE_SIZE = 4096;

const verified = new WeakMap<SigningKey, Map<string, JWTPayload>>();

/** The verified payload; throws DxcHttpError 401 `token-expired` or `invalid-token`. */
export async function verifyServerJwt(
  key: SigningKey,
  kind: ServerJwtKind,
  token: string,
  check: { issuer: string; requiredClaims: string[]; now: number },
): Promise<JWTPayload> {
  let cache = verified.get(key);
  if (!cache) verified.set(key, (cache = new Map()));
  // Kind and issuer are part of what was verified, so they are part of the key.
  const cacheKey = `${kind.typ} ${check.issuer} ${token}`;
  const known = cache.get(cacheKey);
  if (known) {
    if (typeof known.exp === 'number' && known.exp * 1000 <= check.now) {
      cache.delete(cacheKey);
      throw new DxcHttpError('token-expired', kind.expiredMessage, 401);
    }
    return known;
  }
  const payload = await verifyUncached(key, kind, token, check);
  if (cache.size >= VERIFIED_TOKEN_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(cacheKey, Object.freeze(payload));
  return payload;
}

async function verifyUncached(
  key: SigningKey,
  kind: ServerJwtKind,
  token: string,
  check: { issuer: string; requiredClaims: string[]; now: number },
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [ACCESS_TOKEN_ALG],
      issuer: check.issuer,
      audience: kind.audience,
      typ: kind.typ,
      requiredClaims: check.requiredClaims,
      currentDate: new Date(check.now),
    });
    return payload;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new DxcHttpError('token-expired', kind.expiredMessage, 401);
    throw new DxcHttpError('invalid-token', kind.invalidMessage, 401);
  }
}
