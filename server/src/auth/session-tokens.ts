/**
 * Sessions and the token responses built from them. A session ties a user to a device public key
 * and the hash of its refresh token; every access token names its session (`sid`), so revoking the
 * session ends both. Refresh tokens are opaque 256-bit random strings, never stored in clear.
 * Legacy sessions (the official addon's signature) never rotate them, because the addon keeps the
 * first one it gets; proof-bound sessions (the dxc client) get a new one on every refresh.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TokenFinalResponse } from 'dxc/protocol';
import type { ServerContext } from '../context.js';
import type { AuthStore, SessionRecord, UserRecord } from '../storage/auth-store.js';
import type { AccessTokens } from './access-token.js';
import { REFRESH_TOKEN_BYTES } from './auth-limits.js';
import { randomId, randomSecret, sha256Hex } from './random-ids.js';

export interface SessionTokens {
  /**
   * Open a session for `user` and return its tokens. With a device key the session is long-lived
   * and gets a refresh token; without one it lives as long as its single access token.
   */
  open(user: UserRecord, options: OpenSessionOptions): Promise<{ session: SessionRecord; response: TokenFinalResponse }>;
  /** A fresh access token for an existing live session (the refresh grant, after its checks). */
  renew(session: SessionRecord, user: UserRecord, refreshToken: string): Promise<TokenFinalResponse>;
  /**
   * Rotate a proof-bound session's refresh token and answer with the successor; undefined when
   * another request rotated `refreshToken` first.
   */
  rotate(session: SessionRecord, user: UserRecord, refreshToken: string): Promise<TokenFinalResponse | undefined>;
  /** The successor sealed at a rotation, or undefined if the seal does not open. */
  unseal(sealed: string): string | undefined;
}

export interface OpenSessionOptions {
  readonly clientId: string | null;
  /** Device key for the legacy refresh signature. */
  readonly publicKeyPem: string | null;
  /** Key thumbprint for DPoP-shaped proofs (the session then rotates its refresh token). */
  readonly proofKeyThumbprint?: string | null;
  readonly accessTtlSeconds?: number;
  /** The session ends at this time (ms) at the latest, e.g. when a provider's approval runs out. */
  readonly notAfter?: number;
}

export function createSessionTokens(
  context: ServerContext,
  store: AuthStore,
  accessTokens: AccessTokens,
  sealKey: Buffer,
): SessionTokens {
  const { config } = context;

  function seal(token: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
    const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  async function respond(
    session: SessionRecord,
    user: UserRecord,
    refreshToken: string | undefined,
    accessTtlSeconds: number,
  ): Promise<TokenFinalResponse> {
    const now = context.now();
    // Whole seconds, because the JWT `exp` is in seconds and the client must not expect more.
    const accessTokenExpiration = Math.floor(Math.min(now + accessTtlSeconds * 1000, session.expiresAt) / 1000) * 1000;
    const accessToken = await accessTokens.issue(
      { userId: user.id, email: user.email, name: user.name, sessionId: session.id },
      now,
      accessTokenExpiration,
    );
    return {
      type: 'tokens',
      claims: {
        sub: user.id,
        ...(user.email !== null ? { email: user.email } : {}),
        ...(user.name !== null ? { name: user.name } : {}),
        license: 'ok',
      },
      accessToken,
      accessTokenExpiration,
      ...(refreshToken !== undefined ? { refreshToken, refreshTokenExpiration: session.expiresAt } : {}),
      userType: 'prod',
      ...(session.proofKeyThumbprint !== null ? { dpopBound: true } : {}),
    };
  }

  return {
    async open(user, options) {
      const { clientId, publicKeyPem, accessTtlSeconds = config.accessTokenTtlSeconds, notAfter = Infinity } = options;
      const proofKeyThumbprint = options.proofKeyThumbprint ?? null;
      const now = context.now();
      const bound = publicKeyPem !== null || proofKeyThumbprint !== null;
      const refreshToken = bound ? randomSecret(REFRESH_TOKEN_BYTES) : undefined;
      const lifetime = (bound ? config.refreshTokenTtlSeconds : accessTtlSeconds) * 1000;
      const session: SessionRecord = {
        id: randomId('ses-'),
        userId: user.id,
        clientId,
        // A proof-bound session refreshes with proofs only, never with the legacy signature.
        publicKeyPem: proofKeyThumbprint !== null ? null : publicKeyPem,
        refreshTokenHash: refreshToken !== undefined ? sha256Hex(refreshToken) : null,
        proofKeyThumbprint,
        createdAt: now,
        expiresAt: Math.min(now + lifetime, notAfter),
        lastUsedAt: now,
        revokedAt: null,
      };
      await store.createSession(session);
      return { session, response: await respond(session, user, refreshToken, accessTtlSeconds) };
    },
    renew(session, user, refreshToken) {
      return respond(session, user, refreshToken, config.accessTokenTtlSeconds);
    },
    async rotate(session, user, refreshToken) {
      const successor = randomSecret(REFRESH_TOKEN_BYTES);
      const won = await store.rotateRefreshToken(
        session.id,
        sha256Hex(refreshToken),
        sha256Hex(successor),
        seal(successor),
        context.now(),
      );
      return won ? respond(session, user, successor, config.accessTokenTtlSeconds) : undefined;
    },
    unseal(sealed) {
      try {
        const raw = Buffer.from(sealed, 'base64url');
        const decipher = createDecipheriv('aes-256-gcm', sealKey, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(raw.length - 16));
        return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}
