/**
 * The page half of dxc background sync. With `tryUseServiceWorker: true` and a service worker
 * registered for the page, the page asks the active worker whether it loaded the sync bundle (the
 * `dxc-sync-probe` message, which only the bundle answers). Once it answers, the bridge is on:
 * - after each local write transaction it registers the Background Sync tag `dxc:<db>`, so the
 *   worker pushes the write even if every page of the app is closed before the network returns;
 * - with `periodicSync: {minInterval}` it registers Periodic Background Sync (a pull), when the
 *   browser grants it (Chromium: an installed PWA with enough engagement);
 * - where tag registration fails, it posts `{type: 'dxc-sync'}` to the worker instead.
 * The page keeps syncing itself as before; the worker is the guarantee for closed pages, and the
 * shared Web Lock keeps the two from pushing a mutation twice. Browsers without Background Sync
 * (Firefox, Safari) get no bridge, and neither does a worker that does not answer the probe within
 * WORKER_PROBE_TIMEOUT_MS (another library's worker, or the app's own without `importScripts`):
 * `usingServiceWorker` stays false and sync stays in the page.
 */
import { devLog } from './dev-log.js';
import {
  SYNC_MESSAGE_TYPE,
  SYNC_PROBE_TYPE,
  syncTag,
  type SyncMessage,
  type SyncMessageReply,
  type SyncProbeReply,
  type SyncPurpose,
} from './sync-tag.js';

/**
 * How long the page waits for the worker to answer the probe, in ms; no answer by then means no
 * dxc worker. The wait includes starting a stopped worker, which loads its scripts from the
 * browser's cache first. @default 3000
 */
export const WORKER_PROBE_TIMEOUT_MS = 3_000;

/** The options the bridge reads (a subset of DxcOptions, which stay serialisable for the worker). */
export interface BridgeOptions {
  tryUseServiceWorker?: boolean;
  periodicSync?: { minInterval?: number };
}

export interface WorkerBridge {
  /** True when a service worker runs this database's background sync (what `db.cloud.usingServiceWorker` reports). */
  readonly usingServiceWorker: boolean;
  /** Ask the worker to push soon: registers the sync tag, or posts the message fallback. Never rejects. */
  requestPush(): Promise<void>;
}

const NO_BRIDGE: WorkerBridge = { usingServiceWorker: false, requestPush: async () => {} };

/**
 * Find the page's service worker and set up background (and periodic) sync for database
 * `idbName`. Resolves at once with a bridge that turns on only when the active worker answers the
 * probe: `db.open()` waits for this, and must not wait on a worker that will never answer. A
 * worker still installing is not waited for either (its install may never finish offline): it is
 * probed when it activates. Until then the page's own sync covers every write.
 */
export async function connectServiceWorker(idbName: string, options: BridgeOptions): Promise<WorkerBridge> {
  const container = globalThis.navigator?.serviceWorker;
  if (options.tryUseServiceWorker !== true || !container) return NO_BRIDGE;
  const found = await container.getRegistration().catch(() => undefined);
  if (!found?.sync) return NO_BRIDGE;
  const tag = syncTag(idbName);
  let active: ServiceWorkerRegistration | undefined;
  const activate = async (registration: ServiceWorkerRegistration) => {
    if (!(await hasSyncBundle(registration.active))) return devLog('the active worker did not load the sync bundle');
    await updatePeriodicSync(registration, tag, options.periodicSync);
    active = registration;
  };
  void (found.active ? activate(found) : container.ready.then(activate));
  return {
    get usingServiceWorker() {
      return active !== undefined;
    },
    async requestPush() {
      const registration = active;
      if (!registration?.sync) return;
      try {
        await registration.sync.register(tag);
      } catch (error) {
        // Background sync can be switched off per site (Chromium's site settings): ask directly.
        devLog('sync.register failed, posting dxc-sync', error);
        void postSyncMessage(registration, idbName, 'push');
      }
    },
  };
}

/** Whether `worker` runs the sync bundle: only the bundle's listener answers the probe. */
async function hasSyncBundle(worker: ServiceWorker | null): Promise<boolean> {
  if (!worker) return false;
  let timer: number | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, WORKER_PROBE_TIMEOUT_MS)));
  const reply = await Promise.race([ask<SyncProbeReply>(worker, { type: SYNC_PROBE_TYPE }), timeout]);
  clearTimeout(timer);
  return reply?.type === SYNC_PROBE_TYPE && reply.ok === true;
}

/** Register, or drop, the periodic pull of `tag`, as the options say. Failures only mean "not now". */
async function updatePeriodicSync(
  registration: ServiceWorkerRegistration,
  tag: string,
  periodicSync: BridgeOptions['periodicSync'],
): Promise<void> {
  const periodic = registration.periodicSync;
  if (!periodic) return;
  try {
    if (!periodicSync) {
      if ((await periodic.getTags()).includes(tag)) await periodic.unregister(tag);
      return;
    }
    const permission = await navigator.permissions
      .query({ name: 'periodic-background-sync' as PermissionName })
      .catch(() => undefined);
    if (permission && permission.state !== 'granted') return;
    const { minInterval } = periodicSync;
    await periodic.register(tag, minInterval === undefined ? {} : { minInterval });
  } catch (error) {
    devLog('periodic sync not available', error);
  }
}

/**
 * Post `{type: 'dxc-sync', dbName, purpose}` to the active worker; resolves with its answer (or
 * undefined when there is no active worker).
 */
export function postSyncMessage(
  registration: ServiceWorkerRegistration,
  dbName: string,
  purpose: SyncPurpose,
): Promise<SyncMessageReply | undefined> {
  const worker = registration.active;
  const message: SyncMessage = { type: SYNC_MESSAGE_TYPE, dbName, purpose };
  return worker ? ask<SyncMessageReply>(worker, message) : Promise.resolve(undefined);
}

/** Post `message` to `worker` with a port for the answer; resolves with the first answer. */
function ask<Reply>(worker: ServiceWorker, message: unknown): Promise<Reply | undefined> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port1.onmessage = (event: MessageEvent<Reply>) => {
      port1.close();
      resolve(event.data);
    };
    try {
      worker.postMessage(message, [port2]);
    } catch {
      // A worker replaced meanwhile (state "redundant") refuses messages.
      resolve(undefined);
    }
  });
}
