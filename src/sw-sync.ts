/**
 * Entry of the dxc sync bundle, `dxc-sync-sw.js`: a classic script that any service worker loads
 * with one line, `importScripts('/dxc-sync-sw.js')`, to get dxc's background sync (`sync`),
 * periodic sync (`periodicsync`) and the page's `dxc-sync` message fallback. It bundles Dexie and
 * the dxc sync engine; scripts/build-sw.mjs builds it as an IIFE.
 */
import { installSyncListeners } from './sw/worker-listeners.js';
import { syncDatabase } from './sw/sync-in-worker.js';
import { syncTag } from './sw/sync-tag.js';

declare const self: ServiceWorkerGlobalScope & { dxcSync?: DxcSyncGlobal };

/** What the bundle exposes as `self.dxcSync`, for workers that want to start a sync themselves. */
export interface DxcSyncGlobal {
  syncDatabase: typeof syncDatabase;
  syncTag: typeof syncTag;
}

installSyncListeners(self);
self.dxcSync = { syncDatabase, syncTag };
