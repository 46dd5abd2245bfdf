/**
 * The starter's chat room, end to end: two people in two browser contexts chat live; one goes
 * offline, writes (the message shows as pending), closes the app, and the message goes out through
 * the service worker's `sync` event when the network returns; the other sees it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  buildStarter,
  DESKTOP,
  eventually,
  launchChromium,
  login,
  newContext,
  openApp,
  PHONE,
  screenshot,
  startStarterServer,
  workerControl,
  type StarterServer,
} from './helpers/starter-harness.js';

let browser: Browser;
let app: StarterServer;

/** No timed assertions: this only ends a test that would otherwise hang. */
const LIMIT = { timeout: 180_000 };

before(async () => {
  app = await startStarterServer(await buildStarter());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.server.close();
});

const texts = (page: import('playwright-core').Page) => page.locator('.messages .text').allTextContents();

test('two people chat; a message written offline goes out by background sync after the app closed', LIMIT, async () => {
  const alice = await newContext(browser, DESKTOP);
  const bob = await newContext(browser, PHONE);
  try {
    const aliceHost = await alice.newPage(); // holds the DevTools session while the app is closed
    const alicePage = await alice.newPage();
    const worker = await workerControl(aliceHost, app.origin);
    await openApp(alicePage, app.origin);
    await login(alicePage, app.origin, 'alice@example.com');
    const bobPage = await bob.newPage();
    await openApp(bobPage, app.origin);
    await login(bobPage, app.origin, 'bob@example.com');

    await alicePage.fill('#message', 'Hi Bob, how is the weather?');
    await alicePage.press('#message', 'Enter');
    await bobPage.waitForSelector('.message .text:text-is("Hi Bob, how is the weather?")', { timeout: 0 });
    await bobPage.fill('#message', 'Sunny here!');
    await bobPage.press('#message', 'Enter');
    await alicePage.waitForSelector('.message .text:text-is("Sunny here!")', { timeout: 0 });
    assert.equal(await alicePage.locator('.message.mine .text').first().textContent(), 'Hi Bob, how is the weather?');

    // Offline: the message is kept and shown as pending.
    await alice.setOffline(true);
    await alicePage.waitForSelector('#offline', { state: 'visible' });
    await alicePage.fill('#message', 'Written on the train, offline');
    await alicePage.press('#message', 'Enter');
    await alicePage.waitForSelector('.message.pending .text:text-is("Written on the train, offline")');
    await screenshot(alicePage, 'chat-offline-pending-desktop');
    const dbName = await alicePage.evaluate(() => window.starter.db.name);
    const tags = await alicePage.evaluate(async () => (await (await navigator.serviceWorker.getRegistration())!.sync.getTags()));
    assert.deepEqual(tags, [`dxc:${dbName}`], 'the write registered a Background Sync tag');
    await alicePage.close();
    assert.deepEqual(await texts(bobPage), ['Hi Bob, how is the weather?', 'Sunny here!'], 'nothing left the closed, offline app');

    // The network returns while no page of the app is open: the worker's sync event pushes it.
    await alice.setOffline(false);
    await worker.dispatchSync(`dxc:${dbName}`);
    await bobPage.waitForSelector('.message .text:text-is("Written on the train, offline")', { timeout: 0 });
    assert.deepEqual(await texts(bobPage), ['Hi Bob, how is the weather?', 'Sunny here!', 'Written on the train, offline']);
    await screenshot(bobPage, 'chat-received-phone');

    // Alice opens the app again: the message is no longer pending.
    const again = await alice.newPage();
    await openApp(again, app.origin);
    await again.waitForSelector('.message .text:text-is("Written on the train, offline")');
    await eventually(async () => (await again.locator('.message.pending').count()) === 0);
    await screenshot(again, 'chat-desktop');
  } finally {
    await alice.close();
    await bob.close();
  }
});

test('the chat looks right on a phone in dark mode, and anonymous visitors are asked to log in', LIMIT, async () => {
  const context = await newContext(browser, PHONE, 'dark');
  try {
    const page = await context.newPage();
    await openApp(page, app.origin);
    await page.waitForSelector('.chat-login', { state: 'visible' });
    assert.equal(await page.isVisible('.composer'), false, 'anonymous visitors cannot write');
    assert.deepEqual(await texts(page), [], 'the room is for logged-in users only');
    await login(page, app.origin, 'carol@example.com');
    await page.waitForSelector('.message .text:text-is("Written on the train, offline")', { timeout: 0 });
    await screenshot(page, 'chat-dark-phone');
  } finally {
    await context.close();
  }
});
