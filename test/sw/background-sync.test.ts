/**
 * Background and periodic sync through the dxc service worker, in Debian's Chromium against a
 * real dxc-server. Sync events are dispatched through the DevTools Protocol; the DevTools session
 * lives on an about:blank page, so it outlives every page of the app.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeTson, type DexieCloudSchema, type SyncRequest, type SyncResponse } from 'dxc/protocol';
import type { RunningServer } from 'dxc-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  buildApp,
  grantPeriodicSync,
  launchChromium,
  openWithWorker,
  recordBackgroundSync,
  serveApp,
  startDxcServer,
  type AppServer,
  type DxcServer,
} from './helpers/sw-harness.js';
import { eventually, otherDevice } from './helpers/server-view.js';
import { loginUser, postSync } from '../../server/test/helpers/sync-helpers.js';
import { WORKER_PROBE_TIMEOUT_MS } from '../../src/sw/page-bridge.js';

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
    // True once the worker answered the page's probe: it runs the sync bundle.
    assert.equal(await eventually(() => page.evaluate(() => window.app.usingServiceWorker())), true);

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
    // Registered once the worker answered the page's probe.
    assert.deepEqual(await eventually(async () => (await page.evaluate(() => window.app.periodicTags())).length > 0 && page.evaluate(() => window.app.periodicTags())), [`dxc:${name}`]);
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

    // Hold the sync lock (granted once the sync that login started is done) while both sides
    // queue up for it, then let them race.
    await holdLock(page, lock);
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
    await releaseLock(page);
    await pageSync;

    await eventually(async () => (await page.evaluate(() => window.app.pending())) === 0);
    const device = await otherDevice(server, email);
    assert.deepEqual(await eventually(async () => (await device.texts()).length === 3 && device.texts()), ['one', 'three', 'two']);
    const txids = pushes.map((p) => p.txid);
    assert.equal(txids.length, 3, `each mutation pushed once: ${JSON.stringify(pushes)}`);
    assert.equal(new Set(txids).size, 3);
  });
});

/** A message as `[id, text, n]` (n null when never bumped), in one form for the server and the pages. */
type Row = [id: string, text: string, n: number | null];
const asRows = (values: unknown[]): Row[] =>
  (values as { id: string; text: string; n?: number }[])
    .map((v): Row => [v.id, v.text, v.n ?? null])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));

/** The cloud schema the test app syncs (as in helpers/server-view.ts). */
const APP_SCHEMA: DexieCloudSchema = {
  messages: { markedForSync: true },
  members: { generatedGlobalId: true, idPrefix: 'mmb', markedForSync: true },
  roles: { markedForSync: true },
  realms: { generatedGlobalId: true, idPrefix: 'rlm', markedForSync: true },
};

/** Every message the server holds for `email`, counters included, as a new device would pull them. */
async function serverRows(email: string): Promise<Row[]> {
  const { token } = await loginUser(server, email);
  const answer = await postSync(server, { v: 2, schema: APP_SCHEMA, baseRevs: [], changes: [] }, { token });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const { changes } = answer.body as SyncResponse;
  const messages = changes.filter((set) => set.table === 'messages');
  return asRows(messages.flatMap((set) => set.muts.flatMap((mut) => (mut.type === 'upsert' ? mut.values : []))));
}

/** `page`'s client id in the Web Locks API (what navigator.locks.query() reports for its requests). */
function lockClientId(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const name = `whoami-${crypto.randomUUID()}`;
    // No named functions in here: tsx would wrap them in a helper the page does not have.
    return navigator.locks.request(name, async () => {
      const { held = [] } = await navigator.locks.query();
      return held.find((lock) => lock.name === name)!.clientId!;
    });
  });
}

/** The client ids waiting for lock `name`, first in line first. */
function waitingFor(page: Page, name: string): Promise<string[]> {
  return page.evaluate(
    async (lockName) => ((await navigator.locks.query()).pending ?? []).filter((p) => p.name === lockName).map((p) => p.clientId!),
    name,
  );
}

/** Take lock `name` in `page` and keep it until `releaseLock(page)`; resolves once it is held. */
function holdLock(page: Page, name: string): Promise<void> {
  return page.evaluate(
    (lockName) =>
      new Promise<void>((held) => {
        void navigator.locks.request(lockName, () => {
          held();
          return new Promise<void>((release) => ((window as unknown as { releaseLock: () => void }).releaseLock = release));
        });
      }),
    name,
  );
}

const releaseLock = (page: Page) => page.evaluate(() => (window as unknown as { releaseLock: () => void }).releaseLock());

test('two tabs and the worker syncing at once push each mutation once and converge', LIMIT, async () => {
  await withContext(async (context) => {
    // Each mutation pushed, by whom: the worker, tab `one` or tab `two` (a page of the context).
    const pushes: { txid: string; by: string; text?: string }[] = [];
    const tabNames = new Map<Page, string>();
    await context.route('**/sync', async (route) => {
      const request = route.request();
      const body = decodeTson(request.postData() ?? '{}') as SyncRequest;
      const by = request.serviceWorker() !== null ? 'worker' : (tabNames.get(request.frame().page()) ?? 'another page');
      for (const set of body.changes ?? []) {
        if (set.table !== 'messages') continue;
        for (const mut of set.muts) {
          const text = mut.type === 'insert' ? (mut.values[0] as { text: string }).text : undefined;
          pushes.push({ txid: mut.txid!, by, ...(text ? { text } : {}) });
        }
      }
      await route.continue();
    });
    const blank = await context.newPage();
    const one = await context.newPage();
    tabNames.set(one, 'one');
    const worker = await openWithWorker(one, app.origin, blank);
    const email = nextEmail();
    const name = await openChat(one, { tryUseServiceWorker: true }, email);
    const tag = `dxc:${name}`;
    const lock = `${name}|currentSyncWorker`;
    const counter = await one.evaluate(() => window.app.send('counter'));
    await one.evaluate(() => window.app.sync('push'));

    // The second tab: same origin, so the same database, login and outbox.
    const two = await context.newPage();
    tabNames.set(two, 'two');
    await two.goto(`${app.origin}/`);
    await two.evaluate((opts) => window.app.open(opts as never), { databaseUrl: server.url, tryUseServiceWorker: true });
    await two.evaluate(() => window.app.sync('pull'));
    assert.equal(await eventually(() => two.evaluate(() => window.app.usingServiceWorker())), true);
    assert.equal(await two.evaluate(() => window.app.userId()), await one.evaluate(() => window.app.userId()));
    assert.ok((await two.evaluate(() => window.app.texts())).includes('counter'));
    const twoId = await lockClientId(two);
    const tabs = new Set([await lockClientId(one), twoId]);

    /** One step in a tab: write a message, bump the shared counter, and ask for a sync (not waited for). */
    const step = (page: Page, text: string) =>
      page.evaluate(
        async ({ text, counter }) => {
          await window.app.send(text);
          await window.app.bump(counter);
          void window.app.sync('push').catch(() => {});
        },
        { text, counter },
      );
    const written: string[] = ['counter'];
    /** Steps `from` to `to` - 1 in both tabs at once, the worker asked to sync alongside each; returns the texts. */
    const steps = async (from: number, to: number): Promise<string[]> => {
      const texts: string[] = [];
      for (let i = from; i < to; i++) {
        texts.push(`one-${i}`, `two-${i}`);
        await Promise.all([step(one, `one-${i}`), step(two, `two-${i}`), worker.dispatchSync(tag)]);
      }
      written.push(...texts);
      return texts;
    };
    /**
     * Hold the sync lock (from tab one) with `isFirst` first in line for it, after `ask()` made it
     * ask for a sync. Who else is waiting then (say, a tab whose live socket just opened) is let
     * through, with nothing to push yet, before lining up again.
     */
    const lineUp = async (ask: () => Promise<unknown>, isFirst: (id: string) => boolean): Promise<void> => {
      for (;;) {
        await holdLock(one, lock);
        await ask();
        const line = await eventually(async () => {
          const waiting = await waitingFor(one, lock);
          return waiting.some(isFirst) && waiting;
        });
        if (isFirst(line[0]!)) return;
        await releaseLock(one);
      }
    };
    /** Release the lock once both tabs and the worker wait behind `isFirst`, and wait until all had their turn. */
    const letThrough = async (texts: string[], isFirst: (id: string) => boolean): Promise<void> => {
      await eventually(async () => {
        assert.deepEqual(pushes.filter((p) => texts.includes(p.text!)), [], 'nothing pushed while the lock is held');
        const waiting = await waitingFor(one, lock);
        return new Set(waiting).size >= 3 && isFirst(waiting[0]!);
      });
      await releaseLock(one);
      await eventually(async () => (await waitingFor(one, lock)).length === 0);
    };

    // Round 1: the worker first in line for the lock, both tabs writing and queueing behind it. The
    // worker, granted the lock first, pushes all of the round (whatever it finds, in one run).
    const isWorker = (id: string) => !tabs.has(id);
    await lineUp(() => worker.dispatchSync(tag), isWorker);
    const round1 = await steps(0, 3);
    await letThrough(round1, isWorker);

    // Round 2: tab two first in line, the worker and tab one queueing behind it: tab two pushes it all.
    const isTwo = (id: string) => id === twoId;
    await lineUp(() => two.evaluate(() => void window.app.sync('push').catch(() => {})), isTwo);
    const round2 = await steps(3, 5);
    await letThrough(round2, isTwo);

    // Round 3, free for all: both tabs write and sync; the worker is asked to sync at the same
    // moment (it queues before their writes commit, so it tends to win) or right after (the tabs
    // tend to win). Who pushes what is up to the race; the assertions below are not.
    for (let i = 5; i < 9; i++) {
      written.push(`one-${i}`, `two-${i}`);
      const racing = i % 2 === 1;
      await Promise.all([step(one, `one-${i}`), step(two, `two-${i}`), racing && worker.dispatchSync(tag)]);
      if (!racing) await worker.dispatchSync(tag);
    }
    // One bump per step: one per message but 'counter', half of them from each tab.
    const bumpsPerTab = (written.length - 1) / 2;

    // The outbox is shared by the tabs: both see it drain.
    await eventually(async () => (await one.evaluate(() => window.app.pending())) === 0);
    assert.equal(await two.evaluate(() => window.app.pending()), 0);
    const device = await otherDevice(server, email);
    assert.deepEqual(
      await eventually(async () => (await device.texts()).length >= written.length && device.texts()),
      [...written].sort(),
    );

    // Every mutation went out exactly once, whoever pushed it; rounds 1 and 2 by whoever was first in line.
    const times = new Map<string, number>();
    for (const { txid } of pushes) times.set(txid, (times.get(txid) ?? 0) + 1);
    const twice = [...times].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], `pushed more than once: ${JSON.stringify(pushes)}`);
    // One transaction per message and per bump, plus the counter row.
    assert.equal(times.size, written.length + 2 * bumpsPerTab);
    assert.ok(pushes.some((p) => p.by === 'worker'), `the worker pushed: ${JSON.stringify(pushes)}`);
    const pushedBy = (texts: string[]) => pushes.filter((p) => texts.includes(p.text!)).map((p) => [p.text, p.by]).sort();
    assert.deepEqual(pushedBy(round1), round1.map((text) => [text, 'worker']).sort(), 'the worker, first in line, pushed round 1');
    assert.deepEqual(pushedBy(round2), round2.map((text) => [text, 'two']).sort(), 'tab two, first in line, pushed round 2');

    // Converged: the server holds every bump once, and each tab, after a pull, holds what the server holds.
    const rows = await serverRows(email);
    assert.deepEqual(rows.find(([id]) => id === counter), [counter, 'counter', 2 * bumpsPerTab]);
    assert.deepEqual(rows.map(([, text]) => text).sort(), [...written].sort());
    for (const tab of [one, two]) {
      await tab.evaluate(() => window.app.sync('pull'));
      assert.deepEqual(asRows(await tab.evaluate(() => window.app.rows())), rows);
      assert.equal(await tab.evaluate(() => window.app.pending()), 0);
    }
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

test('a worker that never loaded the sync bundle leaves usingServiceWorker false and sync in the page', LIMIT, async () => {
  await withContext(async (context) => {
    const page = await context.newPage();
    await page.goto(`${app.origin}/?worker=/no-sync-sw.js`);
    await page.evaluate(() => window.app.registered);
    const script = await page.evaluate(async () => (await navigator.serviceWorker.ready).active!.scriptURL);
    assert.equal(new URL(script).pathname, '/no-sync-sw.js');
    const email = nextEmail();
    await openChat(page, { tryUseServiceWorker: true }, email);
    // The page gives up on the worker's answer after this long; a worker with the bundle answers
    // in milliseconds (the first test), this one answers, but not as the bundle does.
    await sleep(WORKER_PROBE_TIMEOUT_MS);
    assert.equal(await page.evaluate(() => window.app.usingServiceWorker()), false);

    await page.evaluate(() => window.app.send('synced by the page'));
    assert.deepEqual(await page.evaluate(() => window.app.syncTags()), [], 'no sync tag for a worker that cannot sync');
    const device = await otherDevice(server, email);
    assert.deepEqual(await eventually(async () => (await device.texts()).length > 0 && device.texts()), ['synced by the page']);
  });
});

test('a worker sync that fails while the server is unreachable rejects the sync event, and a later one pushes the write once', LIMIT, async () => {
  await withContext(async (context) => {
    const blank = await context.newPage();
    const page = await context.newPage();
    const worker = await openWithWorker(page, app.origin, blank);
    const backgroundSync = await recordBackgroundSync(blank, app.origin);
    const email = nextEmail();
    const name = await openChat(page, { tryUseServiceWorker: true, disableWebSocket: true }, email);
    const tag = `dxc:${name}`;
    await eventually(() => page.evaluate(() => window.app.usingServiceWorker()));

    // The server unreachable, the browser online: while a context is offline, Chromium holds back
    // sync events, CDP's silently included (research/toolchain.md §4, trap A).
    let reachable = false;
    let failedWorkerRequests = 0;
    const pushes: { txid: string; fromWorker: boolean }[] = [];
    const serverOrigin = new URL(server.url).origin;
    await context.route((url) => url.origin === serverOrigin, async (route) => {
      const request = route.request();
      if (!reachable) {
        if (request.serviceWorker()) failedWorkerRequests++;
        return route.abort('internetdisconnected');
      }
      if (request.url().endsWith('/sync')) {
        const body = decodeTson(request.postData() ?? '{}') as SyncRequest;
        for (const set of body.changes ?? []) {
          if (set.table !== 'messages') continue;
          for (const mut of set.muts) pushes.push({ txid: mut.txid!, fromWorker: request.serviceWorker() !== null });
        }
      }
      await route.continue();
    });
    await page.evaluate(() => window.app.send('written while the server is down'));
    await page.close(); // from here on, only the worker can push the write

    // The write registered the tag and, online, the browser fired it at once: the worker's sync
    // failed and rejected the event, so the browser keeps the tag and schedules another attempt.
    // (Chromium's own words, as DevTools' Background Services panel shows them.)
    const failed = await eventually(async () => backgroundSync.find((e) => e.tag === tag && e.eventName === 'sync event failed'));
    assert.equal(failed.metadata['Failure Reason'], 'waitUntil rejected');
    assert.ok(Number(failed.metadata['Next Attempt Delay (ms)']) > 0, `a retry is scheduled: ${JSON.stringify(failed)}`);
    // A page of the origin that is not the app (the worker lets /__ paths through to the server's 404).
    const outsider = await context.newPage();
    await outsider.goto(`${app.origin}/__not-the-app`);
    const tags = await outsider.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.sync!.getTags());
    assert.deepEqual(tags, [tag], 'the failed tag stays registered for the retry');

    // A retry while the server is still down fails the same way; the write stays in the outbox.
    const before = failedWorkerRequests;
    await worker.dispatchSync(tag);
    await eventually(async () => failedWorkerRequests > before);
    assert.deepEqual(pushes, []);

    // The server is back: the browser's last attempt pushes the write, once.
    reachable = true;
    await worker.dispatchSync(tag, true);
    const device = await otherDevice(server, email);
    assert.deepEqual(await eventually(async () => (await device.texts()).length > 0 && device.texts()), ['written while the server is down']);
    assert.equal(pushes.length, 1, `pushed once: ${JSON.stringify(pushes)}`);
    assert.equal(pushes[0]!.fromWorker, true);
  });
});
