/**
 * examples/custom-auth in Debian's Chromium: the demo page of the example backend logs in with the
 * app's own username and password, the unmodified official addon gets its dxc tokens through
 * `fetchTokens` from that backend, and a row written on the page reaches dxc-server as that user.
 * The page loads Dexie and the addon from esm.sh; these machines are offline, so those two URLs are
 * answered from node_modules (bundled by esbuild), and nothing else leaves loopback.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { startServer, type RunningServer } from 'dxc-server';
import { startCustomAuthBackend } from '../../examples/custom-auth/backend.mjs';
import { OutboxClient } from '../../server/test/helpers/reliability-helpers.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** No timed assertions: this only ends a test that would otherwise hang. */
const LIMIT = { timeout: 120_000 };
const PASSWORD = 'correct horse battery staple';

let server: RunningServer;
let credentials: { client_id: string; client_secret: string };
let backend: { url: string; close(): Promise<void> };
let browser: Browser;
let modules: Record<string, string>;
const backendLog: string[] = [];

/** An ES module of `entry` from node_modules, with `external` left to the page's import map. */
async function bundle(entry: string, external: string[]): Promise<string> {
  const result = await build({
    stdin: { contents: entry, resolveDir: repo, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    external,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

before(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dxc-custom-auth-'));
  process.once('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const keyFile = path.join(dataDir, 'client.json');
  execFileSync(process.execPath, [path.join(repo, 'server/bin/dxc-server.mjs'), 'create-client', '--data', dataDir, '--name', 'custom-auth example', '--out', keyFile], {
    stdio: 'ignore',
  });
  credentials = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
  server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  backend = await startCustomAuthBackend({
    dxcUrl: server.url,
    clientId: credentials.client_id,
    clientSecret: credentials.client_secret,
    port: 0,
    users: { ann: { id: 'ann', password: PASSWORD, email: 'ann@example.com', name: 'Ann' } },
    log: (line: string) => backendLog.push(line),
  });
  const page = fs.readFileSync(path.join(repo, 'examples/custom-auth/public/index.html'), 'utf8');
  const imports = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(page)![1]!).imports as Record<string, string>;
  modules = {
    [imports.dexie!]: await bundle("export * from 'dexie'; export { default } from 'dexie';", []),
    [imports['dexie-cloud-addon']!]: await bundle("export * from 'dexie-cloud-addon'; export { default } from 'dexie-cloud-addon';", ['dexie']),
  };
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
});

after(async () => {
  await browser?.close();
  await backend?.close();
  await server?.close();
});

test('the demo page logs in with the app\'s own password, gets dxc tokens through fetchTokens, and syncs as that user', LIMIT, async () => {
  const context = await browser.newContext();
  try {
    const leftLoopback: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (modules[url] !== undefined) return route.fulfill({ status: 200, contentType: 'text/javascript', body: modules[url] });
      if (/^(http|ws)s?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) return route.continue();
      leftLoopback.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const tokenCalls: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/dxc-tokens')) tokenCalls.push(request.postData() ?? '');
    });
    const answer = await page.goto(`${backend.url}/`);
    assert.match(answer!.headers()['content-security-policy'] ?? '', /script-src 'self' 'sha256-/);

    await page.fill('input[name=password]', 'wrong');
    await page.click('#login button');
    await page.waitForFunction(() => document.querySelector('output#status')?.textContent === 'Wrong user or password');
    assert.equal(tokenCalls.length, 0, 'no dxc tokens without an app session');

    await page.fill('input[name=password]', PASSWORD);
    await page.click('#login button');
    await page.waitForFunction(() => document.querySelector('output#status')?.textContent === 'Syncing as ann');
    assert.equal(tokenCalls.length, 1);
    assert.ok(!tokenCalls[0]!.includes(credentials.client_secret), 'the API client secret never reaches the browser');
    assert.match(JSON.parse(tokenCalls[0]!).public_key, /BEGIN PUBLIC KEY/);

    await page.fill('input[name=title]', 'Buy milk');
    await page.click('#add button');
    await page.waitForSelector('#todos li:text-is("Buy milk")');

    // What the server holds for ann, read as another device of hers would.
    const mint = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', ...credentials, scopes: ['ACCESS_DB'], claims: { sub: 'ann', email: 'ann@example.com' } }),
    });
    const tokens = await mint.json();
    const device = new OutboxClient(server, { userId: 'ann', token: tokens.accessToken, expiresAt: tokens.accessTokenExpiration }, 'todos');
    for (let attempt = 0; attempt < 100; attempt++) {
      await device.sync();
      if ([...device.replica.values()].some((row) => (row as { title?: string } | null)?.title === 'Buy milk')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok([...device.replica.values()].some((row) => (row as { title?: string } | null)?.title === 'Buy milk'), 'the row reached the server as ann');
    assert.deepEqual(leftLoopback, [], 'nothing but the two module URLs left loopback');
    assert.deepEqual(backendLog, ['minted dxc tokens for ann']);
  } finally {
    await context.close();
  }
});
