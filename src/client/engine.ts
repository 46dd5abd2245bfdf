/**
 * The per-database state every client module shares: options, cloud schema, the observables of
 * `db.cloud`, and small helpers over the internal `$` tables. One Engine exists per Dexie
 * instance; dxc-addon.ts creates it and wires the modules to it.
 */
import type { Dexie } from 'dexie';
import { UNAUTHORIZED_USER_ID, type DexieCloudSchema, type PullPage } from 'dxc/protocol';
import { dxcError, isDxcError } from './errors.js';
import { refreshLockName, withLock } from './locks.js';
import { Subject, ValueSubject } from './observable.js';
import type { DxcOptions } from './options.js';
import { outboxTable, syncedTables } from './schema.js';
import { AUTH_EXPIRING_SOON_MS, needsRefresh, refreshLogin } from './tokens.js';
import {
  UNAUTHORIZED_USER,
  type DXCUserInteraction,
  type PersistedSyncState,
  type SyncState,
  type SyncStatePhase,
  type UserLogin,
  type WebSocketStatus,
} from './types.js';

/** The client's version, sent to the server as `dxcv`. */
export const DXC_VERSION = '0.1.0';

export class Engine {
  options: DxcOptions | null = null;
  readonly schema: DexieCloudSchema = {};
  readonly currentUser = new ValueSubject<UserLogin>({ ...UNAUTHORIZED_USER, isLoading: true });
  readonly syncState = new ValueSubject<SyncState>({ phase: 'initial', status: 'not-started' });
  readonly persistedSyncState = new ValueSubject<PersistedSyncState | undefined>(undefined);
  readonly webSocketStatus = new ValueSubject<WebSocketStatus>('not-started');
  readonly userInteraction = new ValueSubject<DXCUserInteraction | undefined>(undefined);
  readonly syncComplete = new Subject<void>();
  /** Set when the server refused our refresh token: no sync is attempted until the next login. */
  needsAuth = false;
  closed = false;
  /** Whether the server accepts dxc proofs, once it has said so (auth.ts). */
  proofSupport: boolean | undefined;
  /** Set once a sync answer brought the server's schema (its id prefixes) in this session. */
  schemaConfirmed = false;
  /** A paged pull under way (sync.ts): where it goes on, for whom, and how many rows it brought. */
  pullPage: { userId: string; page: PullPage; pulled: number } | undefined;
  /** Percent of a paged pull done, while one runs (`syncState.progress`). */
  progress: number | undefined;
  private authenticating: Promise<unknown> | undefined;
  /** The session end (ms) `authenticationExpiringSoon` was already called for. */
  private warnedExpiry: number | undefined;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Hooks the wiring fills in (kept as fields so modules do not import each other in a cycle). */
  triggerSync: (purpose: 'push' | 'pull') => void = () => {};
  onPhase: (phase: SyncStatePhase, error?: Error) => void = () => {};

  constructor(readonly db: Dexie) {}

  /** Dexie's VIP handle: internal reads and writes pass while the app's requests wait for `ready`. */
  get vip(): Dexie {
    return (this.db as unknown as { vip: Dexie }).vip;
  }

  get databaseUrl(): string {
    return this.options?.databaseUrl ?? '';
  }

  currentUserId(): string {
    return this.currentUser.value.userId ?? UNAUTHORIZED_USER_ID;
  }

  isLoggedIn(): boolean {
    const user = this.currentUser.value;
    return !!user.isLoggedIn && this.currentUserId() !== UNAUTHORIZED_USER_ID;
  }

  canMintIds(): boolean {
    return !this.databaseUrl || this.schemaConfirmed || !!this.persistedSyncState.value?.initiallySynced;
  }

  syncedTables(): string[] {
    return syncedTables(this.schema).filter((t) => this.db.tables.some((table) => table.name === t));
  }

  outboxTables(): string[] {
    return this.syncedTables().map(outboxTable);
  }

  /** A name unique to this IndexedDB database, for Web Locks and BroadcastChannels. */
  get idbName(): string {
    return this.db.name;
  }

  setUser(user: UserLogin | undefined): void {
    this.currentUser.next(user?.isLoggedIn ? user : { ...UNAUTHORIZED_USER });
    this.armExpiryWarning();
  }

  /**
   * The user whose data a `keepData` (or `cleanup`) logout left behind: set while logged out with
   * a sync state of that user. Sync is paused meanwhile, so no anonymous sync prunes those rows;
   * the same user's next login resumes it, another user's login clears them first.
   */
  keptDataOwner(): string | undefined {
    const owner = this.persistedSyncState.value?.userId;
    return !this.isLoggedIn() && owner !== undefined && owner !== UNAUTHORIZED_USER_ID ? owner : undefined;
  }

  /**
   * needs-auth: give the app's `authenticationRequired` one chance to log in again (one call at a
   * time per tab). True when it did, so the caller syncs again.
   */
  async requestAuthentication(): Promise<boolean> {
    const callback = this.options?.authenticationRequired;
    if (!callback) return false;
    this.authenticating ??= Promise.resolve()
      .then(callback)
      .finally(() => (this.authenticating = undefined));
    try {
      await this.authenticating;
    } catch (error) {
      console.error('dxc:', error);
      return false;
    }
    return !this.needsAuth && this.isLoggedIn();
  }

  /**
   * Call `authenticationExpiringSoon` once per session end, AUTH_EXPIRING_SOON_MS before it (at
   * once if that moment has passed, e.g. after the page slept). Per tab: each page's app decides.
   */
  armExpiryWarning(): void {
    clearTimeout(this.expiryTimer);
    const end = this.isLoggedIn() ? this.currentUser.value.refreshTokenExpiration?.getTime() : undefined;
    const callback = this.options?.authenticationExpiringSoon;
    if (!end || !callback || this.closed || this.warnedExpiry === end) return;
    const fire = () => {
      if (this.warnedExpiry === end || this.closed) return;
      this.warnedExpiry = end;
      const seconds = Math.max(0, Math.round((end - Date.now()) / 1000));
      Promise.resolve()
        .then(() => callback(seconds))
        .catch((error) => console.error('dxc:', error));
    };
    const delay = end - AUTH_EXPIRING_SOON_MS - Date.now();
    // setTimeout holds at most 2^31-1 ms (~24.8 days); longer sessions re-arm on a later setUser.
    if (delay <= 0) fire();
    else if (delay < 2 ** 31) this.expiryTimer = setTimeout(fire, delay);
  }

  /** Stop timers (the database closed). */
  stopTimers(): void {
    clearTimeout(this.expiryTimer);
  }

  async loadUser(): Promise<UserLogin | undefined> {
    const logins = (await this.vip.table('$logins').toArray()) as UserLogin[];
    return logins.find((login) => login.isLoggedIn);
  }

  async loadSyncState(): Promise<PersistedSyncState | undefined> {
    return (await this.vip.table('$syncState').get('syncState')) as PersistedSyncState | undefined;
  }

  /** Outbox entries not yet acknowledged by the server, over all synced tables. */
  /** Queued operations in every outbox, read in one transaction (a liveQuery re-runs it after each write). */
  countPending(): Promise<number> {
    const tables = this.outboxTables();
    if (!tables.length) return Promise.resolve(0);
    return this.vip.transaction('r', tables, async () => {
      let total = 0;
      for (const table of tables) total += await this.vip.table(table).count();
      return total;
    });
  }

  /**
   * A valid access token, refreshed first when it is about to expire (or `force`d after a 401).
   * One refresh at a time across tabs: the others wait for the lock and reuse its result.
   */
  async accessToken(force = false): Promise<string> {
    const used = this.currentUser.value;
    if (!force && !needsRefresh(used)) return used.accessToken!;
    return withLock(refreshLockName(this.idbName), async () => {
      const stored = await this.loadUser();
      if (!stored) throw dxcError('needs-auth', 'Not logged in');
      const refreshedElsewhere = stored.accessToken !== used.accessToken;
      if ((!force || refreshedElsewhere) && !needsRefresh(stored)) {
        this.setUser(stored);
        return stored.accessToken!;
      }
      try {
        const fresh = await refreshLogin(this.databaseUrl, stored);
        await this.vip.table('$logins').put(fresh);
        this.setUser(fresh);
        return fresh.accessToken!;
      } catch (error) {
        if (isDxcError(error, 'needs-auth')) this.needsAuth = true;
        throw error;
      }
    });
  }

  setPhase(phase: SyncStatePhase, error?: Error): void {
    this.onPhase(phase, error);
  }
}
