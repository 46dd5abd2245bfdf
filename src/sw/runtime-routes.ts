/**
 * Runtime caching for requests the precache does not cover, one strategy per kind of request.
 * Sync traffic is never cached: `/sync`, `/token`, `/changes`, `/auth-providers` and the dev
 * mailbox always go to the network untouched (a cached sync answer would replay old revisions,
 * a cached token answer would leak a session into the cache).
 */
import { CacheableResponsePlugin } from 'workbox-cacheable-response';
import { ExpirationPlugin } from 'workbox-expiration';
import { registerRoute } from 'workbox-routing';
import { CacheFirst, NetworkFirst, StaleWhileRevalidate } from 'workbox-strategies';

/** Paths of the sync protocol (on any origin), which no route may cache. */
export const SYNC_PATHS: readonly RegExp[] = [/\/sync$/, /\/token$/, /\/changes$/, /\/auth-providers$/, /\/_dev\//];

/** Most images and fonts kept by the runtime cache. @default 60 entries */
export const MAX_ASSET_ENTRIES = 60;

/** How long a runtime-cached image or font is kept, in seconds. @default 2592000 (30 days) */
export const MAX_ASSET_AGE_SECONDS = 30 * 24 * 60 * 60;

/** Most answers of the app's own `/api/` GETs kept for offline use. @default 50 entries */
export const MAX_API_ENTRIES = 50;

export function isSyncRequest(url: URL): boolean {
  return SYNC_PATHS.some((path) => path.test(url.pathname));
}

/** Register the runtime routes on Workbox's default router. */
export function registerRuntimeRoutes(origin: string): void {
  // Images and fonts: immutable in practice, so the cache answers first.
  registerRoute(
    ({ request, url }) =>
      (request.destination === 'image' || request.destination === 'font') && !isSyncRequest(url),
    new CacheFirst({
      cacheName: 'dxc-assets',
      plugins: [
        // Status 0: opaque cross-origin answers (web fonts, CDN images) are worth keeping too.
        new CacheableResponsePlugin({ statuses: [0, 200] }),
        new ExpirationPlugin({
          maxEntries: MAX_ASSET_ENTRIES,
          maxAgeSeconds: MAX_ASSET_AGE_SECONDS,
          purgeOnQuotaError: true,
        }),
      ],
    }),
  );
  // Same-origin scripts and styles outside the precache (lazy chunks, third-party widgets): fast
  // from cache, refreshed in the background.
  registerRoute(
    ({ request, url }) =>
      url.origin === origin &&
      (request.destination === 'script' || request.destination === 'style') &&
      !isSyncRequest(url),
    new StaleWhileRevalidate({ cacheName: 'dxc-static', plugins: [new CacheableResponsePlugin({ statuses: [200] })] }),
  );
  // The app's own JSON API (e.g. the starter's weather report): fresh when online, last answer offline.
  registerRoute(
    ({ request, url }) => url.origin === origin && url.pathname.startsWith('/api/') && request.method === 'GET',
    new NetworkFirst({
      cacheName: 'dxc-api',
      plugins: [
        new CacheableResponsePlugin({ statuses: [200] }),
        new ExpirationPlugin({ maxEntries: MAX_API_ENTRIES }),
      ],
    }),
  );
}
