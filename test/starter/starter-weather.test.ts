/**
 * The starter as an installable PWA and its weather scenario, end to end: Chromium finds nothing
 * that prevents installing it; the app shell opens offline; and a weather report that periodic
 * sync pulled while the app was closed is what the app shows offline, with its age. The weather
 * comes from the server's job reading an Open-Meteo-format provider served on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startLocalHttpServer, type LocalHttpServer } from '../../server/test/helpers/auth-helpers.js';
import {
  buildStarter,
  DESKTOP,
  eventually,
  grantPeriodicSync,
  installabilityErrors,
  launchChromium,
  launchProfileContext,
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
let provider: LocalHttpServer;
/** What the provider answers: Open-Meteo's forecast format for this temperature and observation time. */
let forecast = { temperature: 7, observedAt: Date.now() };

const LIMIT = { timeout: 180_000 };
const HOUR = 3_600_000;

function openMeteoAnswer() {
  const current = Math.floor(forecast.observedAt / 1000);
  const firstHour = Math.floor(forecast.observedAt / HOUR) * 3600;
  return {
    latitude: 59.9,
    longitude: 10.75,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    current: { time: current, interval: 900, temperature_2m: forecast.temperature, relative_humidity_2m: 64, wind_speed_10m: 9, weather_code: 2 },
    hourly: {
      time: Array.from({ length: 13 }, (_, i) => firstHour + i * 3600),
      temperature_2m: Array.from({ length: 13 }, (_, i) => forecast.temperature + i / 2),
      weather_code: Array.from({ length: 13 }, (_, i) => (i < 4 ? 2 : 61)),
    },
  };
}

before(async () => {
  provider = await startLocalHttpServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(openMeteoAnswer()));
  });
  forecast = { temperature: 7, observedAt: Date.now() - 3 * HOUR };
  app = await startStarterServer(await buildStarter(), { weatherPlaces: ['Oslo@59.91,10.75'], weatherSource: provider.url });
  await app.server.weather!.refresh();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.server.close();
  await provider?.close();
});

test('Chromium reports no installability errors, and the app shell opens offline', LIMIT, async () => {
  const context = await launchProfileContext(DESKTOP);
  try {
    const page = await context.newPage();
    await openApp(page, app.origin);
    // The worker must control the page before Chromium counts it; then the list settles.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    assert.deepEqual(await installabilityErrors(page), []);
    const manifest = await page.evaluate(async () => (await fetch('/manifest.webmanifest')).json());
    assert.equal(manifest.display, 'standalone');
    assert.deepEqual(manifest.icons.map((i: { sizes: string; purpose: string }) => `${i.sizes} ${i.purpose}`), ['192x192 any', '512x512 any', '512x512 maskable']);

    await page.waitForSelector('.report[data-place=oslo]');
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('#offline', { state: 'visible' });
    assert.equal(await page.textContent('.brand span'), 'dxc starter');
    await page.waitForSelector('.report[data-place=oslo] .temperature:text-is("7°")');
    // Any in-app path gets the shell too.
    await page.goto(`${app.origin}/some/deep/link`);
    await page.waitForSelector('.report[data-place=oslo]');
  } finally {
    await context.close();
  }
});

test('periodic sync prefetches the weather while the app is closed; offline, the app shows it with its age', LIMIT, async () => {
  const context = await newContext(browser, DESKTOP);
  try {
    const host = await context.newPage();
    const worker = await workerControl(host, app.origin);
    const page = await context.newPage();
    await grantPeriodicSync(browser, page, app.origin);
    await openApp(page, app.origin);
    await page.waitForSelector('.report[data-place=oslo] .temperature:text-is("7°")');
    assert.match(await page.textContent('.report[data-place=oslo] .age-text') ?? '', /3 hours ago/);
    const dbName = await page.evaluate(() => window.starter.db.name);
    await eventually(() =>
      page.evaluate(async (tag) => (await (await navigator.serviceWorker.getRegistration())!.periodicSync.getTags()).includes(tag), `dxc:${dbName}`),
    );
    await page.close();

    // While no page is open, the server's job picks up a new report...
    forecast = { temperature: 12, observedAt: Date.now() - 20 * 60_000 };
    await app.server.weather!.refresh();
    // ...and the browser's periodic sync pulls it into IndexedDB. Offline emulation covers the
    // worker too, so go offline only once its pull has an answer.
    const pulled = context.waitForEvent('requestfinished', {
      predicate: (request) => request.url() === `${app.origin}/sync` && request.serviceWorker() !== null,
      timeout: 0,
    });
    await worker.dispatchPeriodicSync(`dxc:${dbName}`);
    await pulled;

    await context.setOffline(true);
    const offline = await context.newPage();
    await offline.goto(`${app.origin}/`);
    await offline.waitForSelector('.report[data-place=oslo] .temperature:text-is("12°")', { timeout: 0 });
    assert.equal(await offline.textContent('.report[data-place=oslo] .age-text'), '20 minutes ago');
    assert.equal(await offline.isVisible('#offline'), true);
    await screenshot(offline, 'weather-offline-desktop');
    await offline.setViewportSize(PHONE);
    await screenshot(offline, 'weather-offline-phone');
  } finally {
    await context.close();
  }
});
