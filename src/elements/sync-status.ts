import type { DxcDbLike, DxcSyncStateLike, DxcUserLike, ObservableLike, UnsubscribableLike } from './cloud-like.js';

/**
 * What `<dxc-sync-indicator>` shows, reflected as its `state` attribute:
 * - `offline`: no network, or the server cannot be reached;
 * - `connecting`: before the first sync of this page load completed;
 * - `pushing` / `pulling`: a sync is sending local changes / receiving the server's;
 * - `in-sync`: the last sync succeeded;
 * - `error`: the last sync failed (the text is shown on hover and focus);
 * - `needs-auth`: the server wants a login before syncing again.
 */
export type DxcSyncIndicatorState =
  | 'offline'
  | 'connecting'
  | 'pushing'
  | 'pulling'
  | 'in-sync'
  | 'error'
  | 'needs-auth';

/** True for a user with a real login (not the `unauthorized` placeholder). */
export function isLoggedIn(user: DxcUserLike | undefined): boolean {
  return !!user && !user.isLoading && (user.isLoggedIn ?? (!!user.userId && user.userId !== 'unauthorized'));
}

/** Errors that mean "log in again": dxc's `needs-auth` code, an expired token, an HTTP 401. */
function isAuthError(error: DxcSyncStateLike['error']): boolean {
  return !!error && (error.code === 'needs-auth' || error.name === 'TokenExpiredError' || error.status === 401);
}

/** `fetch` rejects with a TypeError when the server cannot be reached: to the user that is "offline". */
function isNetworkError(error: DxcSyncStateLike['error']): boolean {
  return !!error && (error.name === 'TypeError' || error.code === 'offline' || error.code === 'network');
}

/** Maps the client's sync state (and the user, when the db requires a login) to an indicator state. */
export function indicatorStateOf(
  sync: DxcSyncStateLike | undefined,
  user: DxcUserLike | undefined,
  requireAuth: boolean,
): DxcSyncIndicatorState {
  if (!sync) return 'connecting';
  const { phase, status } = sync;
  if (phase === 'error') {
    if (isAuthError(sync.error)) return 'needs-auth';
    return isNetworkError(sync.error) ? 'offline' : 'error';
  }
  if (phase === 'offline') return 'offline';
  if (requireAuth && user && !user.isLoading && !isLoggedIn(user)) return 'needs-auth';
  // The phase says how the data stands; `status` is the WebSocket's, which may still be reconnecting
  // (`error`) after a sync succeeded, so it only decides while no sync has completed.
  if (phase === 'pushing' || phase === 'pulling' || phase === 'in-sync') return phase;
  if (status === 'error') return 'error';
  return status === 'offline' ? 'offline' : 'connecting';
}

type LiveQuery = <T>(query: () => Promise<T>) => ObservableLike<T>;
const outboxCounts = new WeakMap<DxcDbLike, ObservableLike<number> | undefined>();

/**
 * The number of unsynced local changes of `db`: the client's own `cloud.unsyncedChanges` when it has
 * one, otherwise a `liveQuery` counting the `$<table>_mutations` outbox tables (the layout of
 * dexie-cloud-addon, which has no such observable). The same instance is returned for the same db.
 * The count starts once the database is open: a query would open it, and the app may not have
 * configured it yet (then `configure()` would throw), and with dexie-cloud-addon an element's query
 * opening the database raced the addon's own ready handler (test/elements/official-addon.test.ts).
 */
export function unsyncedChangesOf(db: DxcDbLike): ObservableLike<number> | undefined {
  if (db.cloud.unsyncedChanges) return db.cloud.unsyncedChanges;
  if (!outboxCounts.has(db)) {
    // Dexie exposes liveQuery as a static; reaching it through the instance keeps dexie out of the
    // elements' imports (it is a peer dependency, and the app's copy is the one that must observe).
    const liveQuery = (db.constructor as { liveQuery?: LiveQuery }).liveQuery;
    const outboxes = () => (db.tables ?? []).filter((t) => /^\$.+_mutations$/.test(t.name));
    const count = liveQuery?.(async () => {
      let total = 0;
      for (const table of outboxes()) total += await table.count();
      return total;
    });
    outboxCounts.set(db, count && afterOpen(db, count));
  }
  return outboxCounts.get(db);
}

/** `source`, subscribed to once `db` is open (at once for a db without Dexie's `on`). */
function afterOpen<T>(db: DxcDbLike, source: ObservableLike<T>): ObservableLike<T> {
  return {
    subscribe(observer) {
      let inner: UnsubscribableLike | undefined;
      let stopped = false;
      const start = () => {
        if (!stopped) inner = source.subscribe(observer);
      };
      // Out of Dexie's ready handler: a query made inside it would run during the open, as the
      // handlers of the client do.
      if (db.on) db.on('ready', () => void setTimeout(start));
      else start();
      return {
        unsubscribe() {
          stopped = true;
          inner?.unsubscribe();
        },
      };
    },
  };
}
