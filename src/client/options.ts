/**
 * `db.cloud.configure(options)`: the options of dexie-cloud-addon that dxc implements, with the
 * same names and meanings, so an app moves over by changing one import.
 */
import type { TokenFinalResponse } from 'dxc/protocol';
import type { LoginHints } from './types.js';

/** What `fetchTokens` receives: the PEM public key to bind the tokens to, and login hints. */
export interface FetchTokensParams {
  public_key: string;
  /**
   * dxc: the device key's RFC 7638 thumbprint, set when the server speaks dxc proofs. A backend
   * that passes it to `/token` as `dpop_jkt` (instead of `public_key`) gets a proof-bound session
   * with refresh-token rotation.
   */
  dpop_jkt?: string;
  hints?: Pick<LoginHints, 'userId' | 'email'>;
}

export interface DxcOptions {
  /** Base URL of the dxc-server (or Dexie Cloud) database, e.g. `https://sync.example.com`. Required. */
  databaseUrl: string;
  /**
   * Log in while the database opens (blocking the ready event). With login hints, log in that
   * user when the current one differs. @default false
   */
  requireAuth?: boolean | LoginHints;
  /** Let a registered service worker run background and periodic sync. @default false */
  tryUseServiceWorker?: boolean;
  /** Periodic background sync registration options; `minInterval` in ms. @default undefined (none) */
  periodicSync?: { minInterval?: number };
  /**
   * The app renders `db.cloud.userInteraction` itself. When false, nothing is rendered by the
   * client: load `dxc/elements`, which mounts a default `<dxc-login>`. @default false
   */
  customLoginGui?: boolean;
  /** Tables that stay on this device and are never synced. @default [] */
  unsyncedTables?: string[];
  /** Append the database URL's name to the IndexedDB name (`app` → `app-mydb`). @default true */
  nameSuffix?: boolean;
  /** No WebSocket: the client pulls on writes, `online`, visibility and `sync()`. @default false */
  disableWebSocket?: boolean;
  /** No automatic push after each write transaction. @default false */
  disableEagerSync?: boolean;
  /**
   * Custom authentication: return tokens that your backend obtained from `/token` with
   * `client_credentials` for `public_key`. Refresh still goes straight to the server.
   */
  fetchTokens?: (params: FetchTokensParams) => Promise<TokenFinalResponse>;
  /**
   * dxc: called when sync needs a login (the session ended, was revoked, or the provider's expiry
   * passed). Log in again inside it, e.g. `db.cloud.login({provider, token})`; sync resumes when
   * it resolves logged in. At most one call runs at a time per tab. Without it, sync pauses with
   * `syncState.error.code === 'needs-auth'` and local data stays usable. @default undefined
   */
  authenticationRequired?: () => void | Promise<void>;
  /**
   * dxc: called once per session when less than 5 minutes (AUTH_EXPIRING_SOON_MS) of it remain,
   * with the seconds left, so the app can hand over a fresh third-party token before sync stops
   * (provider sessions end with the provider's expiry). @default undefined
   */
  authenticationExpiringSoon?: (secondsRemaining: number) => void | Promise<void>;
}
