/**
 * Harness for the starter's end-to-end tests: the starter built by the root vite.config.ts into a
 * temp folder, served by a real dxc-server (as `npm start` does: open chat realm, weather job),
 * Debian's Chromium through playwright-core, the real OTP login through the app's UI, and the
 * DevTools Protocol calls that dispatch `sync` / `periodicsync` and read installability errors.
 */
import fs from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { startServer, type RunningServer, type ServerConfig } from 'dxc-server';
import type { StarterDb } from '../../../starter/src/db.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../scripts/chromium.mjs';

// The service-worker tests' harness already launches Chromium and grants periodic sync.
export { grantPeriodicSync, launchChromium } from '../../sw/helpers/sw-harness.js';

declare global {
  interface Window {
    /** Set by starter/src/main.ts. */
    starter: { db: StarterDb; ready: Promise<void> };
  }
}

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where screenshots go (CI keeps test-results/ as artifacts). */
export const SHOTS_DIR = path.join(repo, 'test-results', 'starter');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

const tmpDirs: string[] = [];
export async function tmpDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}
process.once('exit', () => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Build the starter (production mode) into a temp folder. */
export async function buildStarter(): Promise<string> {
  const { build } = await import('vite');
  const outDir = await tmpDir('dxc-starter-build-');
  process.env.DXC_APP_ROOT = 'starter';
  process.env.DXC_APP_OUT_DIR = outDir;
  await build({ configFile: path.join(repo, 'vite.config.ts'), logLevel: 'silent', mode: 'production' });
  return outDir;
}

export interface StarterServer {
  readonly server: RunningServer;
  /** `http://localhost:<port>`: the app's origin, a secure context for service workers. */
  readonly origin: string;
}

/** A real dxc-server serving `staticDir` with the starter's settings (see scripts/start.mjs). */
export async function startStarterServer(staticDir: string, overrides: Partial<ServerConfig> = {}): Promise<StarterServer> {
  const server = await startServer({
    port: 0,
    dataDir: await tmpDir('dxc-starter-data-'),
    logLevel: process.env.DXC_TEST_LOG ?? 'silent',
    staticDir,
    openRealm: 'rlm-lobby',
    openRealmTables: ['messages'],
    weatherPlaces: ['Oslo@59.91,10.75', 'Lisbon@38.72,-9.14'],
    ...overrides,
  });
  return { server, origin: `http://localhost:${server.port}` };
}

/**
 * A browser context with a real profile on disk. Playwright's `newContext()` contexts are
 * off-the-record, and Chromium never offers to install an app there (`in-incognito`).
 */
export async function launchProfileContext(viewport = DESKTOP): Promise<BrowserContext> {
  return chromium.launchPersistentContext(await tmpDir('dxc-starter-profile-'), {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport,
  });
}

/** Open the app and wait until its service worker controls nothing less than an active registration. */
export async function openApp(page: Page, origin: string): Promise<void> {
  if (!page.url().startsWith(origin)) await page.goto(`${origin}/`);
  await page.evaluate(() => window.starter.ready);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
}

/** Log in through the app's UI: the chat's "Log in" button, `<dxc-login>`, the code from the dev mailbox. */
export async function login(page: Page, origin: string, email: string): Promise<void> {
  const before = await latestOtp(origin, email);
  await page.click('.chat-login button');
  await page.fill('dxc-login input[type=email]', email);
  await page.press('dxc-login input[type=email]', 'Enter');
  let otp: string | undefined;
  await page.waitForSelector('dxc-login input[autocomplete=one-time-code]');
  while ((otp = await latestOtp(origin, email)) === before || otp === undefined) await new Promise((r) => setTimeout(r, 50));
  await page.fill('dxc-login input[autocomplete=one-time-code]', otp);
  await page.press('dxc-login input[autocomplete=one-time-code]', 'Enter');
  await page.waitForSelector('.composer', { state: 'visible', timeout: 0 });
}

async function latestOtp(origin: string, email: string): Promise<string | undefined> {
  const res = await fetch(`${origin}/_dev/mailbox?to=${encodeURIComponent(email)}`);
  const mails = (await res.json()) as { otp: string | null }[];
  return mails[0]?.otp ?? undefined;
}

/** A DevTools handle on the app's service worker, living on `host` (so it outlives the app's pages). */
export interface WorkerControl {
  dispatchSync(tag: string): Promise<void>;
  dispatchPeriodicSync(tag: string): Promise<void>;
}

export async function workerControl(host: Page, origin: string): Promise<WorkerControl> {
  const cdp: CDPSession = await host.context().newCDPSession(host);
  let resolveId!: (id: string) => void;
  const registrationId = new Promise<string>((resolve) => (resolveId = resolve));
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    const live = versions.find((v) => v.scriptURL.startsWith(origin) && v.status === 'activated');
    if (live) resolveId(live.registrationId);
  });
  await cdp.send('ServiceWorker.enable');
  return {
    async dispatchSync(tag) {
      await cdp.send('ServiceWorker.dispatchSyncEvent', { origin, registrationId: await registrationId, tag, lastChance: false });
    },
    async dispatchPeriodicSync(tag) {
      await cdp.send('ServiceWorker.dispatchPeriodicSyncEvent', { origin, registrationId: await registrationId, tag });
    },
  };
}

/** Chromium's installability errors for the page (empty when the app can be installed). */
export async function installabilityErrors(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    return installabilityErrors.map((e) => e.errorId);
  } finally {
    await cdp.detach();
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS_DIR, `${name}.png`) });
}

export async function newContext(browser: Browser, viewport = DESKTOP, colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserContext> {
  return browser.newContext({ viewport, colorScheme });
}

/** Re-run `probe` until it returns a truthy value (the test's timeout is the only limit). */
export async function eventually<T>(probe: () => Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
