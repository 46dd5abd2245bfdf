/**
 * Third-party token providers, configured by the operator only, in `<dataDir>/auth-providers.json`
 * (a file, not a flag, because it holds webhook secrets; keep it mode 0600):
 *
 * ```json
 * {"providers": {
 *   "acme":   {"type": "webhook", "url": "https://auth.acme.test/dxc", "secret": "<32+ characters>"},
 *   "google": {"type": "jwks", "jwksUrl": "https://www.googleapis.com/oauth2/v3/certs",
 *              "issuer": "https://accounts.google.com", "audience": "<client id>", "algorithms": ["RS256"]}
 * }}
 * ```
 *
 * A bad file stops the server at start, never a request. In production, provider URLs must be https.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ServerContext } from '../context.js';
import { PROVIDER_MAX_TIMEOUT_MS, PROVIDER_TIMEOUT_MS, WEBHOOK_MIN_SECRET_LENGTH } from './auth-limits.js';
import { createJwksProvider, type JwksProviderConfig } from './jwks-provider.js';
import { createWebhookProvider, type WebhookProviderConfig } from './webhook-provider.js';

export const AUTH_PROVIDERS_FILE_NAME = 'auth-providers.json';

/** A provider name: what clients send as `provider`. */
export const PROVIDER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** JWS algorithms a JWKS provider may pin: asymmetric only, so no key confusion with HMAC. */
export const JWKS_ALLOWED_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

/** What a provider vouches for. */
export interface ProviderVerdict {
  /** The user id, used verbatim (namespaced to this provider). */
  readonly userId: string;
  /** The dxc session must end by this time (ms since epoch). */
  readonly notAfter: number;
  readonly email: string | null;
  readonly name: string | null;
}

/** A provider's refusal; `reason` goes to the log only (never the token). */
export class ProviderRefusal extends Error {
  override readonly name = 'ProviderRefusal';
}

export interface TokenProvider {
  readonly name: string;
  readonly type: 'webhook' | 'jwks';
  /** Vouch for `token` or throw ProviderRefusal. Fails closed: any doubt is a refusal. */
  authenticate(token: string, now: number): Promise<ProviderVerdict>;
}

export interface Providers {
  get(name: string): TokenProvider | undefined;
  /** Names and types, for `/auth-providers`. */
  list(): { name: string; type: 'webhook' | 'jwks' }[];
}

function fail(file: string, message: string): never {
  throw new Error(`${file}: ${message}`);
}

function checkUrl(file: string, where: string, value: unknown, production: boolean): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    fail(file, `${where} is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !production)) {
    fail(file, `${where} must be https${production ? '' : ' (or http in dev mode)'}`);
  }
  return url.href;
}

function timeoutOf(file: string, name: string, value: unknown): number {
  if (value === undefined) return PROVIDER_TIMEOUT_MS;
  if (!Number.isSafeInteger(value) || (value as number) <= 0 || (value as number) > PROVIDER_MAX_TIMEOUT_MS) {
    fail(file, `providers.${name}.timeoutMs must be 1 to ${PROVIDER_MAX_TIMEOUT_MS}`);
  }
  return value as number;
}

export function loadProviders(context: ServerContext): Providers {
  const file = path.join(context.config.dataDir, AUTH_PROVIDERS_FILE_NAME);
  const byName = new Map<string, TokenProvider>();
  let raw: string | undefined;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (raw !== undefined) {
    // It holds webhook secrets: say so when others can read it (the server still starts).
    if ((fs.statSync(file).mode & 0o077) !== 0) {
      context.logger.warn({ file }, 'auth-providers.json is readable by other users; chmod 600 it');
    }
    let parsed: { providers?: Record<string, Record<string, unknown>> };
    try {
      parsed = JSON.parse(raw);
    } catch {
      fail(file, 'not valid JSON');
    }
    const { production } = context.config;
    for (const [name, entry] of Object.entries(parsed.providers ?? {})) {
      if (!PROVIDER_NAME_PATTERN.test(name)) fail(file, `provider name ${JSON.stringify(name)} must match ${PROVIDER_NAME_PATTERN}`);
      if (entry.type === 'webhook') {
        if (typeof entry.secret !== 'string' || entry.secret.length < WEBHOOK_MIN_SECRET_LENGTH) {
          fail(file, `providers.${name}.secret must have at least ${WEBHOOK_MIN_SECRET_LENGTH} characters`);
        }
        const config: WebhookProviderConfig = {
          url: checkUrl(file, `providers.${name}.url`, entry.url, production),
          secret: entry.secret,
          timeoutMs: timeoutOf(file, name, entry.timeoutMs),
        };
        byName.set(name, createWebhookProvider(name, config, context));
      } else if (entry.type === 'jwks') {
        const algorithms = entry.algorithms ?? ['RS256', 'ES256'];
        if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((a) => JWKS_ALLOWED_ALGORITHMS.includes(a))) {
          fail(file, `providers.${name}.algorithms must list some of ${JWKS_ALLOWED_ALGORITHMS.join(', ')}`);
        }
        if (typeof entry.issuer !== 'string' || typeof entry.audience !== 'string') {
          fail(file, `providers.${name} needs issuer and audience`);
        }
        const config: JwksProviderConfig = {
          jwksUrl: checkUrl(file, `providers.${name}.jwksUrl`, entry.jwksUrl, production),
          issuer: entry.issuer,
          audience: entry.audience,
          algorithms: algorithms as string[],
          timeoutMs: timeoutOf(file, name, entry.timeoutMs),
        };
        byName.set(name, createJwksProvider(name, config));
      } else {
        fail(file, `providers.${name}.type must be "webhook" or "jwks"`);
      }
    }
  }
  return {
    get: (name) => byName.get(name),
    list: () => [...byName.values()].map(({ name, type }) => ({ name, type })),
  };
}
