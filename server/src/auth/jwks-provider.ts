/**
 * A JWKS provider: the server verifies a third-party JWT itself (jose) against the keys published
 * at `jwksUrl`, with pinned algorithms, issuer and audience, and requires `sub` and `exp`. The
 * dxc session ends when the JWT does. No header of the token (`jku`, `x5u`, `jwk`) is trusted:
 * the key set comes from the configured URL only.
 */
import { MAX_EMAIL_LENGTH } from 'dxc/protocol';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { JWKS_CLOCK_TOLERANCE_SECONDS } from './auth-limits.js';
import { MAX_NAME_LENGTH } from './client-credentials-grant.js';
import { ProviderRefusal, type TokenProvider } from './providers.js';

export interface JwksProviderConfig {
  /** URL of the provider's JSON Web Key Set: https, or http in dev mode. No default. */
  readonly jwksUrl: string;
  /** Required `iss` of the third-party JWT, compared exactly. No default. */
  readonly issuer: string;
  /** Required `aud` of the third-party JWT (e.g. the app's OAuth client id). No default. */
  readonly audience: string;
  /** JWS algorithms accepted, from JWKS_ALLOWED_ALGORITHMS (asymmetric only). @default ['RS256', 'ES256'] */
  readonly algorithms: readonly string[];
  /**
   * Time (ms) to wait for the key set to download.
   * @default 5000 (PROVIDER_TIMEOUT_MS), at most 60000 (PROVIDER_MAX_TIMEOUT_MS)
   */
  readonly timeoutMs: number;
}

/** How long a fetched key set is used before it is fetched again (ms). @default 600000 */
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
/** Least time between two fetches of the key set, e.g. for unknown `kid`s (ms). @default 30000 */
const JWKS_COOLDOWN_MS = 30_000;

export function createJwksProvider(name: string, config: JwksProviderConfig): TokenProvider {
  const keys = createRemoteJWKSet(new URL(config.jwksUrl), {
    timeoutDuration: config.timeoutMs,
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
  });
  return {
    name,
    type: 'jwks',
    async authenticate(token, now) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          algorithms: [...config.algorithms],
          issuer: config.issuer,
          audience: config.audience,
          requiredClaims: ['sub', 'exp'],
          clockTolerance: JWKS_CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(now),
        }));
      } catch (error) {
        const code = (error as { code?: string }).code ?? (error as Error).name;
        throw new ProviderRefusal(`third-party JWT refused (${code})`);
      }
      const text = (value: unknown, max: number) =>
        typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
      return {
        userId: String(payload.sub),
        notAfter: (payload.exp as number) * 1000,
        email: payload.email_verified === false ? null : text(payload.email, MAX_EMAIL_LENGTH),
        name: text(payload.name, MAX_NAME_LENGTH),
      };
    },
  };
}
