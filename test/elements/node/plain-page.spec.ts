/**
 * End to end with Playwright: a plain HTML page that loads nothing but the prebuilt dist/dxc.js
 * logs in through the default <dxc-login> and shows the sync state, against a real dxc-server.
 * Along the way it saves screenshots of every element in light and dark to
 * test-results/elements/ (the artifacts to look at after a change of the styles).
 *
 * Run: node --import tsx --conditions=source --test test/elements/node/plain-page.spec.ts
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from 'dxc-server';
// @ts-expect-error: a plain .mjs build script, without type declarations
import { buildBundle } from '../../../scripts/build-elements.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../scripts/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const artifacts = path.join(root, 'test-results', 'elements');
/** A guard against a hung browser, not a timed assertion: generous for a loaded 2-core machine. */
const LIMIT_MS = 5 * 60_000;

let workDir: string;
let dataDir: string;
let dxcServer: RunningServer;
let serverPort: number;
let pages: Server;
let pagesUrl: string;
let browser: Browser;

/** Serves the two pages of this folder and the freshly built dxc.js, on loopback. */
async function servePages(bundleDir: string): Promise<Server> {
  const files: Record<string, [string, string]> = {
    '/plain-page.html': [path.join(here, 'plain-page.html'), 'text/html'],
    '/showcase.html': [path.join(here, 'showcase.html'), 'text/html'],
    '/dxc.js': [path.join(bundleDir, 'dxc.js'), 'text/javascript'],
  };
  const server = createServer(async (req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file[1] }).end(await readFile(file[0]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function latestOtp(email: string): Promise<string | undefined> {
  const res = await fetch(`${dxcServer.url}/_dev/mailbox`, { headers: { Accept: 'application/json' } });
  const mails = (await res.json()) as { to: string; otp?: string }[];
  return mails.find((mail) => mail.to.toLowerCase() === email)?.otp;
}

/** Polls `read` until it returns a value (no timed assertion: the test runner's timeout bounds it). */
async function eventually<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function shoot(page: Page, name: string, target?: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    const file = path.join(artifacts, `${name}-${colorScheme}.png`);
    if (target) await page.locator(target).screenshot({ path: file, animations: 'disabled' });
    else await page.screenshot({ path: file, animations: 'disabled' });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const indicatorState = (page: Page) => page.locator('dxc-sync-indicator').getAttribute('state');

before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'dxc-plain-page-'));
  dataDir = path.join(workDir, 'data');
  await mkdir(artifacts, { recursive: true });
  await buildBundle(path.join(workDir, 'dxc.js'));
  dxcServer = await startServer({ port: 0, dataDir, logLevel: 'silent' });
  serverPort = dxcServer.port;
  pages = await servePages(workDir);
  pagesUrl = `http://127.0.0.1:${(pages.address() as { port: number }).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
  });
});

after(async () => {
  await browser?.close();
  await dxcServer?.close();
  await new Promise((resolve) => pages?.close(resolve));
  await rm(workDir, { recursive: true, force: true });
});

test('a plain page with only dist/dxc.js logs in and shows the sync state', { timeout: LIMIT_MS }, async () => {
  const page = await browser.newPage({ viewport: { width: 720, height: 520 } });
  const scripts: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${pagesUrl}/plain-page.html?db=${encodeURIComponent(dxcServer.url)}`);

  // Anonymous: the menu offers a login; the indicator syncs the public data.
  const loginButton = page.locator('dxc-user-menu').getByRole('button', { name: 'Log in' });
  await loginButton.waitFor();
  await eventually(async () => ((await indicatorState(page)) === 'in-sync' ? true : undefined));
  await shoot(page, 'header-anonymous', 'header');

  // The default <dxc-login> was mounted by dxc.js itself; the page has none in its markup.
  assert.equal(await page.locator('dxc-login[data-dxc-auto]').count(), 1);
  const email = 'plain.page@example.com';
  const before = await latestOtp(email);
  await loginButton.click();
  const emailInput = page.getByLabel('Email address');
  await emailInput.waitFor();
  await shoot(page, 'login-email');
  await emailInput.fill(email);
  await page.keyboard.press('Enter');
  const otpInput = page.getByLabel('OTP');
  await otpInput.waitFor();
  const code = await eventually(async () => {
    const otp = await latestOtp(email);
    return otp !== before ? otp : undefined;
  });
  await shoot(page, 'login-otp');
  // A wrong code first, for the error alert's screenshot.
  await otpInput.fill(code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10));
  await page.keyboard.press('Enter');
  await page.locator('dxc-login [part~=alert-error]').waitFor();
  await shoot(page, 'login-otp-error');
  await page.getByLabel('OTP').fill(code);
  await page.keyboard.press('Enter');

  const trigger = page.locator('dxc-user-menu [part=trigger]');
  await trigger.waitFor();
  assert.match((await trigger.textContent()) ?? '', /plain/i);
  await eventually(async () => ((await indicatorState(page)) === 'in-sync' ? true : undefined));
  await shoot(page, 'header-logged-in', 'header');
  await trigger.click();
  await page.locator('dxc-user-menu [part=menu]').waitFor();
  await shoot(page, 'user-menu-open');
  await page.keyboard.press('Escape');

  // The server goes away: the indicator turns offline and counts the changes made meanwhile.
  await dxcServer.close();
  await page.evaluate(() => (window as unknown as { db: { table(n: string): { add(v: object): Promise<unknown> } } }).db.table('notes').add({ text: 'offline note' }));
  await eventually(async () => ((await indicatorState(page)) === 'offline' ? true : undefined));
  await page.locator('dxc-sync-indicator [part=count]').waitFor();
  assert.equal(await page.locator('dxc-sync-indicator [part=count]').textContent(), '1 unsynced change');
  await shoot(page, 'header-offline', 'header');

  // Back: in sync again, nothing pending.
  dxcServer = await startServer({ port: serverPort, dataDir, logLevel: 'silent' });
  await page.evaluate(() => (window as unknown as { db: { cloud: { sync(): Promise<void> } } }).db.cloud.sync().catch(() => {}));
  await eventually(async () => ((await indicatorState(page)) === 'in-sync' ? true : undefined));
  await page.locator('dxc-sync-indicator [part=count]').waitFor({ state: 'detached' });

  assert.deepEqual([...new Set(scripts)], ['/dxc.js'], 'the page loads no script but dxc.js');
  assert.deepEqual(errors, [], 'no uncaught errors');
  await page.close();
});

test('screenshots of every indicator state and both user-menu states, light and dark', { timeout: LIMIT_MS }, async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
  await page.goto(`${pagesUrl}/showcase.html`);
  await page.locator('dxc-user-menu [part=trigger]').waitFor();
  await shoot(page, 'showcase');
  // The error's details, as a hover shows them.
  await page.locator('dxc-sync-indicator[state=error]').first().hover();
  await shoot(page, 'indicator-error-hover');
  await page.close();
});
