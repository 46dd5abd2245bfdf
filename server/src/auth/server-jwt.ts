/**
 * The JWTs dxc-server signs for itself (users' access tokens, API clients' tokens): Ed25519 with a
 * pinned algorithm, and each kind with its own `typ` and audience so one kind never passes for
 * another (RFC 8725 §3.11). Verification checks expiry against the server's injectable clock.
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

/** The verified payload; throws DxcHttpError 401 `token-expired` or `invalid-token`. */
export async function verifyServerJwt(
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
