/**
 * Logging in with a third-party token (`grant_type: urn:ietf:params:oauth:grant-type:token-exchange`,
 * a dxc extension): the named provider (auth webhook or JWKS, see providers.ts) vouches for
 * `subject_token`, and the server opens a session for the user id it names. That id is namespaced
 * to the provider (`provider:<name>` owns it, as an API client owns the ids it mints), and the
 * session never outlives what the provider allowed (`expirationSeconds`, or the JWT's `exp`).
 * Every refusal is the same 401 `invalid-grant`; the reason goes to the log, the token never does.
 */
import type { ProviderTokenRequest, TokenFinalResponse } from 'dxc/protocol';
import { DxcHttpError } from '../errors.js';
import { PROVIDER_LOGIN_PER_IP } from './auth-limits.js';
import { RESERVED_SUB_PREFIXES } from './client-credentials-grant.js';
import { deviceBinding } from './device-binding.js';
import { normalizeEmail } from './email-address.js';
import type { GrantContext, RequestOrigin } from './grant-context.js';
import { ProviderRefusal, type ProviderVerdict } from './providers.js';
import { enforceRateLimit } from './rate-limit.js';

/** A provider's user id: printable, no spaces, at most 128 characters (`|` allowed, as in `auth0|…`). */
export const PROVIDER_USER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@:+|-]{0,127}$/;

export async function providerTokens(
  g: GrantContext,
  request: ProviderTokenRequest,
  origin: RequestOrigin,
): Promise<TokenFinalResponse> {
  const { context, store, sessions } = g;
  const now = context.now();
  await enforceRateLimit(store, PROVIDER_LOGIN_PER_IP, origin.ip, now);
  const provider = g.providers.get(request.provider);
  if (!provider) throw new DxcHttpError('invalid-request', 'Unknown provider', 400);
  const binding = await deviceBinding(g, request, origin, false);

  const refused = (reason: string): DxcHttpError => {
    context.logger.warn({ event: 'auth.provider_refused', provider: provider.name, reason }, 'provider login refused');
    return new DxcHttpError('invalid-grant', 'The identity provider did not accept this token', 401);
  };
  let verdict: ProviderVerdict;
  try {
    verdict = await provider.authenticate(request.subject_token, now);
  } catch (error) {
    if (error instanceof ProviderRefusal) throw refused(error.message);
    throw error;
  }
  const { userId } = verdict;
  if (!PROVIDER_USER_ID_PATTERN.test(userId) || userId === 'unauthorized' || RESERVED_SUB_PREFIXES.some((p) => userId.startsWith(p))) {
    throw refused('user id not allowed');
  }
  if (verdict.notAfter <= now) throw refused('approval already expired');
  let email: string | null = null;
  try {
    email = verdict.email === null ? null : normalizeEmail(verdict.email);
  } catch {
    // An unusable email claim is dropped, not fatal: the user id is what identifies the user.
  }

  const clientId = `provider:${provider.name}`;
  const user = await store.userForClient(clientId, userId, { email, name: verdict.name }, now);
  if (user === 'taken') throw refused('user id belongs to another client or provider');
  if (user.disabledAt !== null) throw new DxcHttpError('forbidden', 'This account is disabled', 403);
  const accessTtlSeconds = Math.min(context.config.accessTokenTtlSeconds, Math.ceil((verdict.notAfter - now) / 1000));
  const { session, response } = await sessions.open(user, { clientId, ...binding, accessTtlSeconds, notAfter: verdict.notAfter });
  context.logger.info(
    { event: 'auth.provider_login', provider: provider.name, userId: user.id, sessionId: session.id, proofBound: binding.proofKeyThumbprint !== null },
    'user logged in through a provider',
  );
  return response;
}
