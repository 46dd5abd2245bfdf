/**
 * Web Locks, where the browser has them: one holder per name across every tab and the service
 * worker of an origin. Without the API (old Safari) the work runs unguarded, as the addon does.
 */
export function withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  return locks ? (locks.request(name, work) as Promise<T>) : work();
}

/** The lock name the official addon's page and service worker use for sync; dxc shares it. */
export function syncLockName(idbName: string): string {
  return `${idbName}|currentSyncWorker`;
}

/** The lock around refreshing and replacing the stored login (one refresh at a time across tabs). */
export function refreshLockName(idbName: string): string {
  return `${idbName}|refreshToken`;
}
