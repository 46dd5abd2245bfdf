/**
 * Logout and its policies. Every logout forgets the login (tokens and the device key, both in
 * `$logins`) and ends the session on the server (`POST /logout`, dxc-server), so a copied token
 * stops working at once. What happens to the data is the app's choice: by default (the addon's
 * way) synced tables, queues and sync state are deleted; `keepData` keeps them and pauses sync
 * until the next login; `cleanup(db)` hands the data to the app's own function.
 */
import type { Engine } from './engine.js';
import { interact, logoutConfirmation } from './interactions.js';
import { refreshLockName, withLock } from './locks.js';
import { markUntracked } from './outbox-middleware.js';
import type { LogoutOptions, UserLogin } from './types.js';

/** How long logout waits for the server to revoke the session before giving up (ms). @default 10000 */
export const LOGOUT_REVOKE_TIMEOUT_MS = 10_000;

/** Ask before unsynced changes are thrown away; true when there are none or the user agreed. */
export async function confirmDiscard(engine: Engine): Promise<boolean> {
  // Only a logged-in user's writes are queued, so the outbox also holds what `keepData` kept.
  const pending = await engine.countPending();
  if (!pending) return true;
  try {
    const owner = engine.isLoggedIn() ? engine.currentUserId() : (engine.keptDataOwner() ?? engine.currentUserId());
    await interact(engine.userInteraction, logoutConfirmation(owner, pending));
    return true;
  } catch {
    return false;
  }
}

/** Delete synced rows, queues, sync state and credentials; local-only tables stay. */
export async function clearLocalData(engine: Engine): Promise<void> {
  const db = engine.vip;
  const keep = new Set(['$jobs', '$syncState', ...(engine.options?.unsyncedTables ?? [])]);
  const tables = db.tables.map((t) => t.name).filter((name) => !keep.has(name));
  await db.transaction('rw', [...tables, '$syncState'], async (tx) => {
    markUntracked(tx.idbtrans);
    for (const name of tables) await tx.table(name).clear();
    await tx.table('$syncState').delete('syncState');
  });
  engine.needsAuth = false;
  engine.persistedSyncState.next(undefined);
  engine.setUser(undefined);
}

/** Forget the login (tokens and device key) but keep every row, the queue and the sync state. */
async function dropCredentials(engine: Engine): Promise<void> {
  await engine.vip.transaction('rw', ['$logins'], async (tx) => {
    markUntracked(tx.idbtrans);
    await tx.table('$logins').clear();
  });
  engine.needsAuth = false;
  engine.setUser(undefined);
}

/**
 * End `user`'s session on the server: `POST /logout` with the refresh token (valid whether or not
 * the access token has expired), or the access token when there is no refresh token. Best effort,
 * never throws: offline, the session ends by its own expiry, and the refresh token is useless
 * without the device key deleted here.
 */
export async function revokeSession(databaseUrl: string, user: UserLogin): Promise<void> {
  const { refreshToken, accessToken } = user;
  try {
    await fetch(`${databaseUrl}/logout`, {
      method: 'POST',
      mode: 'cors',
      headers: { 'Content-Type': 'application/json', ...(refreshToken ? {} : { Authorization: `Bearer ${accessToken}` }) },
      body: JSON.stringify(refreshToken ? { refresh_token: refreshToken } : {}),
      signal: AbortSignal.timeout(LOGOUT_REVOKE_TIMEOUT_MS),
    });
  } catch {
    // Unreachable or timed out: nothing more to do (see above).
  }
}

export async function logout(engine: Engine, options: LogoutOptions = {}): Promise<void> {
  const wipe = !options.keepData && !options.cleanup;
  // Only a wipe loses changes; keepData and cleanup leave the data where it is.
  if (wipe && !options.force && !(await confirmDiscard(engine))) return; // cancelled: stay logged in
  let user: UserLogin | undefined;
  // Under the refresh lock, so a refresh running in another tab cannot write the login back, and
  // the stored login (with the latest rotated refresh token) is the one revoked.
  await withLock(refreshLockName(engine.idbName), async () => {
    user = await engine.loadUser();
    await (wipe ? clearLocalData(engine) : dropCredentials(engine));
  });
  if (user) await revokeSession(engine.databaseUrl, user);
  if (options.cleanup) await options.cleanup(engine.db);
  // After a wipe: sync the public realm anonymously. After keepData/cleanup sync stays paused
  // (engine.syncPaused) until the next login, so nothing of the kept data is pruned.
  engine.triggerSync('pull');
}
