/**
 * The client's public data shapes, named and shaped like dexie-cloud-addon's so that apps (and
 * dexie-react-hooks users) move over without touching their types.
 */
import type { Dexie } from 'dexie';
import type { DexieCloudSchema, TokenClaims } from 'dxc/protocol';

/** A logged-in user (or the unauthorized placeholder), as kept in `$logins`. */
export interface UserLogin {
  userId?: string;
  name?: string;
  email?: string;
  claims: TokenClaims | { sub: string; [claim: string]: unknown };
  license?: {
    type: 'demo' | 'eval' | 'prod' | 'client';
    status: 'ok' | 'expired' | 'deactivated';
    validUntil?: Date;
    evalDaysLeft?: number;
  };
  lastLogin: Date;
  accessToken?: string;
  accessTokenExpiration?: Date;
  refreshToken?: string;
  refreshTokenExpiration?: Date;
  nonExportablePrivateKey?: CryptoKey;
  publicKey?: CryptoKey;
  /** dxc: the server bound the session to `publicKey` (proof refreshes, rotated refresh tokens). */
  dpopBound?: boolean;
  isLoggedIn?: boolean;
  data?: unknown;
  isLoading?: boolean;
}

/** What the last completed sync left behind (`$syncState['syncState']`). */
export interface PersistedSyncState {
  serverRevision?: string;
  latestRevisions: Record<string, number>;
  realms: string[];
  inviteRealms: string[];
  clientIdentity: string;
  initiallySynced?: boolean;
  remoteDbId?: string;
  syncedTables: string[];
  timestamp?: Date;
  error?: string;
  /** The user the state was synced for: a different user means an initial sync again. */
  userId?: string;
}

export type SyncStatePhase = 'initial' | 'not-in-sync' | 'pushing' | 'pulling' | 'in-sync' | 'error' | 'offline';
export type SyncStatus = 'not-started' | 'connecting' | 'connected' | 'disconnected' | 'error' | 'offline';

export interface SyncState {
  status: SyncStatus;
  phase: SyncStatePhase;
  progress?: number;
  /** Set with phase `error`; `error.code === 'needs-auth'` means the user must log in again. */
  error?: Error;
  license?: 'ok' | 'expired' | 'deactivated';
}

export type WebSocketStatus = 'not-started' | 'connecting' | 'connected' | 'disconnected' | 'error';

export interface DXCAlert {
  type: 'error' | 'warning' | 'info';
  messageCode: string;
  message: string;
  messageParams: Record<string, string>;
}

export interface DXCInputField {
  type: 'text' | 'email' | 'otp' | 'password';
  label?: string;
  placeholder?: string;
}

interface InteractionBase<Type extends string> {
  type: Type;
  title: string;
  alerts: DXCAlert[];
  fields: Record<string, DXCInputField>;
  submitLabel: string;
  cancelLabel: string | null;
  onSubmit(params: Record<string, string>): void;
  onCancel(): void;
}

export type DXCEmailPrompt = InteractionBase<'email'>;
export type DXCOTPPrompt = InteractionBase<'otp'>;
export type DXCMessageAlert = InteractionBase<'message-alert'>;
export type DXCLogoutConfirmation = InteractionBase<'logout-confirmation'>;
/** A prompt the app (or `<dxc-login>`) renders; submitting or cancelling resets it to undefined. */
export type DXCUserInteraction = DXCEmailPrompt | DXCOTPPrompt | DXCMessageAlert | DXCLogoutConfirmation;

/** `db.cloud.login(hints)`: who to log in, and optionally the code, to skip prompts. */
export interface LoginHints {
  email?: string;
  userId?: string;
  grant_type?: 'otp' | 'demo';
  otpId?: string;
  otp?: string;
  intent?: 'login' | 'register';
  /** dxc: a token provider configured on the server (webhook or JWKS); use with `token`. */
  provider?: string;
  /** dxc: the third-party token to exchange through `provider` (never stored by the client). */
  token?: string;
}

/** `db.cloud.logout(options)`. Without `keepData` or `cleanup`, synced data is deleted (the addon's way). */
export interface LogoutOptions {
  /** Skip the question about unsynced changes (only asked when data would be deleted). @default false */
  force?: boolean;
  /**
   * dxc: drop the credentials and pause sync until the next login, but keep every local row and
   * the queue of unsynced changes (they go out if the same user logs in again). @default false
   */
  keepData?: boolean;
  /** dxc: your own cleanup instead of the default wipe; runs after the credentials are gone. */
  cleanup?: (db: Dexie) => void | Promise<void>;
}

export interface SyncOptions {
  /** Wait for the sync to finish (and throw if it failed). @default true */
  wait?: boolean;
  /** `push` syncs only when there are local changes; `pull` always asks the server. @default 'push' */
  purpose?: 'push' | 'pull';
}

export type { DexieCloudSchema };

/** The placeholder user of a logged-out device (its id is written into `owner`/`realmId`). */
export const UNAUTHORIZED_USER: UserLogin = Object.freeze({
  userId: 'unauthorized',
  name: 'Unauthorized',
  claims: { sub: 'unauthorized' },
  lastLogin: new Date(0),
}) as UserLogin;
