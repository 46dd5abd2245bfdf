/**
 * A @web/test-runner plugin that runs a real dxc-server next to the browser tests, plus test-only
 * control routes on the WTR dev server (same origin as the test pages):
 *
 *   GET  /__dxc/config                 → {databaseUrl}
 *   POST /__dxc/server/stop            stop the HTTP server (data kept)
 *   POST /__dxc/server/start           start it again on the same port and data dir
 *   POST /__dxc/clock/advance?ms=N     move the server's clock forward → {offsetMs}
 *   POST /__dxc/clock/reset            back to real time
 *   POST /__dxc/revoke?userId=U        revoke the user's refresh tokens
 *   POST /__dxc/custom-auth/token      {public_key | dpop_jkt, email} → tokens via client_credentials,
 *                                      as an app backend for `fetchTokens` would do
 *   GET  /__dxc/react.js               react, react-dom/client and dexie-react-hooks as one ES module
 *
 * The server also gets a token provider `test` (`<dataDir>/auth-providers.json`): an auth webhook
 * the plugin serves on a second loopback port, which checks dxc-server's HMAC signature and
 * accepts tokens `demo:<userId>:<seconds>` as that user for that many seconds (anything else is
 * refused). It stands in for an app's identity system in the provider-login tests.
 *
 * Run WTR as `node --import tsx --conditions=source node_modules/@web/test-runner/dist/bin.js` so
 * the server's TypeScript sources load.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The stop route must make the server unreachable at once, like a crash or a network cut.
 * dxc-server's close() first closes its WebSockets and only then stops listening, and it ends
 * keep-alive connections last; meanwhile
 * reconnecting clients get new sockets and polling clients keep being served, which held a
 * "stopped" server up for ~30 s. So the plugin keeps the Node server it listens with and stops
 * listening and ends its connections first. (Reported; drop this once app.ts closes in that order.)
 */
let capturing = false;
let captured;
const originalListen = http.Server.prototype.listen;
http.Server.prototype.listen = function listen(...args) {
  if (capturing) captured = this;
  return originalListen.apply(this, args);
};

/** The provider name the browser tests log in with (`db.cloud.login({provider: 'test', token})`). */
export const TEST_PROVIDER = 'test';

/**
 * The test auth webhook: answers dxc-server's signed `{provider, token, databaseId}` POSTs.
 * `demo:<userId>:<seconds>` → authenticated as userId for that many seconds; anything else, or
 * a bad signature, → `{authenticated: false}`.
 */
async function startTestWebhook(secret) {
  const webhook = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(`${req.headers['x-dxc-timestamp']}.${body}`).digest('hex'));
    const given = Buffer.from(String(req.headers['x-dxc-signature']));
    const signed = given.length === expected.length && timingSafeEqual(given, expected);
    let token = '';
    try {
      token = String(JSON.parse(body).token ?? '');
    } catch {
      // not JSON: refused below
    }
    const match = signed ? /^demo:([A-Za-z0-9_.@+|-]{1,100}):(\d{1,9})$/.exec(token) : null;
    const answer = match
      ? { authenticated: true, userID: match[1], expirationSeconds: Number(match[2]), claims: { name: match[1] } }
      : { authenticated: false };
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
  await new Promise((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  return webhook;
}

export function dxcServerPlugin() {
  /** @type {import('dxc-server').RunningServer | undefined} */
  let server;
  let port = 0;
  let dataDir = '';
  let offsetMs = 0;
  let client; // {client_id, client_secret} for the custom-auth backend
  let reactBundle;
  let webhook;
  const now = () => Date.now() + offsetMs;
  let api;

  /** A free loopback port, chosen once so a restart keeps the URL (and the token issuer) stable. */
  async function freePort() {
    const probe = createServer();
    await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port: free } = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    return free;
  }

  let nodeServer;
  const upgraded = new Set();

  async function start() {
    capturing = true;
    try {
      server = await api.startServer({ port, dataDir, logLevel: process.env.DXC_TEST_LOG ?? 'silent' }, { now });
    } finally {
      capturing = false;
    }
    nodeServer = captured;
    // Upgraded sockets leave the server's connection list; keep them to cut them on stop.
    nodeServer.on('upgrade', (_request, socket) => {
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
    });
    port = server.port;
  }

  async function createTestClient() {
    // What `dxc-server create-client` does, from the server's sources (loaded through tsx).
    const { createApiClient } = await import('../server/src/auth/api-clients.ts');
    return createApiClient(server.context.storage.auth, 'wtr custom-auth backend', now());
  }

  async function revoke(userId) {
    await server.context.storage.auth.revokeUserSessions(userId, now());
  }

  async function readJson(ctx) {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : {};
  }

  async function buildReact() {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      stdin: {
        contents: [
          "export * as React from 'react';",
          "export { createRoot } from 'react-dom/client';",
          "export { flushSync } from 'react-dom';",
          "export { useObservable, useLiveQuery } from 'dexie-react-hooks';",
        ].join('\n'),
        resolveDir: process.cwd(),
      },
      bundle: true,
      format: 'esm',
      write: false,
      external: ['dexie'],
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    // One Dexie for app and hooks: the same module URL the dexie alias serves.
    return result.outputFiles[0].text.replaceAll(/from\s*["']dexie["']/g, 'from "/node_modules/dexie/dist/dexie.mjs"');
  }

  const routes = {
    // localhost (not 127.0.0.1) so the nameSuffix rule gives `<name>-localhost`, as in the docs.
    'GET /__dxc/config': async () => ({ databaseUrl: `http://localhost:${port}` }),
    'POST /__dxc/server/stop': async () => {
      if (nodeServer?.listening) {
        nodeServer.close();
        nodeServer.closeAllConnections();
        // Also WebSockets, including one whose upgrade is still being authenticated (dxc-server's
        // close() misses those and then waits for them; reported).
        for (const socket of upgraded) socket.destroy();
      }
      await server?.close();
      server = undefined;
      return { stopped: true };
    },
    'POST /__dxc/server/start': async () => {
      if (!server) await start();
      return { databaseUrl: server.url };
    },
    'POST /__dxc/clock/advance': async (ctx) => {
      offsetMs += Number(ctx.query.ms ?? 0);
      return { offsetMs };
    },
    'POST /__dxc/clock/reset': async () => {
      offsetMs = 0;
      return { offsetMs };
    },
    'POST /__dxc/revoke': async (ctx) => {
      await revoke(String(ctx.query.userId));
      return { revoked: true };
    },
    'POST /__dxc/custom-auth/token': async (ctx) => {
      // The app backend of the fetchTokens example: it has already authenticated the user (here:
      // trusts the posted email) and asks dxc-server for tokens bound to the browser's key.
      // With `dpop_jkt` (the dxc client's key thumbprint) instead of `public_key`, the session is
      // bound to the client's proofs.
      const { public_key, dpop_jkt, email } = await readJson(ctx);
      client ??= await createTestClient();
      const res = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.clientSecret,
          scopes: ['ACCESS_DB'],
          ...(dpop_jkt ? { dpop_jkt } : { public_key }),
          claims: { sub: email, email, name: email.split('@')[0] },
        }),
      });
      ctx.status = res.status;
      return res.json();
    },
    'GET /__dxc/react.js': async (ctx) => {
      reactBundle ??= await buildReact();
      ctx.type = 'application/javascript';
      return reactBundle;
    },
  };

  const middleware = async (ctx, next) => {
    if (!ctx.path.startsWith('/__dxc/')) return next();
    const route = routes[`${ctx.method} ${ctx.path}`];
    if (!route) {
      ctx.status = 404;
      ctx.body = { error: 'not-found' };
      return;
    }
    try {
      const body = await route(ctx);
      ctx.body = body;
    } catch (error) {
      ctx.status = 500;
      ctx.body = { error: 'test-control-failed', message: String(error?.message ?? error) };
    }
  };

  return {
    middleware,
    plugin: {
      name: 'dxc-server',
      async serverStart() {
        api = await import('dxc-server');
        dataDir = await mkdtemp(path.join(tmpdir(), 'dxc-wtr-'));
        const secret = randomBytes(32).toString('hex');
        webhook = await startTestWebhook(secret);
        const providers = {
          providers: { [TEST_PROVIDER]: { type: 'webhook', url: `http://127.0.0.1:${webhook.address().port}/_test-webhook`, secret } },
        };
        await writeFile(path.join(dataDir, 'auth-providers.json'), JSON.stringify(providers), { mode: 0o600 });
        port = await freePort();
        await start();
      },
      async serverStop() {
        await server?.close();
        server = undefined;
        await new Promise((resolve) => (webhook ? webhook.close(resolve) : resolve()));
        await rm(dataDir, { recursive: true, force: true });
      },
    },
  };
}
