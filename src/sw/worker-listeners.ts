/**
 * The sync bundle's event listeners, for any service worker (Workbox-built or hand-written):
 * - `sync` with tag `dxc:<db>` (Background Sync, registered by the page after a local write): push;
 * - `periodicsync` with tag `dxc:<db>` (Periodic Background Sync): pull, so the app opens up to date;
 * - `message` `{type: 'dxc-sync', dbName, purpose}`: the fallback a page posts when it cannot
 *   register a tag; the answer goes back on the message's port, if it passed one;
 * - `message` `{type: 'dxc-sync-probe'}`: a page asking whether this worker runs the bundle (what
 *   `db.cloud.usingServiceWorker` reports); answered at once on the message's port.
 * Each listener hands `event.waitUntil` the whole sync, so the browser keeps the worker alive for
 * it and, for `sync`, retries the event when it rejects. Tags of other libraries are ignored.
 */
import { devLog } from './dev-log.js';
import { syncDatabase } from './sync-in-worker.js';
import {
  dbNameOfTag,
  isSyncProbe,
  parseSyncMessage,
  SYNC_PROBE_TYPE,
  type SyncMessageReply,
  type SyncProbeReply,
} from './sync-tag.js';

/** The part of ServiceWorkerGlobalScope the listeners need. */
export interface SyncWorkerScope {
  addEventListener(type: 'sync', listener: (event: SyncEvent) => void): void;
  addEventListener(type: 'periodicsync', listener: (event: PeriodicSyncEvent) => void): void;
  addEventListener(type: 'message', listener: (event: DxcWorkerMessageEvent) => void): void;
}

let installed = false;

/** Add the listeners to `scope` (the worker's `self`); a second call does nothing. */
export function installSyncListeners(scope: SyncWorkerScope): void {
  if (installed) return;
  installed = true;

  scope.addEventListener('sync', (event) => {
    const dbName = dbNameOfTag(event.tag);
    if (!dbName) return;
    devLog('sync event', event.tag, event.lastChance ? '(last chance)' : '');
    event.waitUntil(syncDatabase(dbName, 'push'));
  });

  scope.addEventListener('periodicsync', (event) => {
    const dbName = dbNameOfTag(event.tag);
    if (!dbName) return;
    devLog('periodicsync event', event.tag);
    event.waitUntil(syncDatabase(dbName, 'pull'));
  });

  scope.addEventListener('message', (event) => {
    if (isSyncProbe(event.data)) {
      const answer: SyncProbeReply = { type: SYNC_PROBE_TYPE, ok: true };
      return void event.ports[0]?.postMessage(answer);
    }
    const request = parseSyncMessage(event.data);
    if (!request) return;
    const port = event.ports[0];
    event.waitUntil(
      syncDatabase(request.dbName, request.purpose).then(
        () => reply(port, { ok: true }),
        (error: unknown) => reply(port, failure(error)),
      ),
    );
  });
}

function reply(port: MessagePort | undefined, answer: SyncMessageReply): void {
  port?.postMessage(answer);
}

/** An error as plain data: class instances do not survive postMessage with their code. */
function failure(error: unknown): SyncMessageReply {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return {
    ok: false,
    code: typeof code === 'string' ? code : 'sync-failed',
    message: typeof message === 'string' ? message : String(error),
  };
}
