/** API clients: `dxc-server create-client` and the `client_credentials` grant. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { after, before, beforeEach, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { createClientCommand } from '../src/auth/create-client-command.js';
import { sha256Hex } from '../src/auth/random-ids.js';
import { backendArgs, backendConfig, storedTables } from './helpers/backend.js';
import {
  createDeviceKey,
  freshDataDir,
  loginWithCode,
  postToken,
  refresh,
  rejectionCode,
  startAuthServer,
  type TestServer,
  type Tokens,
} from './helpers/auth-helpers.js';

interface Credentials {
  client_id: string;
  client_secret: string;
}

async function runCreateClient(args: string[]): Promise<string> {
  let text = '';
  const output = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  const inline = args.find((arg) => arg.startsWith('--data='))?.slice('--data='.length);
  const dataDir = inline ?? (args.includes('--data') ? args[args.indexOf('--data') + 1] : undefined);
  await createClientCommand([...args, ...(dataDir ? await backendArgs(dataDir) : [])], { output, env: {} });
  return text;
}

describe('client_credentials', () => {
  let server: TestServer;
  let clientA: Credentials;
  let clientB: Credentials;
  const mint = (client: Credentials, extra: Record<string, unknown> = {}) =>
    postToken(server, {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      scopes: ['ACCESS_DB'],
      claims: { sub: 'app-user-1', email: 'one@example.com', name: 'One' },
      ...extra,
    });

  before(async () => {
    const dataDir = freshDataDir();
    const keyFile = path.join(dataDir, 'client-a.json');
    const printed = await runCreateClient(['--data', dataDir, '--name', 'backend A', '--out', keyFile]);
    clientA = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as Credentials;
    assert.ok(printed.includes(clientA.client_id) && printed.includes(clientA.client_secret));
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    const printedB = await runCreateClient([`--data=${dataDir}`]);
    clientB = {
      client_id: /client_id:\s+(\S+)/.exec(printedB)![1]!,
      client_secret: /client_secret:\s+(\S+)/.exec(printedB)![1]!,
    };
    server = await startAuthServer({ dataDir });
  });
  after(() => server.close());
  beforeEach(() => server.clock.advance(3_600_000));

  test('create-client prints a 256-bit secret once and refuses to overwrite a key file', async () => {
    assert.match(clientA.client_id, /^cli-/);
    assert.equal(Buffer.from(clientA.client_secret, 'base64url').length, 32);
    const keyFile = path.join(server.dataDir, 'client-a.json');
    await assert.rejects(runCreateClient(['--data', server.dataDir, '--out', keyFile]), /EEXIST/);
    await assert.rejects(runCreateClient(['--bogus', 'x']), /Unknown option/);
  });

  test('create-client stores only a hash of the secret: its text is nowhere in storage', async () => {
    const dataDir = freshDataDir();
    const printed = await runCreateClient(['--data', dataDir, '--name', 'hashed']);
    const secret = /client_secret:\s+(\S+)/.exec(printed)![1]!;
    const stored = JSON.stringify(await storedTables({ dataDir, ...(await backendConfig(dataDir)) }));
    assert.ok(stored.includes(sha256Hex(secret)));
    assert.ok(!stored.includes(secret));
    // The raw files too (SQLite's WAL and free pages included), not only what a query returns.
    for (const file of fs.readdirSync(dataDir)) {
      const bytes = fs.readFileSync(path.join(dataDir, file));
      assert.equal(bytes.indexOf(secret), -1, file);
      assert.equal(bytes.indexOf(Buffer.from(secret, 'base64url')), -1, file);
    }
  });

  test('mints an access token, without a refresh token, for one of the client\'s users', async () => {
    const res = await mint(clientA);
    assert.equal(res.status, 200);
    const tokens = (await res.json()) as Tokens;
    assert.deepEqual(tokens.claims, { sub: 'app-user-1', email: 'one@example.com', name: 'One', license: 'ok' });
    assert.equal(tokens.refreshToken, undefined);
    assert.equal(tokens.accessTokenExpiration, server.clock.now() + 3_600_000);
    const principal = await server.authenticate(tokens.accessToken);
    assert.deepEqual(principal, {
      kind: 'user',
      userId: 'app-user-1',
      email: 'one@example.com',
      name: 'One',
      sessionId: decodeJwt(tokens.accessToken).sid,
      expiresAt: tokens.accessTokenExpiration,
    });
  });

  test('honours a shorter expires_in but never a longer one', async () => {
    const short = (await (await mint(clientA, { expires_in: 60 })).json()) as Tokens;
    assert.equal(short.accessTokenExpiration, server.clock.now() + 60_000);
    const long = (await (await mint(clientA, { expires_in: 999_999 })).json()) as Tokens;
    assert.equal(long.accessTokenExpiration, server.clock.now() + 3_600_000);
  });

  test('refuses a wrong secret and an unknown client with 401', async () => {
    const wrong = await mint({ ...clientA, client_secret: clientB.client_secret });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'unauthorized');
    assert.equal((await mint({ client_id: 'cli-nobody', client_secret: 'x' })).status, 401);
  });

  test('binds tokens to a passed public key, so the browser can refresh by itself', async () => {
    const device = await createDeviceKey();
    const res = await mint(clientA, { public_key: device.publicKeyPem, claims: { sub: 'app-user-2' } });
    assert.equal(res.status, 200);
    const tokens = (await res.json()) as Tokens;
    assert.ok(tokens.refreshToken);
    assert.equal(tokens.refreshTokenExpiration, server.clock.now() + 90 * 24 * 3600_000);
    server.clock.advance(10_000);
    const refreshed = await refresh(server, tokens.refreshToken, device, server.clock.now());
    assert.equal(refreshed.status, 200);
    assert.equal(((await refreshed.json()) as Tokens).claims.sub, 'app-user-2');
    const attacker = await createDeviceKey();
    assert.equal((await refresh(server, tokens.refreshToken, attacker, server.clock.now())).status, 401);
  });

  test('refuses to mint a user that belongs to another client or to an email login', async () => {
    assert.equal((await mint(clientA, { claims: { sub: 'owned-by-a' } })).status, 200);
    const other = await mint(clientB, { claims: { sub: 'owned-by-a' } });
    assert.equal(other.status, 403);
    assert.equal(((await other.json()) as { error: string }).error, 'forbidden');

    const { tokens } = await loginWithCode(server, 'human@example.com');
    assert.equal((await mint(clientA, { claims: { sub: tokens.claims.sub } })).status, 400);
    for (const sub of ['rlm-public', 'unauthorized', 'has space', '', 'x'.repeat(129)]) {
      assert.equal((await mint(clientA, { claims: { sub } })).status, 400, sub);
    }
  });

  test('requires claims.sub and ACCESS_DB only', async () => {
    assert.equal((await mint(clientA, { claims: undefined })).status, 400);
    assert.equal((await mint(clientA, { scopes: ['MANAGE_DB'] })).status, 400);
    assert.equal((await mint(clientA, { claims: { sub: 'ok-user', email: 'not an email' } })).status, 400);
  });

  test('mints at most 50 tokens per client per 5 s', async () => {
    server.clock.set(Math.ceil(server.clock.now() / 5_000) * 5_000);
    const results = await Promise.all(Array.from({ length: 51 }, () => mint(clientB, { claims: { sub: 'burst' } })));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 50);
    const refused = results.find((r) => r.status === 429)!;
    assert.equal(refused.headers.get('retry-after'), '5');
    server.clock.advance(5_000);
    assert.equal((await mint(clientB, { claims: { sub: 'burst' } })).status, 200);
  });

  test('a minted session can be revoked', async () => {
    const tokens = (await (await mint(clientA)).json()) as Tokens;
    const sid = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1]!, 'base64url').toString()).sid as string;
    await server.context.storage.auth.revokeSession(sid, server.clock.now());
    assert.equal(await rejectionCode(server.authenticate(tokens.accessToken)), '401 invalid-token');
  });

  test('`dxc-server create-client` works from the command line against a running server\'s data', async () => {
    const bin = path.join(import.meta.dirname, '..', 'bin', 'dxc-server.mjs');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'create-client', '--data', server.dataDir, ...(await backendArgs(server.dataDir)), '--name', 'cli']);
    const client = {
      client_id: /client_id:\s+(\S+)/.exec(stdout)![1]!,
      client_secret: /client_secret:\s+(\S+)/.exec(stdout)![1]!,
    };
    assert.equal((await mint(client, { claims: { sub: 'cli-user' } })).status, 200);
  });
});
