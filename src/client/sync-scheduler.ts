/**
 * When to sync, and one sync at a time. Requests coalesce (a pull covers a push); each run holds
 * the Web Lock `<db>|currentSyncWorker` (shared with other tabs and the official addon's service
 * worker). A failed run is retried with back-off; a refused refresh token stops all retries until
 * the next login (which the app's `authenticationRequired` may do at once), so an expired session
 * never turns into a request loop.
 */
import type { Engine } from './engine.js';
import { dxcError, isDxcError } from './errors.js';
import { syncLockName, withLock } from './locks.js';
import { syncOnce, type SyncOutcome } from './sync.js';

/** Delays before retrying a failed sync, in ms; the last one repeats. @default [1000, 5000, 15000, 60000, 300000] */
export const SYNC_RETRY_DELAYS_MS: readonly number[] = [1000, 5000, 15000, 60000, 300000];

/** Round trips in one run before yielding, when local writes keep arriving during each. @default 10 */
export const MAX_ROUND_TRIPS_PER_RUN = 10;

export interface SyncScheduler {
  /** Sync soon; settles with the first attempt that starts after this call: resolves if it succeeds, rejects with its error. */
  request(purpose: 'push' | 'pull'): Promise<void>;
  /** Run `work` under the sync lock, between syncs (used to apply WebSocket changes). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  stop(): void;
}

export function createSyncScheduler(
  engine: Engine,
  hooks: { onComplete(): void },
): SyncScheduler {
  let pending: 'push' | 'pull' | undefined;
  // The attempt no caller has seen start yet: a request made while an attempt is failing (say, it
  // started while offline) waits for an attempt of its own, not for that attempt's error.
  let next: Deferred | undefined;
  let running = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let stopped = false;
  let queue: Promise<unknown> = Promise.resolve();

  // In-tab serialisation first (cheap), then the cross-tab lock.
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const result = queue.then(() => withLock(syncLockName(engine.idbName), work));
    queue = result.catch(() => {});
    return result;
  };

  // The retry keeps the failed purpose: a failed pull retried as a push would be skipped whenever
  // the outbox is empty, and without a WebSocket nothing else would pull.
  const scheduleRetry = (purpose: 'push' | 'pull') => {
    clearTimeout(retryTimer);
    const delay = SYNC_RETRY_DELAYS_MS[Math.min(failures, SYNC_RETRY_DELAYS_MS.length - 1)]!;
    failures++;
    retryTimer = setTimeout(() => void request(purpose).catch(() => {}), delay);
  };

  async function attempt(purpose: 'push' | 'pull'): Promise<SyncOutcome> {
    try {
      const outcome = await exclusive(async () => {
        let result = await syncOnce(engine, purpose);
        for (let i = 1; (result === 'again' || result === 'more') && i < MAX_ROUND_TRIPS_PER_RUN; i++) {
          result = await syncOnce(engine, result === 'more' ? 'pull' : 'push');
        }
        return result;
      });
      // Still more in the outbox or pages to pull: go on after settling this attempt's callers (a
      // request of our own, so that every pass of the loop has its deferred).
      if (outcome === 'again' || outcome === 'more') engine.triggerSync(outcome === 'more' ? 'pull' : 'push');
      failures = 0;
      // A paged pull that yielded the lock is still pulling: not in sync, nothing complete yet.
      engine.setPhase(outcome === 'more' ? 'pulling' : 'in-sync');
      if (outcome !== 'skipped' && outcome !== 'more') hooks.onComplete();
      return outcome;
    } catch (error) {
      if (isDxcError(error, 'needs-auth')) {
        engine.needsAuth = true;
        // The app logged in again (authenticationRequired): sync again at once.
        if (await engine.requestAuthentication()) return attempt(purpose);
        engine.setPhase('error', error as Error);
      } else if (isDxcError(error, 'offline')) {
        engine.setPhase('offline');
        scheduleRetry(purpose);
      } else {
        engine.setPhase('error', error as Error);
        scheduleRetry(purpose);
      }
      throw error;
    }
  }

  async function run(): Promise<void> {
    running = true;
    while (pending && !stopped) {
      const purpose = pending;
      const settle = next!;
      pending = next = undefined;
      clearTimeout(retryTimer);
      // Callers of an attempt that left pages to pull settle with the attempt that goes on with them.
      await attempt(purpose).then((outcome) => {
        if (outcome === 'more' && next) next.promise.then(settle.resolve, settle.reject);
        else settle.resolve();
      }, settle.reject);
    }
    running = false;
    // Stopped with callers still waiting: nothing will sync for them, so do not leave them hanging.
    next?.resolve();
    next = undefined;
  }

  function request(purpose: 'push' | 'pull'): Promise<void> {
    // Logged out with kept data (logout({keepData})): nothing syncs until the next login.
    if (stopped || !engine.databaseUrl || engine.keptDataOwner() !== undefined) return Promise.resolve();
    if (engine.needsAuth && engine.isLoggedIn()) {
      return Promise.reject(engine.syncState.value.error ?? dxcError('needs-auth', 'Log in again to sync'));
    }
    pending = pending === 'pull' || purpose === 'pull' ? 'pull' : 'push';
    const { promise } = (next ??= deferred());
    if (!running) void run();
    return promise;
  }

  return {
    request,
    exclusive,
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
    },
  };
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  const d = {} as Deferred;
  d.promise = new Promise((resolve, reject) => Object.assign(d, { resolve, reject }));
  return d;
}
