/**
 * The worker half of dxc sync: reopen a database the page created and run the page's own sync
 * engine (`syncOnce` from src/client) on it, under the page's Web Lock `<db>|currentSyncWorker`,
 * so a page and the worker never sync the same database at once and no mutation is pushed twice.
 *
 * The worker knows nothing the page did not persist: the database is opened in Dexie's dynamic
 * mode (the stores the page created), and the options, cloud schema and login come from
 * `$syncState` and `$logins`. A database whose page never opted in with `tryUseServiceWorker`
 * is left alone.
 */
import { Dexie } from 'dexie';
import type { DexieCloudSchema } from 'dxc/protocol';
import { Engine } from '../client/engine.js';
import { isDxcError } from '../client/errors.js';
import { syncLockName, withLock } from '../client/locks.js';
import type { DxcOptions } from '../client/options.js';
import { MAX_ROUND_TRIPS_PER_RUN } from '../client/sync-scheduler.js';
import { syncOnce, type SyncOutcome } from '../client/sync.js';
import { openTabChannel } from '../client/tab-channel.js';
import { devLog } from './dev-log.js';
import type { SyncPurpose } from './sync-tag.js';

/**
 * What a worker sync did. `synced`/`skipped` come from the engine; `not-enabled` means the page
 * never opted in (or never configured the db); `no-database` that it does not exist (deleted);
 * `needs-auth` that the server refused the session, which only a login in a page can fix.
 */
export type WorkerSyncOutcome = 'synced' | 'skipped' | 'not-enabled' | 'no-database' | 'needs-auth';

/**
 * Sync database `dbName` once (push the outbox, pull what changed). Resolves when done; rejects
 * when the server could not be reached or failed, so that a `sync` event rejects and the browser
 * retries it later.
 */
export function syncDatabase(dbName: string, purpose: SyncPurpose): Promise<WorkerSyncOutcome> {
  // The database is opened inside the lock and closed before leaving it: the worker never keeps a
  // connection that would block the page's next schema upgrade.
  return withLock(syncLockName(dbName), async () => {
    const db = await openExisting(dbName);
    if (!db) return 'no-database';
    try {
      return await syncOpenDatabase(db, purpose);
    } finally {
      db.close();
    }
  });
}

async function openExisting(dbName: string): Promise<Dexie | undefined> {
  const db = new Dexie(dbName, { autoOpen: false });
  try {
    await db.open();
  } catch (error) {
    if ((error as Error | undefined)?.name === 'NoSuchDatabaseError') return undefined;
    throw error;
  }
  return db;
}

async function syncOpenDatabase(db: Dexie, purpose: SyncPurpose): Promise<WorkerSyncOutcome> {
  if (!db.tables.some((table) => table.name === '$syncState')) return 'not-enabled';
  const [options, schema] = (await db.table('$syncState').bulkGet(['options', 'schema'])) as [
    DxcOptions | undefined,
    DexieCloudSchema | undefined,
  ];
  if (!options?.databaseUrl || options.tryUseServiceWorker !== true || !schema) return 'not-enabled';

  const engine = new Engine(db);
  engine.options = options;
  Object.assign(engine.schema, schema);
  engine.setUser(await engine.loadUser());
  engine.persistedSyncState.next(await engine.loadSyncState());

  // Pages show the worker's sync in their syncState and hear its completion, as for another tab.
  const channel = openTabChannel(db.name, () => {}, () => {});
  engine.onPhase = (phase) => channel.postPhase(phase);
  try {
    let outcome: SyncOutcome = await syncOnce(engine, purpose);
    // Pages go on to the last (the pull's head is fixed, so they end): a worker's engine forgets
    // its place with the event, and a pull cut short would start over at every event.
    for (let round = 1; outcome === 'more' || (outcome === 'again' && round < MAX_ROUND_TRIPS_PER_RUN); round++) {
      outcome = await syncOnce(engine, outcome === 'more' ? 'pull' : 'push');
    }
    channel.postPhase('in-sync');
    if (outcome === 'skipped') return 'skipped';
    channel.postSyncComplete();
    devLog('synced', db.name, purpose);
    return 'synced';
  } catch (error) {
    channel.postPhase(isDxcError(error, 'offline') ? 'offline' : 'error');
    // A refused session does not heal by retrying: resolve, and let the page ask for a login.
    if (isDxcError(error, 'needs-auth')) return 'needs-auth';
    devLog('sync failed', db.name, purpose, error);
    throw error;
  } finally {
    channel.close();
  }
}
