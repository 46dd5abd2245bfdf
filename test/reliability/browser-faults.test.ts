/**
 * Browser-level faults (research/reliability.md (b), rows 10, 11, 12, 15) with the dxc client in
 * Debian's Chromium against a real dxc-server: a tab closed in the middle of writes, two tabs
 * writing at once, a storage quota hit, site storage wiped while the server session lives, and a
 * convergence run across real pages. The page (test/reliability/page/main.ts) is bundled with
 * esbuild; it logs in through `fetchTokens`, served by this process with client_credentials.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { startServer, type RunningServer } from 'dxc-server';
import { OutboxClient } from '../../server/test/helpers/reliability-helpers.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';
import { FUZZ_SEED } from '../../server/test/helpers/fuzz-seed.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
/** No timed assertions: this only ends a test that would otherwise hang. */
const LIMIT = { timeout: 180_000 };
const SEED = FUZZ_SEED;

/** A dxc-server on its own data directory, with the client_credentials an app backend mints tokens with. */
interface RelServer extends RunningServer {
  credentials: { client_id: string; client_secret: string };
}

let browser: Browser;
let server: RelServer;
let site: http.Server;
let origin: string;
let users = 0;

async function startRelServer(options: Partial<Parameters<typeof startServer>[0]> = {}): Promise<RelServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dxc-rel-browser-'));
  process.once('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const keyFile = path.join(dataDir, 'app-client.json');
  execFileSync(process.execPath, [path.join(repo, 'server/bin/dxc-server.mjs'), 'create-client', '--data', dataDir, '--name', 'rel', '--out', keyFile], {
    stdio: 'ignore',
  });
  const credentials = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
  return Object.assign(await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', ...options }), { credentials });
}

before(async () => {
  server = await startRelServer();

  const bundle = await build({
    entryPoints: [path.join(here, 'page/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['source'],
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  site = http.createServer((req, res) => {
    if (req.url === '/main.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>rel</title><script type="module" src="/main.js"></script>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  origin = `http://localhost:${(site.address() as { port: number }).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
  console.log(`reliability browser: seed ${SEED}`);
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await server?.close();
});

/** Tokens for app user `sub`, as an app backend mints them (bound to the browser's key if given). */
async function mint(sub: string, params: Record<string, unknown> = {}, target: RelServer = server): Promise<any> {
  const { public_key, dpop_jkt } = params as { public_key?: string; dpop_jkt?: string };
  const res = await fetch(`${target.url}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      ...target.credentials,
      scopes: ['ACCESS_DB'],
      claims: { sub, email: `${sub}@example.com` },
      ...(dpop_jkt ? { dpop_jkt } : public_key ? { public_key } : {}),
    }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`mint ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Back online, once the context's pages can reach `target` again (see `untilReachable`). */
async function goOnline(context: BrowserContext, target: RelServer = server): Promise<void> {
  await context.setOffline(false);
  await untilReachable(context, target);
}

/**
 * Wait until every page of `context` reaches `target`. Chromium applies emulated network conditions
 * asynchronously (the DevTools answer does not wait for the network service), so a request sent
 * right after `setOffline(false)` may still fail as offline: a sync started in that moment fails as
 * it should, but the tests mean "once the network has healed".
 */
async function untilReachable(context: BrowserContext, target: RelServer = server): Promise<void> {
  for (const page of context.pages()) {
    await page.waitForFunction(
      (url) => fetch(url, { mode: 'no-cors', cache: 'no-store' }).then(() => true, () => false),
      `${target.url}/health`,
      { polling: 50 },
    );
  }
}

/** A browser profile (one device) of app user `sub`. */
async function device(sub: string, target: RelServer = server): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.exposeFunction('mintTokens', (params: Record<string, unknown>) => mint(sub, params, target));
  return context;
}

async function openPage(
  context: BrowserContext,
  db = 'rel',
  beforeOpen?: (page: Page) => Promise<void>,
  databaseUrl = server.url,
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => 'rel' in window);
  await beforeOpen?.(page);
  await page.evaluate(([name, url]) => window.rel.open(name!, url!), [db, databaseUrl]);
  return page;
}

/** The user's rows as the server holds them (a fresh device's full pull), projected. */
async function serverRows(sub: string, target: RelServer = server): Promise<Record<string, unknown>[]> {
  const tokens = await mint(sub, {}, target);
  const view = new OutboxClient(target, { userId: sub, token: tokens.accessToken, expiresAt: tokens.accessTokenExpiration });
  await view.sync();
  return project([...view.replica.values()] as never);
}

function project(rows: { id: string; n?: number; text?: string; by?: string }[]): Record<string, unknown>[] {
  return rows
    .map(({ id, n, text, by }) => ({ id, n, text, by }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Cut (or restore) the device's connection to dxc-server only: the page itself still loads, as a
 * cached app would while offline.
 */
async function serverReachable(context: BrowserContext, reachable: boolean): Promise<void> {
  const pattern = `${server.url}/**`;
  if (reachable) await context.unroute(pattern);
  else await context.route(pattern, (route) => route.abort('internetdisconnected'));
}

const pageRows = async (page: Page) => project(await page.evaluate(() => window.rel.rows()));

test('a tab closed in the middle of writes leaves every row with its outbox entry, and they all sync (row 10)', LIMIT, async () => {
  const sub = `tab-closed-${++users}`;
  const context = await device(sub);
  try {
    let page = await openPage(context);
    await page.evaluate(() => window.rel.sync());
    await serverReachable(context, false);
    const stopAt = 20 + (SEED % 200);
    const writing = page.evaluate(() => window.rel.writeMany('w', 400, 2000)).catch(() => 'closed');
    await page.waitForFunction((n) => ((window as unknown as { written?: number }).written ?? 0) >= n, stopAt);
    await page.close({ runBeforeUnload: false });
    assert.equal(await writing, 'closed', 'the tab closed while it was still writing');

    page = await openPage(context);
    const keys = (await page.evaluate(() => window.rel.rows())).map((r) => r.id).filter((id) => id.startsWith('w'));
    assert.ok(keys.length >= stopAt, `${keys.length} rows committed before the close`);
    assert.deepEqual(await page.evaluate(() => window.rel.outboxKeys()), [...keys].sort(), 'rows and outbox entries match one to one');

    await serverReachable(context, true);
    await page.evaluate(() => window.rel.sync());
    assert.equal(await page.evaluate(() => window.rel.pending()), 0);
    assert.deepEqual((await serverRows(sub)).map((r) => r.id), [...keys].sort(), 'exactly the committed rows reached the server');
  } finally {
    await context.close();
  }
});

test('two tabs writing and syncing at once push every write once (row 11)', LIMIT, async () => {
  const sub = `two-tabs-${++users}`;
  const context = await device(sub);
  try {
    const one = await openPage(context);
    await one.evaluate(() => window.rel.put({ id: 'ctr', n: 0 }));
    await one.evaluate(() => window.rel.sync());
    const two = await openPage(context);
    await Promise.all([
      one.evaluate(() => Promise.all([window.rel.addTo('ctr', 25), window.rel.writeMany('one-', 30)])),
      two.evaluate(() => Promise.all([window.rel.addTo('ctr', 25), window.rel.writeMany('two-', 30)])),
      one.evaluate(() => window.rel.sync()),
      two.evaluate(() => window.rel.sync()),
    ]);
    await one.evaluate(() => window.rel.sync());
    await two.evaluate(() => window.rel.sync());
    const rows = await serverRows(sub);
    assert.equal(rows.find((r) => r.id === 'ctr')!.n, 50, 'each increment applied exactly once');
    assert.equal(rows.length, 61);
    assert.deepEqual(await pageRows(one), rows);
    assert.deepEqual(await pageRows(two), rows);
  } finally {
    await context.close();
  }
});

test('a storage quota hit is a clear error, and the queued writes survive and sync (row 12 i)', LIMIT, async () => {
  const sub = `quota-${++users}`;
  const context = await device(sub);
  try {
    // A 2 MiB quota, set before the database opens; the ~16 KiB rows below fill it. The override
    // lasts only as long as the DevTools session that set it, so that session stays open.
    let cdp: CDPSession | undefined;
    const quota = (quotaSize?: number) => async (page: Page) => {
      cdp ??= await context.newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', quotaSize === undefined ? { origin } : { origin, quotaSize });
    };
    const page = await openPage(context, 'rel', quota(2 * 1024 * 1024));
    await page.evaluate(() => window.rel.sync());
    await context.setOffline(true);
    await page.evaluate(() => window.rel.writeMany('queued-', 5));
    const failure = await page.evaluate(() => window.rel.writeUntilFailure('big-', 12 * 1024, 400));
    assert.match(`${failure.name} ${failure.inner ?? ''} ${failure.message}`, /Quota/i, JSON.stringify(failure));
    const keys = (await page.evaluate(() => window.rel.rows())).map((r) => r.id);
    assert.deepEqual(await page.evaluate(() => window.rel.outboxKeys()), [...keys].sort(), 'no half-written row');
    assert.ok(keys.filter((k) => k.startsWith('queued-')).length === 5, 'the writes queued before the failure are kept');

    await quota()(page);
    await goOnline(context);
    await page.evaluate(() => window.rel.sync());
    assert.equal(await page.evaluate(() => window.rel.pending()), 0);
    assert.deepEqual((await serverRows(sub)).map((r) => r.id), [...keys].sort());
  } finally {
    await context.close();
  }
});

test('site storage wiped while the server session lives: a clean re-sync of what the server has (row 12 ii)', LIMIT, async () => {
  const sub = `wiped-${++users}`;
  const context = await device(sub);
  try {
    let page = await openPage(context);
    await page.evaluate(() => window.rel.writeMany('synced-', 3));
    await page.evaluate(() => window.rel.sync());
    await context.setOffline(true);
    await page.evaluate(() => window.rel.put({ id: 'unsynced' }));
    await page.close();

    const blank = await context.newPage();
    const cdp = await context.newCDPSession(blank);
    await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'all' });
    await goOnline(context);
    page = await openPage(context);
    await page.evaluate(() => window.rel.sync());
    assert.equal(await page.evaluate(() => window.rel.syncError()), undefined);
    assert.deepEqual((await pageRows(page)).map((r) => r.id), ['synced-0', 'synced-1', 'synced-2']);
    assert.deepEqual(await pageRows(page), await serverRows(sub));
    // Nothing on the device survived to know of the unsynced write, so nothing is claimed (decision 0024).
    assert.equal(await page.evaluate(() => window.rel.interaction()), undefined);
  } finally {
    await context.close();
  }
});

test('IndexedDB wiped while localStorage stays: a clean re-sync, and the user is told how many writes were lost (row 12 ii)', LIMIT, async () => {
  const sub = `evicted-${++users}`;
  const context = await device(sub);
  try {
    let page = await openPage(context);
    // Keys of its own: `notes` keys are one namespace on the server, which refuses another user's rows.
    await page.evaluate(() => window.rel.writeMany('kept-', 3));
    await page.evaluate(() => window.rel.sync());
    await context.setOffline(true);
    await page.evaluate(() => window.rel.writeMany('lost-', 2));
    // The mirror follows the outbox a moment after each write (a liveQuery).
    await page.waitForFunction(() => Object.entries(localStorage).some(([key, value]) => key.endsWith(':unsynced') && value === '2'));
    await page.close();

    const blank = await context.newPage();
    const cdp = await context.newCDPSession(blank);
    await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'indexeddb' });
    await goOnline(context);
    page = await openPage(context);
    await page.evaluate(() => window.rel.sync());
    assert.deepEqual(await page.evaluate(() => window.rel.interaction()), {
      type: 'message-alert',
      alerts: [{ messageCode: 'UNSYNCED_WRITES_LOST', messageParams: { count: '2' } }],
    });
    assert.deepEqual((await pageRows(page)).map((r) => r.id), ['kept-0', 'kept-1', 'kept-2']);
    assert.deepEqual(await pageRows(page), await serverRows(sub));
  } finally {
    await context.close();
  }
});

test('an outbox larger than the server body limit goes out in parts and drains', LIMIT, async () => {
  // A server with an 8 MiB body limit (quicker to exceed than the 64 MiB default): the client's
  // pushes (MAX_PUSH_BYTES, 4 MiB) must fit whatever the outbox holds.
  const small = await startRelServer({ maxSyncBodyBytes: 8 * 1024 * 1024 });
  const sub = `backlog-${++users}`;
  const context = await device(sub, small);
  try {
    const page = await openPage(context, 'rel', undefined, small.url);
    await page.evaluate(() => window.rel.sync());
    // 56 rows of 912 KiB of base64 text (under the 1 MiB row limit), one transaction each, written
    // offline: 50 MiB in the outbox, more than one sync attempt's 10 round trips of about 4.5 MiB,
    // so the scheduler also has to go on by itself after yielding the sync lock.
    await context.setOffline(true);
    const failure = await page.evaluate(() => window.rel.writeUntilFailure('big-', 684 * 1024, 56));
    assert.equal(failure.name, 'none', JSON.stringify(failure));
    // Watched from before the reconnect, whose sync starts pushing at once.
    await page.evaluate(() => window.rel.watchSyncBodies());
    await goOnline(context, small);
    await page.evaluate(() => window.rel.sync());
    await page.waitForFunction(async () => (await window.rel.pending()) === 0, undefined, { polling: 100 });
    const bodies = await page.evaluate(() => window.rel.syncBodies());
    assert.ok(bodies.length > 11 && Math.max(...bodies) < 8 * 1024 * 1024, `pushed in parts under the limit: ${bodies.join(', ')}`);
    console.log(`backlog: ${bodies.length} /sync requests, bytes ${bodies.join(', ')}`);
    const expected = await serverRows(sub, small);
    assert.equal(expected.length, 56);
    assert.deepEqual(await pageRows(page), expected);
  } finally {
    await context.close();
    await small.close();
  }
});


// Found by the convergence run: a write made while the sync that reconnecting starts was in flight
// was undone on the page by that sync's delete, and never came back although the server held it
// (the answer to its own later push is the echo the client does not write back). Fixed in
// src/client/merge.ts: a pending local rewrite wins over a server delete.
test(
  'a row deleted offline and written again right after reconnecting stays on the page',
  LIMIT,
  async () => {
    const sub = `rewrite-${++users}`;
    const context = await device(sub);
    try {
      const page = await openPage(context);
      await page.evaluate(() => window.rel.put({ id: 'k', n: 1 }));
      await page.evaluate(() => window.rel.sync());
      await context.setOffline(true);
      await page.evaluate(() => window.rel.remove('k'));
      // The write races the sync that reconnecting starts; the explicit syncs wait for the network.
      await context.setOffline(false);
      await page.evaluate(() => window.rel.put({ id: 'k', n: 2 }));
      await untilReachable(context);
      await page.evaluate(() => window.rel.sync());
      await page.evaluate(() => window.rel.sync());
      const expected = await serverRows(sub);
      assert.deepEqual(expected.map((r) => r.n), [2]);
      assert.deepEqual(await pageRows(page), expected);
    } finally {
      await context.close();
    }
  },
);

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with DXC_FUZZ_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('three real pages converge with the server after random writes and offline periods (row 15)', LIMIT, async () => {
  const sub = `converge-${++users}`;
  const random = prng(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const contexts = [await device(sub), await device(sub), await device(sub)];
  try {
    const pages: Page[] = [];
    for (const context of contexts) pages.push(await openPage(context));
    const offline = [false, false, false];
    const steps: string[] = [];
    for (let step = 0; step < 40; step++) {
      const i = Math.floor(random() * pages.length);
      const page = pages[i]!;
      const key = `k${Math.floor(random() * 5)}`;
      const action = pick(['put', 'put', 'update', 'delete', 'sync', 'toggle'] as const);
      steps.push(`${i}:${action}:${key}`);
      if (action === 'put') await page.evaluate((note) => window.rel.put(note), { id: key, n: Math.floor(random() * 100), by: `p${i}` });
      else if (action === 'update') await page.evaluate(([id, by]) => window.rel.update(id!, { by }), [key, `u${i}`]);
      else if (action === 'delete') await page.evaluate((id) => window.rel.remove(id), key);
      else if (action === 'toggle') {
        offline[i] = !offline[i];
        await contexts[i]!.setOffline(offline[i]!);
      } else if (!offline[i]) {
        // Writes may race a reconnect; an explicit sync waits until the network has healed.
        await untilReachable(contexts[i]!);
        await page.evaluate(() => window.rel.sync());
      }
    }
    // The network heals; each page pushes, then each pulls what the others pushed.
    for (const [i, context] of contexts.entries()) if (offline[i]) await goOnline(context);
    for (let round = 0; round < 2; round++) for (const page of pages) await page.evaluate(() => window.rel.sync());

    const expected = await serverRows(sub);
    for (const [i, page] of pages.entries()) {
      assert.equal(await page.evaluate(() => window.rel.pending()), 0, `page ${i} drained its outbox`);
      assert.deepEqual(await pageRows(page), expected, `page ${i} equals the server (seed ${SEED}, steps ${steps.join(' ')})`);
    }
  } finally {
    for (const context of contexts) await context.close();
  }
});
