/**
 * The page half of dxc background sync. With `tryUseServiceWorker: true` and a service worker
 * registered for the page (one that loaded the sync bundle), the client connects a bridge:
 * - after each local write transaction it registers the Background Sync tag `dxc:<db>`, so the
 *   worker pushes the write even if every page of the app is closed before the network returns;
 * - with `periodicSync: {minInterval}` it registers Periodic Background Sync (a pull), when the
 *   browser grants it (Chromium: an installed PWA with enough engagement);
 * - where tag registration fails, it posts `{type: 'dxc-sync'}` to the worker instead.
 * The page keeps syncing itself as before; the worker is the guarantee for closed pages, and the
 * shared Web Lock keeps the two from pushing a mutation twice. Browsers without Background Sync
 * (Firefox, Safari) get no bridge: `usingServiceWorker` stays false and sync stays in the page.
 */
import { devLog } from './dev-log.js';
import { SYNC_MESSAGE_TYPE, syncTag, type SyncMessage, type SyncMessageReply, type SyncPurpose } from './sync-tag.js';

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
 * `idbName`. Resolves quickly with a bridge that is inert when no worker can be used. A worker
 * still installing is not waited for (its install may never finish offline): the bridge turns
 * on when it activates, and until then the page's own sync covers every write.
 */
export async function connectServiceWorker(idbName: string, options: BridgeOptions): Promise<WorkerBridge> {
  const container = globalThis.navigator?.serviceWorker;
  if (options.tryUseServiceWorker !== true || !container) return NO_BRIDGE;
  const found = await container.getRegistration().catch(() => undefined);
  if (!found?.sync) return NO_BRIDGE;
  const tag = syncTag(idbName);
  let active: ServiceWorkerRegistration | undefined;
  const activate = async (registration: ServiceWorkerRegistration) => {
    await updatePeriodicSync(registration, tag, options.periodicSync);
    active = registration;
  };
  if (found.active) await activate(found);
  else void container.ready.then(activate);
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
  if (!worker) return Promise.resolve(undefined);
  const { port1, port2 } = new MessageChannel();
  const message: SyncMessage = { type: SYNC_MESSAGE_TYPE, dbName, purpose };
  return new Promise((resolve) => {
    port1.onmessage = (event: MessageEvent<SyncMessageReply>) => {
      port1.close();
      resolve(event.data);
    };
    worker.postMessage(message, [port2]);
  });
}
