/**
 * Background and periodic sync through the dxc service worker, in Debian's Chromium against a
 * real dxc-server. Sync events are dispatched through the DevTools Protocol; the DevTools session
 * lives on an about:blank page, so it outlives every page of the app.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeTson, type SyncRequest } from 'dxc/protocol';
import type { RunningServer } from 'dxc-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  buildApp,
  grantPeriodicSync,
  launchChromium,
  openWithWorker,
  serveApp,
  startDxcServer,
  type AppServer,
  type DxcServer,
} from './helpers/sw-harness.js';
import { eventually, otherDevice } from './helpers/server-view.js';

let browser: Browser;
let app: AppServer;
let server: RunningServer;
let dxc: DxcServer;
let emails = 0;

/** No timed assertions: this only ends a test that would otherwise hang on a broken worker. */
const LIMIT = { timeout: 120_000 };

before(async () => {
  app = await serveApp(await buildApp('v1'));
  dxc = await startDxcServer();
  server = dxc.server;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.close();
  await server?.close();
});

const nextEmail = () => `sw-${process.pid}-${++emails}@example.com`;

async function withContext(run: (context: BrowserContext) => Promise<void>): Promise<void> {
  dxc.advanceClock(61_000);
  const context = await browser.newContext();
  try {
    await run(context);
  } finally {
    await context.close();
  }
}

/** Open the app with the worker, a dxc database with `options`, and log in `email`. */
async function openChat(page: Page, options: Record<string, unknown>, email: string): Promise<string> {
  const name = await page.evaluate((opts) => window.app.open(opts as never), { databaseUrl: server.url, ...options });
  await page.evaluate((address) => window.app.login(address), email);
  await page.evaluate(() => window.app.sync('pull'));
  return name;
}

test('a message written offline reaches the server by background sync after every page closed', LIMIT, async () => {
  await withContext(async (context) => {
    const blank = await context.newPage();
    const page = await context.newPage();
    const worker = await openWithWorker(page, app.origin, blank);
    const email = nextEmail();
    const name = await openChat(page, { tryUseServiceWorker: true }, email);
    assert.equal(await page.evaluate(() => window.app.usingServiceWorker()), true);

    await context.setOffline(true);
    await page.evaluate(() => window.app.send('sent while offline'));
    assert.equal(await page.evaluate(() => window.app.pending()), 1);
    // The write registered the database's tag; offline, the browser holds it back.
    assert.deepEqual(await page.evaluate(() => window.app.syncTags()), [`dxc:${name}`]);
    await page.close();

    await context.setOffline(false);
    await worker.dispatchSync(`dxc:${name}`);
    const device = await otherDevice(server, email);
    assert.deepEqual(await eventually(async () => (await device.texts()).length > 0 && device.texts()), ['sent while offline']);
  });
});

test('periodic sync pulls while no page is open, so the next offline load shows the news', LIMIT, async () => {
  await withContext(async (context) => {
    const blank = await context.newPage();
    const page = await context.newPage();
    const worker = await openWithWorker(page, app.origin, blank);
    await grantPeriodicSync(browser, page, app.origin);
    const email = nextEmail();
    const name = await openChat(page, { tryUseServiceWorker: true, periodicSync: { minInterval: 12 * 3600_000 } }, email);
    assert.deepEqual(await page.evaluate(() => window.app.periodicTags()), [`dxc:${name}`]);
    await page.close();

    const device = await otherDevice(server, email);
    await device.send('news while closed');
    // Offline emulation covers the worker too: go offline only once its pull has an answer.
    const pulled = context.waitForEvent('requestfinished', {
      predicate: (request) => request.url() === `${server.url}/sync` && request.serviceWorker() !== null,
      timeout: 0,
    });
    await worker.dispatchPeriodicSync(`dxc:${name}`);
    await pulled;

    await context.setOffline(true);
    const next = await context.newPage();
    await next.goto(`${app.origin}/`);
    await next.waitForSelector('#messages li:text-is("news while closed")', { timeout: 0 });
  });
});

test('page and worker syncing at the same moment never push a mutation twice', LIMIT, async () => {
  await withContext(async (context) => {
    const pushes: { txid: string; fromWorker: boolean }[] = [];
    await context.route('**/sync', async (route) => {
      const request = route.request();
      const body = decodeTson(request.postData() ?? '{}') as SyncRequest;
      for (const set of body.changes ?? []) {
        if (set.table !== 'messages') continue;
        for (const mut of set.muts) pushes.push({ txid: mut.txid!, fromWorker: request.serviceWorker() !== null });
      }
      await route.continue();
    });
    const blank = await context.newPage();
    const page = await context.newPage();
    const worker = await openWithWorker(page, app.origin, blank);
    const email = nextEmail();
    const name = await openChat(page, { tryUseServiceWorker: true }, email);
    const lock = `${name}|currentSyncWorker`;

    // Hold the sync lock while both sides queue up for it, then let them race.
    await page.evaluate((lockName) => {
      const w = window as unknown as { release: () => void };
      navigator.locks.request(lockName, () => new Promise<void>((resolve) => (w.release = resolve)));
    }, lock);
    await page.evaluate(async () => {
      for (const text of ['one', 'two', 'three']) await window.app.send(text);
    });
    await worker.dispatchSync(`dxc:${name}`);
    const pageSync = page.evaluate(() => window.app.sync('push'));
    await eventually(() =>
      page.evaluate(async (lockName) => {
        const { pending = [] } = await navigator.locks.query();
        const waiting = pending.filter((p) => p.name === lockName);
        // Two different clients queue for the lock: this page's scheduler and the worker's sync
        // (the tag the writes registered fires at once online, and the dispatch adds one).
        return new Set(waiting.map((p) => p.clientId)).size >= 2;
      }, lock),
    );
    await page.evaluate(() => (window as unknown as { release: () => void }).release());
    await pageSync;

    await eventually(async () => (await page.evaluate(() => window.app.pending())) === 0);
    const device = await otherDevice(server, email);
    assert.deepEqual(await eventually(async () => (await device.texts()).length === 3 && device.texts()), ['one', 'three', 'two']);
    const txids = pushes.map((p) => p.txid);
    assert.equal(txids.length, 3, `each mutation pushed once: ${JSON.stringify(pushes)}`);
    assert.equal(new Set(txids).size, 3);
  });
});

test('a page can ask the worker to push by message when it registers no tag', LIMIT, async () => {
  await withContext(async (context) => {
    const page = await context.newPage();
    await openWithWorker(page, app.origin);
    const email = nextEmail();
    // No eager push and no WebSocket: nothing but the message can push this write.
    await openChat(page, { tryUseServiceWorker: true, disableEagerSync: true, disableWebSocket: true }, email);
    await page.evaluate(() => window.app.send('asked by message'));
    assert.deepEqual(await page.evaluate(() => window.app.syncTags()), []);
    assert.equal(await page.evaluate(() => window.app.pending()), 1);

    assert.deepEqual(await page.evaluate(() => window.app.askWorker('push')), { ok: true });
    assert.equal(await page.evaluate(() => window.app.pending()), 0);
    const device = await otherDevice(server, email);
    assert.deepEqual(await device.texts(), ['asked by message']);
  });
});

test('the worker leaves alone databases that do not exist or did not opt in', LIMIT, async () => {
  await withContext(async (context) => {
    const page = await context.newPage();
    await openWithWorker(page, app.origin);
    const email = nextEmail();
    await openChat(page, { tryUseServiceWorker: false, disableEagerSync: true, disableWebSocket: true }, email);
    await page.evaluate(() => window.app.send('stays queued'));

    assert.deepEqual(await page.evaluate(() => window.app.askWorker('push')), { ok: true });
    assert.equal(await page.evaluate(() => window.app.pending()), 1, 'the worker did not sync an opted-out db');
    assert.deepEqual(await page.evaluate(() => window.app.askWorker('pull', 'no-such-db')), { ok: true });
    const names = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert.ok(!names.includes('no-such-db'), `the worker created no database: ${names}`);
  });
});

test('with tryUseServiceWorker false the page syncs by itself and registers no tag', LIMIT, async () => {
  await withContext(async (context) => {
    const page = await context.newPage();
    await openWithWorker(page, app.origin);
    const email = nextEmail();
    await openChat(page, { tryUseServiceWorker: false }, email);
    assert.equal(await page.evaluate(() => window.app.usingServiceWorker()), false);
    await page.evaluate(() => window.app.send('in-page only'));
    assert.deepEqual(await page.evaluate(() => window.app.syncTags()), []);
    const device = await otherDevice(server, email);
    assert.deepEqual(await eventually(async () => (await device.texts()).length > 0 && device.texts()), ['in-page only']);
  });
});

test('without a registered worker the page syncs by itself', LIMIT, async () => {
  await withContext(async (context) => {
    const page = await context.newPage();
    await page.goto(`${app.origin}/?no-sw`);
    const email = nextEmail();
    await openChat(page, { tryUseServiceWorker: true }, email);
    assert.equal(await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((r) => r.length)), 0);
    assert.equal(await page.evaluate(() => window.app.usingServiceWorker()), false);
    await page.evaluate(() => window.app.send('no worker here'));
    const device = await otherDevice(server, email);
    assert.deepEqual(await eventually(async () => (await device.texts()).length > 0 && device.texts()), ['no worker here']);
  });
});
