/**
 * Browser-facing security of the HTTP surface (reliability.md (a) rows 19 and 27): the security
 * headers on every answer, the Origin check of the WebSocket `/changes` handshake (the same
 * decision as CORS), and cross-site "simple" requests, which reach `/token` and `/sync` without a
 * CORS preflight and so must be refused by their Content-Type before they change anything.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeTson, PUBLIC_REALM } from 'dxc/protocol';
import WebSocket from 'ws';
import { HSTS_MAX_AGE_SECONDS } from '../src/http/security-headers.js';
import { storedTables } from './helpers/backend.js';
import { freshDataDir, logCapture, readMailbox, startAuthServer } from './helpers/auth-helpers.js';
import {
  changes,
  loginUser,
  op,
  postSync,
  SocketReader,
  startSyncServer,
  syncRequest,
  type TestServer,
  type TestUser,
} from './helpers/sync-helpers.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

/** The Content-Types a cross-site page may POST with and no preflight, plus none at all. */
const SIMPLE_CONTENT_TYPES = ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined];

function assertSecurityHeaders(res: Response, what: string): void {
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
}

interface UpgradeOutcome {
  readonly opened: boolean;
  readonly status?: number;
  readonly headers?: Record<string, string | string[] | undefined>;
  readonly body?: string;
}

/** Try a `/changes` upgrade with `origin` (none when undefined); close it again if it opened. */
function tryUpgrade(server: TestServer, { origin, token }: { origin?: string | undefined; token?: string }): Promise<UpgradeOutcome> {
  const params = new URLSearchParams({ v: '3', realmsHash: 'hash', clientId: 'test-client', ...(token ? { token } : {}) });
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/changes?${params}`, origin === undefined ? {} : { origin });
  ws.on('error', () => {});
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        resolve({ opened: false, status: res.statusCode!, headers: res.headers, body });
        ws.terminate();
      });
    });
  });
}

describe('security headers', () => {
  let plain: TestServer;
  let behindTls: TestServer;
  let staticDir: string;

  before(async () => {
    staticDir = freshDataDir();
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>starter</title><script type="module" src="/app.js"></script>');
    fs.writeFileSync(path.join(staticDir, 'app.js'), 'console.log("starter");');
    fs.writeFileSync(path.join(staticDir, 'styles.css'), 'body { margin: 0 }');
    fs.writeFileSync(path.join(staticDir, 'manifest.webmanifest'), '{"name":"starter"}');
    plain = await startSyncServer({ staticDir });
    // As behind a TLS-terminating proxy: dxc listens on http, browsers see the https public URL.
    behindTls = await startSyncServer({ publicUrl: 'https://sync.example.com' });
  });
  after(async () => {
    await plain.close();
    await behindTls.close();
  });

  test('every API answer says nosniff and no-referrer: success, error, 404 and preflight', async () => {
    assertSecurityHeaders(await fetch(`${plain.url}/health`), '/health');
    assertSecurityHeaders(await fetch(`${plain.url}/auth-providers`), '/auth-providers');
    const unauthorized = await fetch(`${plain.url}/sync`, { method: 'POST', headers: { 'Content-Type': 'application/tson', Authorization: 'Bearer x' }, body: '{}' });
    assert.equal(unauthorized.status, 401);
    assertSecurityHeaders(unauthorized, 'a 401 from /sync');
    assertSecurityHeaders(await fetch(`${plain.url}/no/such/route`, { method: 'POST' }), 'a 404');
    const preflight = await fetch(`${plain.url}/sync`, {
      method: 'OPTIONS',
      headers: { Origin: APP, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    assert.equal(preflight.status, 204);
    assertSecurityHeaders(preflight, 'a preflight');
  });

  test('a plain-http server sends no Strict-Transport-Security', async () => {
    assert.equal((await fetch(`${plain.url}/health`)).headers.get('strict-transport-security'), null);
    assert.equal((await fetch(`${plain.url}/_dev/mailbox`)).headers.get('strict-transport-security'), null);
  });

  test(`with an https public URL, every answer carries HSTS for ${HSTS_MAX_AGE_SECONDS} s (one year)`, async () => {
    assert.equal(HSTS_MAX_AGE_SECONDS, 31_536_000);
    const expected = `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`;
    const health = await fetch(`${behindTls.url}/health`);
    assert.equal(health.headers.get('strict-transport-security'), expected);
    assertSecurityHeaders(health, '/health behind TLS');
    const error = await fetch(`${behindTls.url}/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[' });
    assert.equal(error.status, 400);
    assert.equal(error.headers.get('strict-transport-security'), expected);
    // A refused WebSocket upgrade is written by hand, outside Hono: it carries them too.
    const upgrade = await tryUpgrade(behindTls, { token: 'not-a-token' });
    assert.equal(upgrade.status, 401);
    assert.equal(upgrade.headers?.['strict-transport-security'], expected);
    assert.equal(upgrade.headers?.['x-content-type-options'], 'nosniff');
  });

  test('the dev mailbox page and JSON keep their content types and get the headers', async () => {
    const page = await fetch(`${plain.url}/_dev/mailbox.html`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /<html|<!doctype/i);
    assertSecurityHeaders(page, 'mailbox.html');
    const json = await fetch(`${plain.url}/_dev/mailbox`);
    assert.match(json.headers.get('content-type') ?? '', /^application\/json/);
    assertSecurityHeaders(json, 'mailbox JSON');
  });

  test('--static files are served with their real types (which nosniff relies on), the SPA fallback too', async () => {
    for (const [file, type] of [
      ['/', /^text\/html/],
      ['/index.html', /^text\/html/],
      ['/app.js', /^text\/javascript|^application\/javascript/],
      ['/styles.css', /^text\/css/],
      ['/manifest.webmanifest', /^application\/manifest\+json/],
      ['/some/client/route', /^text\/html/],
    ] as const) {
      const res = await fetch(`${plain.url}${file}`);
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get('content-type') ?? '', type, file);
      assertSecurityHeaders(res, file);
      await res.arrayBuffer();
    }
    assert.equal(await (await fetch(`${plain.url}/app.js`)).text(), 'console.log("starter");');
  });
});

describe('WebSocket /changes: the Origin is checked at the handshake', () => {
  let listed: TestServer;
  let open: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  const capture = logCapture();

  before(async () => {
    listed = await startAuthServer({ allowedOrigins: [APP], logLevel: 'debug' }, { logger: capture.logger });
    open = await startSyncServer();
    alice = await loginUser(listed, 'alice@example.com');
    bob = await loginUser(open, 'bob@example.com');
  });
  after(async () => {
    await listed.close();
    await open.close();
  });

  test('an allowed Origin upgrades, and the socket works', async () => {
    const params = new URLSearchParams({ v: '3', realmsHash: 'hash', clientId: 'c', token: alice.token });
    const socket = new SocketReader(new WebSocket(`${listed.url.replace(/^http/, 'ws')}/changes?${params}`, { origin: APP }));
    await socket.opened;
    socket.send({ type: 'ping' });
    assert.deepEqual(await socket.next(), { type: 'pong' });
    await socket.close();
  });

  test('a foreign Origin gets 403 and no socket, even with a valid token; the token stays out of the log', async () => {
    const before = capture.text().split('changes socket open').length;
    const outcome = await tryUpgrade(listed, { origin: EVIL, token: alice.token });
    assert.equal(outcome.opened, false);
    assert.equal(outcome.status, 403);
    assert.equal(JSON.parse(outcome.body!).error, 'forbidden');
    assert.equal(outcome.headers?.['x-content-type-options'], 'nosniff');
    assert.equal(capture.text().split('changes socket open').length, before, 'no session was opened');
    assert.match(capture.text(), /"event":"ws\.origin_refused","origin":"https:\/\/evil\.example\.net"/);
    assert.ok(!capture.text().includes(alice.token), 'no token in the log');
  });

  test('the Origin is refused before the token is looked at: a foreign page learns nothing about it', async () => {
    assert.equal((await tryUpgrade(listed, { origin: EVIL, token: 'not-a-token' })).status, 403);
    assert.equal((await tryUpgrade(listed, { origin: EVIL })).status, 403);
    assert.equal((await tryUpgrade(listed, { origin: 'null' })).status, 403);
    assert.equal((await tryUpgrade(listed, { origin: `${APP}.evil.example.net` })).status, 403);
    assert.equal((await tryUpgrade(listed, { origin: 'http://app.example.com' })).status, 403, 'the scheme is part of the origin');
  });

  test('no Origin header (the addon under Node, a server-side client) upgrades', async () => {
    assert.deepEqual(await tryUpgrade(listed, { token: alice.token }), { opened: true });
    assert.deepEqual(await tryUpgrade(listed, {}), { opened: true }, 'anonymous, as the addon before login');
  });

  test("the server's own public origin upgrades: a page it serves with --static is same-origin", async () => {
    assert.deepEqual(await tryUpgrade(listed, { origin: new URL(listed.context.config.publicUrl).origin, token: alice.token }), { opened: true });
  });

  test('with "*" (the dev default) any Origin upgrades', async () => {
    for (const origin of [EVIL, 'http://localhost:5173', 'null']) {
      assert.deepEqual(await tryUpgrade(open, { origin, token: bob.token }), { opened: true }, origin);
    }
  });

  test('CORS and the handshake give every origin the same answer', async () => {
    const own = new URL(listed.context.config.publicUrl).origin;
    for (const origin of [APP, EVIL, own, 'null', 'https://APP.example.com', `${APP}/`]) {
      const cors = (await fetch(`${listed.url}/health`, { headers: { Origin: origin } })).headers.get('access-control-allow-origin');
      const upgrade = await tryUpgrade(listed, { origin, token: alice.token });
      assert.equal(upgrade.opened, cors === origin, `${origin}: CORS ${cors}, upgrade ${upgrade.status ?? 'opened'}`);
    }
  });
});

describe('cross-site simple requests to /token and /sync are refused and change nothing', () => {
  let server: TestServer;
  let alice: TestUser;

  const rest = () => storedTables(server.context.config).then((tables) => JSON.stringify(tables));
  const push = (id: string) => encodeTson(syncRequest({ changes: changes('notes', op.upsert([id], [{ id, text: 'forged' }])) }));

  before(async () => {
    server = await startSyncServer({ allowedOrigins: [APP] });
    alice = await loginUser(server, 'alice@example.com');
  });
  after(() => server.close());

  async function expect415(res: Response, what: string): Promise<void> {
    const text = await res.text();
    assert.equal(res.status, 415, `${what}: ${text}`);
    assert.equal(JSON.parse(text).error, 'invalid-request', what);
    assertSecurityHeaders(res, what);
  }

  test('POST /token with a safelisted Content-Type (or none) is 415 and mails no code', async () => {
    const before = await rest();
    for (const [index, type] of SIMPLE_CONTENT_TYPES.entries()) {
      const email = `victim${index}@example.com`;
      const body = JSON.stringify({ grant_type: 'otp', email, scopes: ['ACCESS_DB'] });
      const res = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { Origin: EVIL, ...(type ? { 'Content-Type': type } : {}) },
        body: type ? body : new Blob([body]),
      });
      await expect415(res, `/token as ${type ?? 'no type'}`);
      assert.deepEqual(await readMailbox(server, email), [], `no code mailed (${type})`);
    }
    assert.equal(await rest(), before);
  });

  test('POST /logout with a safelisted Content-Type is 415 and ends no session', async () => {
    const res = await fetch(`${server.url}/logout`, {
      method: 'POST',
      headers: { Origin: EVIL, 'Content-Type': 'text/plain' },
      body: JSON.stringify({ refresh_token: 'whatever' }),
    });
    await expect415(res, '/logout as text/plain');
    assert.equal((await postSync(server, syncRequest(), { token: alice.token })).status, 200, 'alice is still logged in');
  });

  test('POST /sync with a safelisted Content-Type (or none) is 415 and stores nothing, with or without a token', async () => {
    const before = await rest();
    for (const [index, type] of SIMPLE_CONTENT_TYPES.entries()) {
      for (const token of [undefined, alice.token]) {
        const body = push(`n-forged-${index}`);
        const res = await fetch(`${server.url}/sync`, {
          method: 'POST',
          headers: { Origin: EVIL, ...(type ? { 'Content-Type': type } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          body: type ? body : new Blob([body]),
        });
        await expect415(res, `/sync as ${type ?? 'no type'}${token ? ' with a token' : ''}`);
      }
    }
    assert.equal(await rest(), before);
    const pulled = await postSync(server, syncRequest(), { token: alice.token });
    assert.deepEqual(pulled.body.changes, [], 'no forged note reached storage');
    assert.ok(pulled.body.realms.includes(PUBLIC_REALM));
  });

  test("the official addon's types still work: application/tson for /sync, application/json for /token", async () => {
    const stored = await postSync(server, push('n-real'), { token: alice.token, headers: { 'Content-Type': 'application/tson' } });
    assert.equal(stored.status, 200);
    const asJson = await postSync(server, syncRequest(), { token: alice.token, headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    assert.equal(asJson.status, 200);
    const code = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'otp', email: 'carol@example.com', scopes: ['ACCESS_DB'] }),
    });
    assert.equal(code.status, 200);
    assert.equal((await readMailbox(server, 'carol@example.com')).length, 1);
  });
});
