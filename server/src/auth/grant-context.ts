/** What every `/token` grant handler needs, built once by createAuth. */
import type { ServerContext } from '../context.js';
import type { AuthStore } from '../storage/auth-store.js';
import type { DpopProofs } from './dpop-proof.js';
import type { Providers } from './providers.js';
import type { Revocations } from './revocations.js';
import type { SessionTokens } from './session-tokens.js';
import type { SigningKey } from './signing-key.js';

export interface GrantContext {
  readonly context: ServerContext;
  readonly store: AuthStore;
  readonly key: SigningKey;
  readonly sessions: SessionTokens;
  readonly proofs: DpopProofs;
  readonly revocations: Revocations;
  readonly providers: Providers;
}

/** Where a request came from: the socket's address (X-Forwarded-For is not trusted). */
export interface RequestOrigin {
  readonly ip: string;
  /** The URLs this `/token` request may be addressed as, for a proof's `htu`. */
  readonly tokenUrls: readonly string[];
}
