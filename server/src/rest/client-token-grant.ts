/**
 * `POST /token` with `grant_type: client_credentials` and no `claims`: the API client asks for a
 * token for itself, with `GLOBAL_READ` and/or `GLOBAL_WRITE`, to use the REST API (`/all/…`),
 * as Dexie Cloud documents it. Mounted as a middleware in front of the auth routes: it reads the
 * JSON body (same limit as they apply) and handles only that one shape; every other `/token`
 * request (the user grants, and client_credentials *with* claims, which mint user tokens) goes on
 * with the text it read in place of the consumed body. (Not `Request.clone()`: a tee'd body left
 * half-read by a 413 breaks the keep-alive connection for the next request.)
 * The client's secret is checked like the user-minting grant does, under the same rate limit.
 */
import { MAX_UNAUTHENTICATED_BODY_BYTES, type TokenFinalResponse } from 'dxc/protocol';
import type { MiddlewareHandler } from 'hono';
import { authenticateApiClient } from '../auth/api-clients.js';
import { CLIENT_CREDENTIALS_PER_CLIENT } from '../auth/auth-limits.js';
import { enforceRateLimit } from '../auth/rate-limit.js';
import type { ServerContext } from '../context.js';
import { DxcHttpError } from '../errors.js';
import { readBodyText } from '../http/read-body.js';
import type { ClientTokens } from './client-token.js';
import { CLIENT_TOKEN_SCOPES, GLOBAL_READ, GLOBAL_WRITE, MAX_CLIENT_TOKEN_SCOPES } from './rest-limits.js';

interface ClientTokenRequest {
  client_id: string;
  client_secret: string;
  scopes: string[];
  expires_in?: number;
}

/** The request when `text` asks for a client token (client_credentials without claims), else undefined. */
function clientTokenRequest(text: string): ClientTokenRequest | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined; // the auth routes answer malformed bodies
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const fields = body as Record<string, unknown>;
  if (fields.grant_type !== 'client_credentials' || fields.claims !== undefined) return undefined;
  const { client_id, client_secret, scopes, expires_in } = fields;
  if (typeof client_id !== 'string' || client_id.length === 0 || client_id.length > 200) {
    throw new DxcHttpError('invalid-request', 'client_id must be a non-empty string', 400);
  }
  if (typeof client_secret !== 'string' || client_secret.length === 0 || client_secret.length > 1000) {
    throw new DxcHttpError('invalid-request', 'client_secret must be a non-empty string', 400);
  }
  if (!Array.isArray(scopes) || scopes.length > MAX_CLIENT_TOKEN_SCOPES || !scopes.every((s) => typeof s === 'string')) {
    throw new DxcHttpError('invalid-request', `scopes must be an array of at most ${MAX_CLIENT_TOKEN_SCOPES} strings`, 400);
  }
  if (expires_in !== undefined && (!Number.isSafeInteger(expires_in) || (expires_in as number) <= 0)) {
    throw new DxcHttpError('invalid-request', 'expires_in must be a positive integer (seconds)', 400);
  }
  return { client_id, client_secret, scopes: scopes as string[], ...(expires_in === undefined ? {} : { expires_in: expires_in as number }) };
}

export function clientTokenGrant(context: ServerContext, tokens: ClientTokens): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (c.req.method !== 'POST' || !/^application\/json\s*(;|$)/i.test(raw.headers.get('content-type') ?? '')) return next();
    const text = await readBodyText(raw, MAX_UNAUTHENTICATED_BODY_BYTES);
    const request = clientTokenRequest(text);
    if (!request) {
      // Hand the auth routes the text as a plain body (already decompressed).
      const headers = new Headers(raw.headers);
      headers.delete('content-encoding');
      headers.delete('content-length');
      c.req.raw = new Request(raw.url, { method: 'POST', headers, body: text });
      return next();
    }
    const unsupported = request.scopes.filter((scope) => !CLIENT_TOKEN_SCOPES.includes(scope));
    if (unsupported.length > 0) {
      throw new DxcHttpError('invalid-request', `Unsupported scopes: ${unsupported.join(', ').slice(0, 200)}`, 400);
    }
    if (!request.scopes.includes(GLOBAL_READ) && !request.scopes.includes(GLOBAL_WRITE)) {
      throw new DxcHttpError(
        'invalid-request',
        'A token for the client itself needs GLOBAL_READ or GLOBAL_WRITE; to act for a user, send claims.sub',
        400,
      );
    }
    const store = context.storage.auth;
    const now = context.now();
    await enforceRateLimit(store, CLIENT_CREDENTIALS_PER_CLIENT, request.client_id, now);
    const client = await authenticateApiClient(store, request.client_id, request.client_secret);
    if (!client) {
      context.logger.warn({ clientId: request.client_id.slice(0, 64) }, 'client authentication failed');
      throw new DxcHttpError('unauthorized', 'Unknown client_id or wrong client_secret', 401);
    }
    const ttlSeconds = Math.min(request.expires_in ?? Infinity, context.config.accessTokenTtlSeconds);
    const accessToken = await tokens.issue(client.id, request.scopes, now, ttlSeconds);
    context.logger.info({ event: 'auth.client_token', clientId: client.id, scopes: request.scopes }, 'client token issued');
    const response: TokenFinalResponse = {
      type: 'tokens',
      claims: { sub: client.id, scopes: request.scopes },
      accessToken,
      accessTokenExpiration: (Math.floor(now / 1000) + ttlSeconds) * 1000,
      userType: 'client',
    };
    c.header('Cache-Control', 'no-store');
    return c.json(response);
  };
}
