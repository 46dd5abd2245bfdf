/**
 * The auth webhook (Ditto's model): dxc-server POSTs `{provider, token, databaseId}` to the
 * operator's URL, signed with HMAC-SHA256 over `timestamp + "." + body` under the provider's
 * secret, and the webhook answers `{authenticated, userID, expirationSeconds, claims?}`.
 *
 * Fails closed: a non-2xx status, a redirect, no answer within the timeout, an answer over
 * WEBHOOK_MAX_RESPONSE_BYTES, bad JSON, `authenticated` other than true, or no positive integer
 * `expirationSeconds` are all refusals. Headers sent: `X-Dxc-Timestamp` (Unix seconds) and
 * `X-Dxc-Signature: sha256=<hex>`; the receiver should check both, and reject timestamps older
 * than 5 minutes.
 */
import { createHmac } from 'node:crypto';
import { MAX_EMAIL_LENGTH } from 'dxc/protocol';
import type { ServerContext } from '../context.js';
import { WEBHOOK_MAX_RESPONSE_BYTES } from './auth-limits.js';
import { MAX_NAME_LENGTH } from './client-credentials-grant.js';
import { ProviderRefusal, type ProviderVerdict, type TokenProvider } from './providers.js';

export interface WebhookProviderConfig {
  /** Where the server POSTs the token: https, or http in dev mode. */
  readonly url: string;
  /** HMAC-SHA256 key shared with the webhook, at least WEBHOOK_MIN_SECRET_LENGTH (32) characters. */
  readonly secret: string;
  /**
   * Time (ms) to wait for the webhook's whole answer; no answer by then is a refusal.
   * @default 5000 (PROVIDER_TIMEOUT_MS), at most 60000 (PROVIDER_MAX_TIMEOUT_MS)
   */
  readonly timeoutMs: number;
}

/**
 * Longest session (s) a webhook may grant in one answer; a larger `expirationSeconds` is cut to
 * this, and the absolute refresh limit (`--refresh-ttl`) still applies. @default 315360000 (10 years)
 */
const MAX_EXPIRATION_SECONDS = 10 * 365 * 24 * 3600;

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`), the `X-Dxc-Signature` header. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The body as text, or a refusal once it passes `limit` bytes. */
async function readCapped(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body?.cancel();
    throw new ProviderRefusal('webhook answer too large');
  }
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new ProviderRefusal('webhook answer too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function optionalText(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
}

export function createWebhookProvider(name: string, config: WebhookProviderConfig, context: ServerContext): TokenProvider {
  return {
    name,
    type: 'webhook',
    async authenticate(token, now) {
      const databaseId = await context.storage.data.dbId();
      const body = JSON.stringify({ provider: name, token, databaseId });
      const timestamp = String(Math.floor(now / 1000));
      let text: string;
      try {
        const response = await fetch(config.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'X-Dxc-Timestamp': timestamp,
            'X-Dxc-Signature': webhookSignature(config.secret, timestamp, body),
          },
          body,
          // The URL is the operator's; following a redirect would send the token elsewhere.
          redirect: 'manual',
          signal: AbortSignal.timeout(config.timeoutMs),
        });
        if (response.status < 200 || response.status > 299) {
          await response.body?.cancel().catch(() => undefined);
          throw new ProviderRefusal(`webhook answered ${response.status}`);
        }
        text = await readCapped(response, WEBHOOK_MAX_RESPONSE_BYTES);
      } catch (error) {
        if (error instanceof ProviderRefusal) throw error;
        throw new ProviderRefusal(`webhook unreachable or too slow (${(error as Error).name})`);
      }

      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        throw new ProviderRefusal('webhook answer is not JSON');
      }
      if (typeof answer !== 'object' || answer === null) throw new ProviderRefusal('webhook answer is not an object');
      const { authenticated, userID, expirationSeconds, claims } = answer as Record<string, unknown>;
      if (authenticated !== true) throw new ProviderRefusal('webhook did not authenticate the token');
      if (typeof userID !== 'string') throw new ProviderRefusal('webhook answer has no userID');
      if (!Number.isSafeInteger(expirationSeconds) || (expirationSeconds as number) <= 0) {
        throw new ProviderRefusal('webhook answer has no positive integer expirationSeconds');
      }
      const extra = typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
      const verdict: ProviderVerdict = {
        userId: userID,
        notAfter: now + Math.min(expirationSeconds as number, MAX_EXPIRATION_SECONDS) * 1000,
        email: optionalText(extra.email, MAX_EMAIL_LENGTH),
        name: optionalText(extra.name, MAX_NAME_LENGTH),
      };
      return verdict;
    },
  };
}
