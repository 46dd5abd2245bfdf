/**
 * The app's service worker: Workbox precaching of the app shell (so it opens offline), the shell
 * for every navigation, update-on-consent, and dxc's sync bundle, which handles `sync` (push what
 * was written offline, even after the app closed) and `periodicsync` (pull, so the app opens up
 * to date). Built by vite-plugin-pwa as a classic script.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> };

importScripts('dxc-sync-sw.js');

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/\/_dev\//] }));

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
clientsClaim();
