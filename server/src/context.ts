/**
 * What every part of the server receives: configuration, logger, storage, mail, the clock and the
 * change bus. Passing one context keeps modules free of globals, so tests start several servers in
 * one process and swap the clock.
 */
import type { ServerConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Mailer } from './mail/mailer.js';
import type { Storage } from './storage/storage.js';
import type { ChangeBus } from './sync/change-bus.js';

export interface ServerContext {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly storage: Storage;
  readonly mailer: Mailer;
  readonly changes: ChangeBus;
  /** Milliseconds since epoch; tests replace it to move time. */
  now(): number;
}

/** Who is calling: a verified user, or nobody (anonymous callers see the public realm only). */
export type Principal =
  | {
      readonly kind: 'user';
      readonly userId: string;
      /** The login session the access token belongs to (revoking it ends the token at once). */
      readonly sessionId: string;
      readonly email?: string;
      readonly name?: string;
      /** When the access token expires, ms since epoch. */
      readonly expiresAt: number;
    }
  | { readonly kind: 'anonymous' };

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' });
