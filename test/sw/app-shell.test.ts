/**
 * The Workbox side of the dxc service worker, in Debian's Chromium: the app shell opens offline
 * from the precache, and a new version waits until the user accepts it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { buildApp, launchChromium, serveApp, type AppServer } from './helpers/sw-harness.js';

let browser: Browser;
let app: AppServer;
let v1: string;
let v2: string;

before(async () => {
  v1 = await buildApp('v1');
  v2 = await buildApp('v2');
  app = await serveApp(v1);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.close();
});

test('ships the sync bundle as a classic script without debug logging', { timeout: 120_000 }, async () => {
  const bundle = await readFile(path.join(v1, 'dxc-sync-sw.js'), 'utf8');
  assert.doesNotMatch(bundle, /^\s*(import|export)\s/m, 'no module syntax: importScripts loads classic scripts');
  assert.ok(!bundle.includes('[dxc sw]'), 'the dev logger is stripped');
  const worker = await readFile(path.join(v1, 'sw.js'), 'utf8');
  assert.match(worker, /importScripts\(["'`]dxc-sync-sw\.js["'`]\)/);
});

test('loads the app shell offline from the precache', { timeout: 120_000 }, async () => {
  app.deploy(v1);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${app.origin}/`);
    await page.evaluate(() => window.app.registered);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    const cached = await page.evaluate(async () => {
      const names = await caches.keys();
      const precache = names.find((n) => n.startsWith('workbox-precache'));
      return precache ? (await (await caches.open(precache)).keys()).map((r) => new URL(r.url).pathname) : [];
    });
    assert.ok(cached.some((p) => p.startsWith('/index.html')), `index.html precached: ${cached}`);
    assert.ok(!cached.some((p) => p.includes('dxc-sync-sw')), 'the sync bundle is left to the browser script cache');

    await context.setOffline(true);
    await page.reload();
    assert.equal(await page.textContent('#version'), 'v1');
    // Any in-app path navigates to the shell too.
    await page.goto(`${app.origin}/chat/room-1`);
    assert.equal(await page.textContent('#version'), 'v1');
    assert.equal(await page.evaluate(() => typeof window.app.open), 'function');
  } finally {
    await context.close();
  }
});

test('offers a new version and applies it only when the user accepts', { timeout: 120_000 }, async () => {
  app.deploy(v1);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${app.origin}/`);
    await page.evaluate(() => window.app.registered);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    assert.equal(await page.textContent('#version'), 'v1');
    assert.equal(await page.isVisible('#update'), false);

    app.deploy(v2);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    await page.waitForSelector('#update', { state: 'visible' });
    // Not accepted yet: a reload still runs v1, and the new version is still offered.
    await page.reload();
    assert.equal(await page.textContent('#version'), 'v1');
    await page.waitForSelector('#update', { state: 'visible' });

    await Promise.all([page.waitForEvent('load'), page.click('#update')]);
    await page.waitForFunction(() => document.querySelector('#version')?.textContent === 'v2');
    assert.equal(await page.isVisible('#update'), false);
  } finally {
    await context.close();
  }
});
