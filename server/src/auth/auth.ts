/**
 * Authentication for dxc-server: the `/token` grants (email + one-time code, refresh with a device
 * signature or a DPoP-shaped proof, client_credentials, third-party tokens through a webhook or
 * JWKS provider), `/logout`, `/auth-providers`, access-token verification, revocation and
 * disabling users. docs/authentication.md and docs/auth.md describe the flows and limits.
 */
import { MAX_TOKEN_FIELD_LENGTH } from 'dxc/protocol';
import type { Hono } from 'hono';
import { ANONYMOUS, type Principal, type ServerContext } from '../context.js';
import { DxcHttpError } from '../errors.js';
import { createAccessTokens } from './access-token.js';
import { PURGE_INTERVAL_MS } from './auth-limits.js';
import { createDpopProofs } from './dpop-proof.js';
import { loadProviders } from './providers.js';
import { createRevocations, type ClosableSocket } from './revocations.js';
import { createSessionTokens } from './session-tokens.js';
import { loadSigningKey } from './signing-key.js';
import { tokenRoutes } from './token-routes.js';

export interface Auth {
  /** Routes: POST /token, POST /logout, GET /auth-providers. */
  readonly routes: Hono;
  /** Verify a bearer access token; undefined means anonymous. Throws DxcHttpError 401 when invalid. */
  authenticate(token: string | undefined): Promise<Principal>;
  /** End a session: its refresh token and every access token naming it stop working; its sockets here close. */
  revokeSession(sessionId: string): Promise<boolean>;
  /** End every session of a user; returns how many. */
  revokeUserSessions(userId: string): Promise<number>;
  /** Disable a user (no login, no refresh) and end their sessions; false if the user does not exist. */
  disableUser(userId: string): Promise<boolean>;
  /** Let a disabled user log in again (their old sessions stay ended). */
  enableUser(userId: string): Promise<boolean>;
  /** Close `socket` (code 1008) as soon as `principal`'s session or user is revoked on this node. */
  closeOnRevocation(principal: Principal, socket: ClosableSocket): void;
}

export async function createAuth(context: ServerContext): Promise<Auth> {
  const store = context.storage.auth;
  const key = loadSigningKey(context.config.dataDir);
  const accessTokens = createAccessTokens(key, context.config.publicUrl, store);
  const sessions = createSessionTokens(context, store, accessTokens, key.sealKey);
  const revocations = createRevocations(context, store);
  const proofs = createDpopProofs(key.nonceKey, store);
  const providers = loadProviders(context);

  let lastPurge = -Infinity;
  // Housekeeping rides on token requests instead of a timer, so nothing outlives close().
  async function purgeNowAndThen(): Promise<void> {
    const now = context.now();
    if (now - lastPurge < PURGE_INTERVAL_MS) return;
    lastPurge = now;
    await store.purgeExpired(now);
  }

  return {
    routes: tokenRoutes({ context, store, key, sessions, proofs, revocations, providers }, accessTokens, purgeNowAndThen),
    async authenticate(token) {
      if (token === undefined) return ANONYMOUS;
      if (token.length === 0 || token.length > MAX_TOKEN_FIELD_LENGTH) {
        throw new DxcHttpError('invalid-token', 'The access token is not valid', 401);
      }
      return accessTokens.verify(token, context.now());
    },
    revokeSession: (sessionId) => revocations.revokeSession(sessionId, 'revoked by the operator'),
    revokeUserSessions: (userId) => revocations.revokeUserSessions(userId, 'revoked by the operator'),
    async disableUser(userId) {
      if (!(await store.setUserDisabled(userId, context.now()))) return false;
      await revocations.revokeUserSessions(userId, 'user disabled');
      return true;
    },
    async enableUser(userId) {
      const enabled = await store.setUserDisabled(userId, null);
      if (enabled) context.logger.info({ event: 'auth.user_enabled', userId }, 'user enabled');
      return enabled;
    },
    closeOnRevocation: (principal, socket) => revocations.closeOnRevocation(principal, socket),
  };
}
