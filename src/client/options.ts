/**
 * `db.cloud.configure(options)`: the options of dexie-cloud-addon that dxc implements, with the
 * same names and meanings, so an app moves over by changing one import.
 */
import type { TokenFinalResponse } from 'dxc/protocol';
import type { LoginHints } from './types.js';

/** What `fetchTokens` receives: the PEM public key to bind the tokens to, and login hints. */
export interface FetchTokensParams {
  public_key: string;
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
}
