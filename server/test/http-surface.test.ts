/**
 * The HTTP surface around the protocol routes: the configurable `/sync` body limit, CORS as the
 * browser clients need it, `/blob` and `/health`, and the `dxc-server` command line and its config.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { after, before, beforeEach, describe, test } from 'node:test';
import { encodeTson, PUBLIC_REALM } from 'dxc/protocol';
import { CONFIG_SETTINGS, configFromArgs, MAX_OTP_TTL_SECONDS } from '../src/config.js';
import { freshDataDir } from './helpers/auth-helpers.js';
import { BIN, freePort, spawnServer, type ChildServer } from './helpers/reliability-helpers.js';
import {
  changes,
  loginUser,
  op,
  postSync,
  startSyncServer,
  syncRequest,
  type TestServer,
  type TestUser,
} from './helpers/sync-helpers.js';

const run = promisify(execFile);

describe('POST /sync: an authenticated body over maxSyncBodyBytes', () => {
  const LIMIT = 16 * 1024;
  let server: TestServer;
  let alice: TestUser;
  let stateBefore: string;

  async function storeState(): Promise<string> {
    const store = server.context.storage.data;
    return JSON.stringify([await store.currentRevision(), await store.snapshot([alice.userId, PUBLIC_REALM])]);
  }

  /** A push of one note whose text has `bytes` characters. */
  const pushOf = (bytes: number) =>
    encodeTson(syncRequest({ changes: changes('notes', op.upsert(['n-big'], [{ id: 'n-big', text: 'x'.repeat(bytes) }])) }));

  before(async () => {
    server = await startSyncServer({ maxSyncBodyBytes: LIMIT });
    alice = await loginUser(server, 'alice@example.com');
    assert.equal((await postSync(server, syncRequest({ changes: changes('notes', op.upsert(['n-1'], [{ id: 'n-1' }])) }), { token: alice.token })).status, 200);
  });
  beforeEach(async () => {
    stateBefore = await storeState();
  });
  after(() => server.close());

  test('refuses an authenticated /sync body over the limit with 413 and stores nothing', async () => {
    const answer = await postSync(server, pushOf(LIMIT), { token: alice.token });
    assert.equal(answer.status, 413, JSON.stringify(answer.body));
    assert.equal(answer.body.error, 'payload-too-large');
    assert.match(answer.body.message, new RegExp(String(LIMIT)));
    assert.equal(await storeState(), stateBefore);
  });

  test('refuses a gzipped body that is over the limit only once decompressed, and stores nothing', async () => {
    const body = gzipSync(pushOf(4 * LIMIT));
    assert.ok(body.length < LIMIT);
    const answer = await postSync(server, new Uint8Array(body), { token: alice.token, headers: { 'Content-Encoding': 'gzip' } });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error, 'payload-too-large');
    assert.equal(await storeState(), stateBefore);
  });

  test('accepts a body just within the configured limit', async () => {
    const body = pushOf(LIMIT - 1024);
    assert.ok(Buffer.byteLength(body) <= LIMIT);
    assert.equal((await postSync(server, body, { token: alice.token })).status, 200);
    assert.notEqual(await storeState(), stateBefore);
  });
});

describe('CORS', () => {
  const APP = 'https://app.example.com';
  let open: TestServer;
  let listed: TestServer;
  let alice: TestUser;

  const preflight = (server: TestServer, path: string, origin: string, requestHeaders: string) =>
    fetch(`${server.url}${path}`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': requestHeaders },
    });
  const allowed = (res: Response, header: string) =>
    (res.headers.get(header) ?? '').toLowerCase().split(',').map((h) => h.trim());

  before(async () => {
    open = await startSyncServer();
    listed = await startSyncServer({ allowedOrigins: [APP] });
    alice = await loginUser(open, 'alice@example.com');
  });
  after(async () => {
    await open.close();
    await listed.close();
  });

  test('reflects an allowed origin with credentials on a /sync answer, and varies on Origin', async () => {
    const origin = 'http://localhost:5173';
    const res = await fetch(`${open.url}/sync`, {
      method: 'POST',
      headers: { Origin: origin, 'Content-Type': 'application/tson', Authorization: `Bearer ${alice.token}` },
      body: encodeTson(syncRequest()),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), origin);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.ok(allowed(res, 'vary').includes('origin'));
  });

  test('puts the CORS headers on error answers too, so the client can read a 401', async () => {
    const res = await fetch(`${open.url}/sync`, {
      method: 'POST',
      headers: { Origin: APP, 'Content-Type': 'application/tson', Authorization: 'Bearer not-a-token' },
      body: encodeTson(syncRequest()),
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.ok(allowed(res, 'access-control-expose-headers').includes('retry-after'));
    assert.ok(allowed(res, 'access-control-expose-headers').includes('dpop-nonce'));
  });

  test('answers a preflight for /sync: POST with Authorization, Content-Type and Content-Encoding', async () => {
    const res = await preflight(open, '/sync', APP, 'authorization,content-type,content-encoding');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.ok(allowed(res, 'access-control-allow-methods').includes('post'));
    for (const header of ['authorization', 'content-type', 'content-encoding']) {
      assert.ok(allowed(res, 'access-control-allow-headers').includes(header), header);
    }
    assert.equal(res.headers.get('access-control-max-age'), '600');
  });

  test('answers a preflight for /token: POST with Content-Type and DPoP', async () => {
    const res = await preflight(listed, '/token', APP, 'content-type,dpop');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.ok(allowed(res, 'access-control-allow-methods').includes('post'));
    assert.ok(allowed(res, 'access-control-allow-headers').includes('content-type'));
    assert.ok(allowed(res, 'access-control-allow-headers').includes('dpop'));
  });

  test('with an allow-list, gives a foreign origin no Access-Control-Allow-Origin', async () => {
    const evil = 'https://evil.example.net';
    const flight = await preflight(listed, '/sync', evil, 'authorization,content-type');
    assert.equal(flight.headers.get('access-control-allow-origin'), null);
    const res = await fetch(`${listed.url}/health`, { headers: { Origin: evil } });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const mine = await fetch(`${listed.url}/health`, { headers: { Origin: APP } });
    assert.equal(mine.headers.get('access-control-allow-origin'), APP);
  });
});

describe('/blob and /health', () => {
  let server: TestServer;
  before(async () => {
    server = await startSyncServer();
  });
  after(() => server.close());

  test('PUT /blob/… answers 404, so the client keeps large values inline', async () => {
    const res = await fetch(`${server.url}/blob/some/blob-id`, { method: 'PUT', body: new Uint8Array(32) });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: string }).error, 'not-found');
    assert.equal((await fetch(`${server.url}/blob/some/blob-id`)).status, 404);
  });

  test('GET /health answers ok', async () => {
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });
});

describe('configuration: flags and DXC_* variables', () => {
  test('reads a DXC_* variable, and a flag wins over it', () => {
    const env = { DXC_PORT: '9001', DXC_ACCESS_TOKEN_TTL: '120' };
    const fromEnv = configFromArgs([], env);
    assert.equal(fromEnv.port, 9001);
    assert.equal(fromEnv.accessTokenTtlSeconds, 120);
    const flagged = configFromArgs(['--port', '9002', '--access-ttl=60'], env);
    assert.equal(flagged.port, 9002);
    assert.equal(flagged.accessTokenTtlSeconds, 60);
  });

  test('keeps every "=" of an inline value after the first', () => {
    const url = 'postgres://dxc@db.internal:5432/dxc?sslmode=require&application_name=dxc';
    assert.equal(configFromArgs([`--db=${url}`], {}).database, url);
  });

  test(`refuses --otp-ttl above its ${MAX_OTP_TTL_SECONDS} s ceiling, naming the flag and the ceiling`, () => {
    assert.equal(configFromArgs(['--otp-ttl', String(MAX_OTP_TTL_SECONDS)], {}).otpTtlSeconds, MAX_OTP_TTL_SECONDS);
    assert.throws(() => configFromArgs(['--otp-ttl', String(MAX_OTP_TTL_SECONDS + 1)], {}), /--otp-ttl.*600 seconds, got 601/);
    assert.throws(() => configFromArgs([], { DXC_OTP_TTL: '3600' }), /DXC_OTP_TTL.*600 seconds/);
    assert.throws(() => configFromArgs(['--otp-ttl', '0'], {}), /--otp-ttl/);
  });
});

describe('the dxc-server command line', () => {
  const children: ChildServer[] = [];
  after(async () => {
    for (const child of children) await child.kill();
  });

  test('--help prints the usage and every option with its variable, and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const { stdout } = await run(process.execPath, [BIN, flag]);
      assert.match(stdout, /^Usage:/m);
      assert.match(stdout, /create-client/);
      for (const setting of CONFIG_SETTINGS) {
        assert.ok(stdout.includes(setting.flag) && stdout.includes(setting.env), setting.flag);
      }
    }
  });

  test('starts on the port DXC_PORT names', async () => {
    const port = await freePort();
    const child = await spawnServer(undefined, freshDataDir(), { env: { DXC_PORT: String(port) } });
    children.push(child);
    assert.equal(child.port, port);
    assert.equal((await fetch(`${child.url}/health`)).status, 200);
  });

  test('starts on the --port flag when DXC_PORT names another', async () => {
    const [flagPort, envPort] = [await freePort(), await freePort()];
    const child = await spawnServer(flagPort, freshDataDir(), { env: { DXC_PORT: String(envPort) } });
    children.push(child);
    assert.equal(child.port, flagPort);
    assert.equal((await fetch(`${child.url}/health`)).status, 200);
  });

  test(`refuses to start with --otp-ttl above ${MAX_OTP_TTL_SECONDS}, with a clear message and exit code 2`, async () => {
    const failure = await run(process.execPath, [BIN, 'start', '--port', '0', '--data', freshDataDir(), '--otp-ttl', '601']).then(
      () => assert.fail('dxc-server started'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failure.code, 2);
    assert.match(failure.stderr, /^dxc-server: otpTtlSeconds \(--otp-ttl, DXC_OTP_TTL\) must be 1 to 600 seconds, got 601\n$/);
  });
});
