/**
 * Test harness for the service worker tests: the test app (test/sw/app) built by vite.config.ts
 * in two versions, a static server for it on localhost (a secure context, so service workers
 * run over http), a real dxc-server on a fresh data directory, Debian's Chromium through
 * playwright-core, and the DevTools Protocol calls that dispatch `sync` and `periodicsync`.
 */
import fs from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { startServer, type RunningServer } from 'dxc-server';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../scripts/chromium.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const tmpDirs: string[] = [];
async function tmpDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}
process.once('exit', () => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Build the test app with vite.config.ts; `version` shows on the page (import.meta.env.VITE_APP_VERSION). */
export async function buildApp(version: string): Promise<string> {
  const { build } = await import('vite');
  const outDir = await tmpDir(`dxc-sw-app-${version}-`);
  process.env.DXC_APP_ROOT = 'test/sw/app';
  process.env.DXC_APP_OUT_DIR = outDir;
  process.env.VITE_APP_VERSION = version;
  await build({ configFile: path.join(repo, 'vite.config.ts'), logLevel: 'silent', mode: 'production' });
  return outDir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
};

export interface AppServer {
  readonly origin: string;
  /** Serve another build from now on (a new version of the app is deployed). */
  deploy(dir: string): void;
  close(): Promise<void>;
}

/** A static server for a built app on `http://localhost:<port>`; unknown paths are 404. */
export async function serveApp(dir: string): Promise<AppServer> {
  let root = dir;
  const server = http.createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = path.join(root, pathname === '/' ? 'index.html' : pathname);
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://localhost:${port}`,
    deploy(next) {
      root = next;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface DxcServer {
  readonly server: RunningServer;
  /**
   * Move the server's clock forward. Each test moves it a minute or more, so the per-IP login
   * rate limits (all tests come from 127.0.0.1) start afresh, as they would for separate users.
   */
  advanceClock(ms: number): void;
}

/**
 * A real dxc-server on a fresh data directory. Its clock is the real one plus an offset that only
 * grows; tests never wait for a token to expire, so the browser's clock need not follow.
 */
export async function startDxcServer(): Promise<DxcServer> {
  let offsetMs = 0;
  const logLevel = (process.env.DXC_TEST_LOG ?? 'silent') as 'silent';
  const server = await startServer({ port: 0, dataDir: await tmpDir('dxc-sw-data-'), logLevel }, { now: () => Date.now() + offsetMs });
  return {
    server,
    advanceClock(ms) {
      offsetMs += ms;
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
}

/** A DevTools session that can dispatch sync events to the app's worker, from any page of the context. */
export interface WorkerControl {
  readonly registrationId: string;
  dispatchSync(tag: string, lastChance?: boolean): Promise<void>;
  dispatchPeriodicSync(tag: string): Promise<void>;
}

/**
 * Open `origin` in `page`, wait for its worker to be active, and return a DevTools handle on it.
 * The handle lives on `host` (default: the page itself); pass an about:blank page to keep
 * dispatching after every page of the app is closed.
 */
export async function openWithWorker(page: Page, origin: string, host: Page = page): Promise<WorkerControl> {
  const cdp: CDPSession = await host.context().newCDPSession(host);
  let resolveId!: (id: string) => void;
  const registrationId = new Promise<string>((resolve) => (resolveId = resolve));
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    // Only an activated version can receive sync events.
    const live = versions.find((v) => v.scriptURL.startsWith(origin) && v.status === 'activated');
    if (live) resolveId(live.registrationId);
  });
  // Listen before enabling: enable replays the current state as events.
  await cdp.send('ServiceWorker.enable');
  if (page.url() !== `${origin}/`) await page.goto(`${origin}/`);
  await page.evaluate(() => window.app.registered);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  const id = await registrationId;
  return {
    registrationId: id,
    async dispatchSync(tag, lastChance = false) {
      await cdp.send('ServiceWorker.dispatchSyncEvent', { origin, registrationId: id, tag, lastChance });
    },
    async dispatchPeriodicSync(tag) {
      await cdp.send('ServiceWorker.dispatchPeriodicSyncEvent', { origin, registrationId: id, tag });
    },
  };
}

/**
 * Grant Periodic Background Sync to `origin` in `page`'s browser context (Chromium otherwise
 * grants it only to installed apps). Call it after the context's pages exist: Playwright resets
 * permission overrides when it sets up a new page.
 */
export async function grantPeriodicSync(browser: Browser, page: Page, origin: string): Promise<void> {
  const target = await page.context().newCDPSession(page);
  const { targetInfo } = await target.send('Target.getTargetInfo');
  await target.detach();
  const session = await browser.newBrowserCDPSession();
  await session.send('Browser.setPermission', {
    origin,
    browserContextId: targetInfo.browserContextId!,
    permission: { name: 'periodic-background-sync' },
    setting: 'granted',
  });
  // Not detached: Chromium drops a session's permission overrides when the session ends.
}

/** One entry of Chromium's Background Services log (DevTools > Application > Background sync). */
export interface BackgroundSyncEntry {
  /** What happened: "Registered sync", "Dispatched sync event", "sync event failed", … */
  eventName: string;
  tag: string;
  /** E.g. `{"Failure Reason": "waitUntil rejected", "Next Attempt Delay (ms)": "300000"}`. */
  metadata: Record<string, string>;
}

/**
 * Record what Chromium's Background Sync manager does for `origin`, from a DevTools session on
 * `host`; the returned array fills as it happens. This is where a failed `sync` event shows:
 * `ServiceWorker.dispatchSyncEvent` answers before the event runs and never reports its outcome
 * (Chromium's ServiceWorkerHandler::DispatchSyncEvent posts the dispatch and returns OK), and the
 * log records outcomes only of the events the browser fires itself for a registered tag.
 */
export async function recordBackgroundSync(host: Page, origin: string): Promise<BackgroundSyncEntry[]> {
  const entries: BackgroundSyncEntry[] = [];
  const cdp = await host.context().newCDPSession(host);
  cdp.on('BackgroundService.backgroundServiceEventReceived', ({ backgroundServiceEvent: event }) => {
    if (new URL(event.origin).origin !== origin) return;
    const metadata = Object.fromEntries(event.eventMetadata.map(({ key, value }) => [key, value]));
    entries.push({ eventName: event.eventName, tag: event.instanceId, metadata });
  });
  await cdp.send('BackgroundService.startObserving', { service: 'backgroundSync' });
  // Without recording, the log only replays what was stored before: nothing, in a fresh context.
  await cdp.send('BackgroundService.setRecording', { shouldRecord: true, service: 'backgroundSync' });
  return entries;
}
