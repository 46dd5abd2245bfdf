/**
 * The `client_credentials` grant: an application's backend, authenticated by its API client
 * secret, obtains tokens for one of *its* users (token-exchange semantics, RFC 8693 style).
 *
 * Namespacing rule: `claims.sub` becomes the user id verbatim; the first client to mint a `sub`
 * owns it, and any other client asking for it gets 403. Ids starting with `usr-` (email-login
 * users) or `rlm-` (realms), and the addon's placeholder owner `unauthorized`, cannot be minted.
 * With `public_key` the session is bound to that device key and a refresh token is returned, so
 * the browser refreshes by itself with the legacy signature; with `dpop_jkt` (the thumbprint of the
 * browser's proof key, RFC 9449 §10) it refreshes with proofs and rotation; with neither, only a
 * short access token is issued.
 * Every mint is logged (client id, user id, session id; never a secret).
 */
import type { ClientCredentialsTokenRequest, TokenFinalResponse } from 'dxc/protocol';
import { MAX_EMAIL_LENGTH } from 'dxc/protocol';
import { DxcHttpError } from '../errors.js';
import { authenticateApiClient } from './api-clients.js';
import { CLIENT_CREDENTIALS_PER_CLIENT } from './auth-limits.js';
import { parseDevicePublicKey } from './device-key.js';
import { normalizeEmail } from './email-address.js';
import type { GrantContext } from './grant-context.js';
import { enforceRateLimit } from './rate-limit.js';

/** What a minted `sub` may look like: printable, no spaces, at most 128 characters. */
export const CLIENT_SUB_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,127}$/;
/** Prefixes reserved for ids the server itself assigns. */
export const RESERVED_SUB_PREFIXES = ['usr-', 'rlm-'] as const;
/** An RFC 7638 SHA-256 thumbprint in base64url (`dpop_jkt`). */
export const JWK_THUMBPRINT_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Characters of a `name` claim. */
export const MAX_NAME_LENGTH = 200;

function optionalString(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) {
    throw new DxcHttpError('invalid-request', `${field} must be a string of at most ${max} characters`, 400);
  }
  return value;
}

export async function clientCredentialsTokens(
  g: GrantContext,
  request: ClientCredentialsTokenRequest,
): Promise<TokenFinalResponse> {
  const { context, store, sessions } = g;
  const now = context.now();
  await enforceRateLimit(store, CLIENT_CREDENTIALS_PER_CLIENT, request.client_id, now);
  const client = await authenticateApiClient(store, request.client_id, request.client_secret);
  if (!client) {
    context.logger.warn({ clientId: request.client_id.slice(0, 64) }, 'client authentication failed');
    throw new DxcHttpError('unauthorized', 'Unknown client_id or wrong client_secret', 401);
  }

  const sub = request.claims?.sub;
  if (typeof sub !== 'string') {
    throw new DxcHttpError('invalid-request', 'claims.sub is required: tokens are minted for one of your users', 400);
  }
  if (
    !CLIENT_SUB_PATTERN.test(sub) ||
    sub === 'unauthorized' ||
    RESERVED_SUB_PREFIXES.some((prefix) => sub.startsWith(prefix))
  ) {
    throw new DxcHttpError('invalid-request', 'claims.sub is not an allowed user id', 400);
  }
  const rawEmail = optionalString(request.claims?.email, 'claims.email', MAX_EMAIL_LENGTH);
  const email = rawEmail === null ? null : normalizeEmail(rawEmail);
  const name = optionalString(request.claims?.name, 'claims.name', MAX_NAME_LENGTH);
  const publicKeyPem = request.public_key === undefined ? null : parseDevicePublicKey(request.public_key);
  const proofKeyThumbprint = request.dpop_jkt ?? null;
  if (proofKeyThumbprint !== null && (!JWK_THUMBPRINT_PATTERN.test(proofKeyThumbprint) || publicKeyPem !== null)) {
    throw new DxcHttpError('invalid-request', 'dpop_jkt must be a base64url SHA-256 JWK thumbprint, without public_key', 400);
  }
  const accessTtlSeconds = Math.min(request.expires_in ?? Infinity, context.config.accessTokenTtlSeconds);

  const user = await store.userForClient(client.id, sub, { email, name }, now);
  if (user === 'taken') {
    context.logger.warn({ clientId: client.id }, 'client tried to mint a user it does not own');
    throw new DxcHttpError('forbidden', 'This user id belongs to another client or to an email login', 403);
  }
  if (user.disabledAt !== null) throw new DxcHttpError('forbidden', 'This account is disabled', 403);
  const { session, response } = await sessions.open(user, {
    clientId: client.id,
    publicKeyPem,
    proofKeyThumbprint,
    accessTtlSeconds,
  });
  context.logger.info(
    {
      event: 'auth.client_mint',
      clientId: client.id,
      userId: user.id,
      sessionId: session.id,
      deviceBound: publicKeyPem !== null || proofKeyThumbprint !== null,
    },
    'client minted user tokens',
  );
  return response;
}
