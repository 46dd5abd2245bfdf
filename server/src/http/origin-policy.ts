/**
 * Which browser origins may talk to this server: one decision, used both by CORS (which origin an
 * answer is reflected to) and by the WebSocket `/changes` handshake (which upgrades are refused),
 * so the two can never disagree (ASVS 5.0 3.4.2: the CORS allow-list holds exact origins; ASVS
 * 4.4.2: the WebSocket Origin is checked at the handshake).
 *
 * - `*` in `allowedOrigins` (the dev default) allows every origin.
 * - Otherwise an origin is allowed when it equals, as an exact string, one listed origin or the
 *   origin of `publicUrl`: a page the server itself serves (`--static`) is same-origin and needs no
 *   CORS, but its WebSocket handshake still carries its `Origin`, which must not be refused.
 */
import type { ServerConfig } from '../config.js';

/** The value of `allowedOrigins` that allows every origin (dev default). */
export const ANY_ORIGIN = '*';

/** Whether a browser page of origin `origin` may call this server. */
export type OriginCheck = (origin: string) => boolean;

/** The origin (scheme://host[:port]) of a URL, or undefined when it is not a URL. */
function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** The origin check for `config`; read `publicUrl` when called, after the server knows its port. */
export function originCheck(config: Pick<ServerConfig, 'allowedOrigins' | 'publicUrl'>): OriginCheck {
  if (config.allowedOrigins.includes(ANY_ORIGIN)) return () => true;
  const allowed = new Set(config.allowedOrigins);
  const own = originOf(config.publicUrl);
  if (own !== undefined) allowed.add(own);
  return (origin) => allowed.has(origin);
}
