/**
 * Security headers on every HTTP answer (API, dev mailbox, `--static` files, errors), through
 * Hono's own secure-headers middleware with everything off except what dxc means to send:
 *
 * - `X-Content-Type-Options: nosniff` (ASVS 5.0 3.4.4): a JSON or TSON answer is never run as a
 *   script or rendered as HTML; static files keep working because serveStatic names their type.
 * - `Referrer-Policy: no-referrer` (ASVS 5.0 3.4.5): the dev mailbox and starter pages link out
 *   without handing their URL (which may hold a `?to=` address) to another site.
 * - `Strict-Transport-Security` (RFC 6797; ASVS 5.0 3.4.1) only when `publicUrl` is https, i.e. a
 *   TLS proxy faces the browser (dxc itself then sees plain http, so the scheme of the request
 *   cannot tell). RFC 6797 §7.2: it MUST NOT be sent over non-secure transport, and a plain-http
 *   dev server has no business claiming https for its host.
 *
 * The CSP and framing headers (ASVS 3.4.3, 3.4.6) are left to the app: the starter and apps built
 * on dxc load their own scripts, and a policy dxc guessed for them would break them.
 */
import { secureHeaders } from 'hono/secure-headers';
import type { MiddlewareHandler } from 'hono';
import type { ServerConfig } from '../config.js';

/**
 * HSTS lifetime: one year, the minimum ASVS 5.0 3.4.1 accepts (and what browsers' preload lists
 * ask for), in seconds.
 */
export const HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600;

/**
 * The HSTS value, or undefined when the public URL is not https. `includeSubDomains` covers only
 * hosts below the server's own name (ASVS 5.0 3.4.1 wants it from L2); no `preload`, which is the
 * operator's decision for their whole domain.
 */
export function hstsValue(publicUrl: string): string | undefined {
  return URL.canParse(publicUrl) && new URL(publicUrl).protocol === 'https:' ? `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains` : undefined;
}

/** The headers every answer carries, for answers written outside Hono (refused WebSocket upgrades). */
export function baseSecurityHeaders(config: Pick<ServerConfig, 'publicUrl'>): Record<string, string> {
  const hsts = hstsValue(config.publicUrl);
  return {
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...(hsts ? { 'Strict-Transport-Security': hsts } : {}),
  };
}

/** The middleware for the Hono app; read `publicUrl` once the server knows its port. */
export function securityHeaders(config: Pick<ServerConfig, 'publicUrl'>): MiddlewareHandler {
  return secureHeaders({
    xContentTypeOptions: true,
    referrerPolicy: 'no-referrer',
    strictTransportSecurity: hstsValue(config.publicUrl) ?? false,
    // Off: not asked for, and some would break cross-origin use (CORP/COOP) or the app's own choices.
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: false,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    removePoweredBy: true,
  });
}
