// A service worker that never loads dxc-sync-sw.js, like another library's worker or an app's own
// worker without the importScripts line. It answers every message on the message's port, as such
// workers may: an answer alone must not convince the page that dxc's sync bundle runs here.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => event.ports[0]?.postMessage({ received: event.data }));
