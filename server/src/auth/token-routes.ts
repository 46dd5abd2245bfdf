/**
 * `POST /token`, `POST /logout` and `GET /auth-providers`. The body is JSON (at most
 * MAX_UNAUTHENTICATED_BODY_BYTES after decompression), shape-checked by validateTokenRequest, then
 * handed to its grant. Bad input is a typed 4xx through app.onError; a rejected one-time code is
 * the one 401 with a text body, because that is what the addon shows before re-prompting. A proof
 * may come in the `DPoP` header (RFC 9449) or as the body's `proof`; a `use-dpop-nonce` answer
 * carries the nonce both in the `DPoP-Nonce` header and in the body, which a browser can read
 * without an exposed-headers setting.
 */
import { Hono, type Context } from 'hono';
import {
  MAX_TOKEN_FIELD_LENGTH,
  MAX_UNAUTHENTICATED_BODY_BYTES,
  TOKEN_EXCHANGE_GRANT,
  validateTokenRequest,
  type AuthProvidersResponse,
  type OtpTokenRequest,
} from 'dxc/protocol';
import { DxcHttpError } from '../errors.js';
import { JSON_CONTENT_TYPES, requireContentType } from '../http/media-type.js';
import { readBodyText } from '../http/read-body.js';
import type { AccessTokens } from './access-token.js';
import { clientCredentialsTokens } from './client-credentials-grant.js';
import { clientIp } from './client-ip.js';
import { BEARER_HEADER_PATTERN, DPOP_PROOF_TYPE } from './auth-limits.js';
import { DpopNonceRequired } from './dpop-proof.js';
import type { GrantContext, RequestOrigin } from './grant-context.js';
import { sendOtp, verifyOtp } from './otp-grant.js';
import { providerTokens } from './provider-grant.js';
import { refreshTokens } from './refresh-grant.js';
import { sha256Hex } from './random-ids.js';

/** Scopes dxc-server grants; the addon always asks for exactly these. */
export const SUPPORTED_SCOPES: readonly string[] = ['ACCESS_DB'];

async function readJson(request: Request, what: string): Promise<unknown> {
  // Requiring JSON also means a cross-site form or other simple request cannot post here without a
  // CORS preflight (http/media-type.ts).
  requireContentType(request, JSON_CONTENT_TYPES, what);
  const text = await readBodyText(request, MAX_UNAUTHENTICATED_BODY_BYTES);
  try {
    return JSON.parse(text);
  } catch {
    throw new DxcHttpError('invalid-request', 'The body is not valid JSON', 400);
  }
}

/** The request as the client addressed it, and as the public URL names it, for a proof's `htu`. */
function tokenUrls(c: Context, publicUrl: string): string[] {
  const seen = new URL(c.req.url);
  return [`${seen.origin}${seen.pathname}`, `${publicUrl.replace(/\/+$/, '')}/token`];
}

export function tokenRoutes(g: GrantContext, accessTokens: AccessTokens, beforeEach: () => Promise<void>): Hono {
  const routes = new Hono();
  const { context } = g;

  routes.post('/token', async (c) => {
    await beforeEach();
    const body = await readJson(c.req.raw, 'POST /token');
    const dpopHeader = c.req.header('DPoP');
    if (dpopHeader !== undefined && typeof body === 'object' && body !== null && !Array.isArray(body)) {
      (body as Record<string, unknown>).proof = dpopHeader;
    }
    const request = validateTokenRequest(body);
    const unsupported = (request.scopes ?? []).filter((scope) => !SUPPORTED_SCOPES.includes(scope));
    if (unsupported.length > 0) {
      throw new DxcHttpError('invalid-request', `Unsupported scopes: ${unsupported.join(', ').slice(0, 200)}`, 400);
    }
    c.header('Cache-Control', 'no-store');
    const origin: RequestOrigin = { ip: clientIp(c), tokenUrls: tokenUrls(c, context.config.publicUrl) };
    try {
      switch (request.grant_type) {
        case 'otp': {
          if (request.otp === undefined && request.otp_id === undefined) return c.json(await sendOtp(g, request, origin));
          if (request.otp === undefined || request.otp_id === undefined) {
            throw new DxcHttpError('invalid-request', 'otp and otp_id go together', 400);
          }
          const result = await verifyOtp(g, request as OtpTokenRequest & { otp: string; otp_id: string }, origin);
          return result.ok ? c.json(result.response) : c.text(result.message, 401);
        }
        case 'refresh_token':
          return c.json(await refreshTokens(g, request, origin));
        case 'client_credentials':
          return c.json(await clientCredentialsTokens(g, request));
        case TOKEN_EXCHANGE_GRANT:
          return c.json(await providerTokens(g, request, origin));
      }
    } catch (error) {
      if (error instanceof DxcHttpError && error.code === 'invalid-dpop-proof') {
        context.logger.warn({ event: 'auth.proof_refused', grant: request.grant_type, reason: error.message }, 'proof refused');
      }
      if (!(error instanceof DpopNonceRequired)) throw error;
      c.header('DPoP-Nonce', error.nonce);
      return c.json({ error: error.code, message: error.message, nonce: error.nonce }, 400);
    }
  });

  /**
   * Logout: ends the session named by the bearer access token, or by `{refresh_token}` in the body
   * (which works after the access token has expired). Idempotent; live sockets of the session close.
   */
  routes.post('/logout', async (c) => {
    const authorization = c.req.header('Authorization');
    let sessionId: string | undefined;
    if (authorization !== undefined) {
      const match = BEARER_HEADER_PATTERN.exec(authorization);
      if (!match) throw new DxcHttpError('invalid-token', 'Authorization must be "Bearer <access token>"', 401);
      const principal = await accessTokens.verify(match[1]!, context.now());
      if (principal.kind === 'user') sessionId = principal.sessionId;
    } else {
      const body = await readJson(c.req.raw, 'POST /logout');
      const token = (body as { refresh_token?: unknown } | null)?.refresh_token;
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_FIELD_LENGTH) {
        throw new DxcHttpError('invalid-request', 'Send a bearer access token or {"refresh_token": …}', 400);
      }
      const hash = sha256Hex(token);
      const session =
        (await g.store.findSessionByRefreshTokenHash(hash)) ??
        (await g.store.findSupersededRefreshToken(hash).then((s) => s && g.store.getSession(s.sessionId)));
      // An unknown token gets the same answer: logout reveals nothing and is safe to repeat.
      sessionId = session?.id;
    }
    if (sessionId !== undefined) await g.revocations.revokeSession(sessionId, 'logout');
    c.header('Cache-Control', 'no-store');
    return c.json({ ok: true });
  });

  routes.get('/auth-providers', (c) => {
    // `providers` lists OAuth redirect providers, which the addon would render as buttons; token
    // providers are listed separately so only the dxc client sees them.
    const body: AuthProvidersResponse = {
      providers: [],
      otpEnabled: true,
      tokenProviders: g.providers.list(),
      proofs: [DPOP_PROOF_TYPE],
    };
    return c.json(body);
  });

  return routes;
}
