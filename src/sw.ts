/**
 * The dxc service worker, built by vite-plugin-pwa (`strategies: 'injectManifest'`) as a classic
 * script: Workbox precaching of the app shell, the shell for every navigation (so the app opens
 * offline), runtime caching (src/sw/runtime-routes.ts), update-on-consent, and the dxc sync
 * bundle for `sync`, `periodicsync` and the `dxc-sync` message.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { registerRuntimeRoutes } from './sw/runtime-routes.js';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

// A classic script, not a module: importScripts is only legal in classic workers. The browser
// checks imported scripts for changes too, so a new bundle installs a new worker version.
importScripts('dxc-sync-sw.js');

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);

// Every navigation gets the precached shell: the app opens offline, and the version the user
// runs changes only when they accept an update (a network-first shell would switch versions on
// any reload, behind the waiting worker's back).
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/\/_dev\//, /\/__/] }));
registerRuntimeRoutes(self.location.origin);

// Update-on-consent: a new version waits until the page (workbox-window's messageSkipWaiting,
// after the user accepted) asks it to take over.
self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
// The first version controls the page that installed it, so runtime caching starts at once.
clientsClaim();
