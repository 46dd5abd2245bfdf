/**
 * Runtime caching of the dxc service worker (src/sw.ts, src/sw/runtime-routes.ts) in Debian's
 * Chromium against a real dxc-server: after a login and syncs, Cache Storage holds the app shell
 * and its assets, and nothing of the sync protocol (a cached `/sync` answer would replay old
 * revisions, a cached `/token` answer would keep a session in the cache).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { buildApp, launchChromium, openWithWorker, serveApp, startDxcServer, type AppServer, type DxcServer } from './helpers/sw-harness.js';
import { eventually } from './helpers/server-view.js';

let browser: Browser;
let app: AppServer;
let dxc: DxcServer;

before(async () => {
  app = await serveApp(await buildApp('v1'));
  dxc = await startDxcServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.close();
  await dxc?.server.close();
});

/**
 * The paths of the sync protocol, on the sync server's origin. `/sync` and `/token` are POSTs,
 * which the Cache API refuses to store anyway; the GETs (`/auth-providers`, the dev mailbox the
 * login reads) are what a too-broad runtime route would catch.
 */
const SYNC_PROTOCOL = /\/(sync|token|changes|auth-providers)$|\/_dev\//;

test('caches the app shell and its assets, and no answer of the sync protocol (/sync, /token, /auth-providers, the dev mailbox)', { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const requested: string[] = [];
    context.on('requestfinished', (request) => requested.push(new URL(request.url()).pathname));
    await openWithWorker(page, app.origin);
    // The worker's fetch handler sees the page's requests, the cross-origin ones to the sync server
    // included, only once it controls the page (clientsClaim in src/sw.ts).
    await eventually(() => page.evaluate(() => navigator.serviceWorker.controller !== null));

    await page.evaluate((opts) => window.app.open(opts as never), { databaseUrl: dxc.server.url, tryUseServiceWorker: true });
    await page.evaluate(() => window.app.login('cache-check@example.com'));
    await page.evaluate(() => window.app.send('a message'));
    await page.evaluate(() => window.app.sync('push'));
    await page.evaluate(() => window.app.sync('pull'));
    for (const path of ['/token', '/sync', '/auth-providers']) assert.ok(requested.includes(path), `${path} was requested: ${requested}`);

    const caches = await page.evaluate(async () => {
      const byName: Record<string, string[]> = {};
      for (const name of await globalThis.caches.keys()) {
        byName[name] = (await (await globalThis.caches.open(name)).keys()).map((request) => request.url);
      }
      return byName;
    });
    const cachedPaths = Object.values(caches).flat().map((url) => new URL(url).pathname);
    assert.deepEqual(cachedPaths.filter((p) => SYNC_PROTOCOL.test(p)), [], `no sync protocol answer cached: ${JSON.stringify(caches)}`);

    const precache = Object.entries(caches).find(([name]) => name.startsWith('workbox-precache'))?.[1] ?? [];
    const precached = precache.map((url) => new URL(url).pathname);
    assert.ok(precached.includes('/index.html'), `the shell is precached: ${precached}`);
    const assets = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLScriptElement | HTMLLinkElement>('script[src], link[rel="stylesheet"], link[rel="modulepreload"]')].map(
        (element) => new URL('src' in element ? element.src : element.href).pathname,
      ),
    );
    assert.ok(assets.length > 0, 'the shell loads assets');
    for (const asset of assets) assert.ok(precached.includes(asset), `${asset} is precached: ${precached}`);
  } finally {
    await context.close();
  }
});
