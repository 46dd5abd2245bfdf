/** Page-side service worker helpers: registration with update-on-consent, and the sync bridge. */
export { registerWorker, type RegisterWorkerOptions } from './register-worker.js';
export {
  connectServiceWorker,
  postSyncMessage,
  WORKER_PROBE_TIMEOUT_MS,
  type BridgeOptions,
  type WorkerBridge,
} from './page-bridge.js';
export {
  SYNC_MESSAGE_TYPE,
  SYNC_PROBE_TYPE,
  SYNC_TAG_PREFIX,
  syncTag,
  type SyncMessage,
  type SyncMessageReply,
  type SyncProbeReply,
  type SyncPurpose,
} from './sync-tag.js';
