/**
 * One setup for the browser benchmarks, so every contender runs in the same run on the same
 * machine: a real dxc-server (SQLite in a temp dir), pouchdb-server's HTTP layer (express-pouchdb
 * over PouchDB's in-memory adapter), a page bundled with esbuild (dexie, the dxc client, the
 * official addon and PouchDB inside) and Debian's headless Chromium driven by playwright-core.
 *
 * Everything listens on 127.0.0.1. The page's origin also serves `/token` (an app backend that
 * trusts the posted email and asks dxc-server for tokens with client_credentials, as the
 * `fetchTokens` examples do; OTP logins are rate-limited per IP) and `/db/*` (PouchDB), so the
 * PouchDB side needs no CORS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../server/src/app.js';
import { createApiClient } from '../../server/src/auth/api-clients.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

export { CHROMIUM_PATH };

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Debian's Chromium as every browser run launches it, plus what a benchmark needs. */
const BENCH_CHROMIUM_ARGS = [
  ...CHROMIUM_ARGS,
  // Timers of a headless background page must not be throttled mid-measurement.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
];

export interface BrowserBench {
  readonly server: RunningServer;
  readonly page: Page;
  readonly cdp: CDPSession;
  /** The page's origin (static page, `/token`, `/db`). */
  readonly origin: string;
  /** Tokens for `email` straight from dxc-server (for seeding from Node). */
  tokenFor(email: string, publicKey?: string): Promise<{ accessToken: string; claims: { sub: string } }>;
  close(): Promise<void>;
}

async function bundlePage(): Promise<string> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['bench/browser/page.ts'],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    conditions: ['source'],
    write: false,
    // DXC_BENCH_MINIFY=0 keeps names readable in CPU profiles (bench/profile-page.ts).
    minify: process.env.DXC_BENCH_MINIFY !== '0',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    logLevel: 'error',
  });
  return result.outputFiles[0]!.text;
}

export async function startBrowserBench(): Promise<BrowserBench> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dxc-bench-'));
  const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  const apiClient = await createApiClient(server.context.storage.auth, 'bench backend', Date.now());

  async function tokenFor(email: string, publicKey?: string) {
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: apiClient.clientId,
        client_secret: apiClient.clientSecret,
        scopes: ['ACCESS_DB'],
        ...(publicKey ? { public_key: publicKey } : {}),
        claims: { sub: email, email, name: email.split('@')[0] },
      }),
    });
    const body = (await res.json()) as { accessToken: string; claims: { sub: string } };
    if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  // pouchdb-server's HTTP layer; pouchdb-server itself pulls in leveldown (native), so the
  // in-memory adapter stands in for its LevelDB store: that favours PouchDB slightly.
  const express = require('express');
  const PouchDB = require('pouchdb-core').plugin(require('pouchdb-adapter-memory')).plugin(require('pouchdb-adapter-http'))
    .plugin(require('pouchdb-replication')).plugin(require('pouchdb-mapreduce'));
  const MemPouch = PouchDB.defaults({ adapter: 'memory' });
  const pouchDir = mkdtempSync(path.join(tmpdir(), 'dxc-bench-pouch-'));
  const expressPouchDB = require('express-pouchdb');
  const pageJs = await bundlePage();
  const html = '<!doctype html><meta charset="utf-8"><title>dxc bench</title><script type="module" src="/page.js"></script>';

  const app = express();
  app.get('/', (_req: any, res: any) => res.type('html').send(html));
  app.get('/page.js', (_req: any, res: any) => res.type('application/javascript').send(pageJs));
  app.get('/config', (_req: any, res: any) => res.json({ databaseUrl: server.url }));
  app.post('/token', express.json(), async (req: any, res: any) => {
    try {
      res.json(await tokenFor(req.body.email, req.body.public_key));
    } catch (error) {
      res.status(500).json({ error: String(error) });
    }
  });
  app.use('/db', expressPouchDB(MemPouch, { mode: 'minimumForPouchDB', inMemoryConfig: true, logPath: path.join(pouchDir, 'log.txt') }));
  const http = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: BENCH_CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`[page exception] ${error.message}`));
  page.on('console', (msg) => {
    // 404s are expected: the favicon and PouchDB's probes of `_local` checkpoint documents.
    if (msg.text().includes('status of 404')) return;
    if (msg.text().startsWith('progress:')) return void console.log(`  ${msg.text()}`);
    if (msg.type() === 'error' || process.env.DXC_BENCH_VERBOSE) console.error(`[page ${msg.type()}] ${msg.text()}`);
  });
  await page.goto(origin);
  await page.waitForFunction(() => (globalThis as any).bench !== undefined);
  const cdp = await page.context().newCDPSession(page);

  return {
    server,
    page,
    cdp,
    origin,
    tokenFor,
    async close() {
      await browser.close().catch(() => {});
      http.closeAllConnections?.();
      await new Promise((resolve) => http.close(resolve));
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(pouchDir, { recursive: true, force: true });
    },
  };
}
