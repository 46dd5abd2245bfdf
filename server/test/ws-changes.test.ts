import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_WS_MESSAGE_BYTES } from 'dxc/protocol';
import WebSocket from 'ws';
import { logCapture, startAuthServer } from './helpers/auth-helpers.js';
import {
  changes,
  loginUser,
  op,
  openChanges,
  ProtocolClient,
  SocketReader,
  startSyncServer,
  type TestServer,
  type TestUser,
} from './helpers/sync-helpers.js';

describe('WebSocket /changes', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    server = await startSyncServer();
    alice = await loginUser(server, 'alice@example.com');
    bob = await loginUser(server, 'bob@example.com');
  });
  after(() => server.close());

  /** The HTTP status a refused upgrade answers with. */
  function upgradeStatus(path: string): Promise<number> {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}${path}`);
    ws.on('error', () => {});
    return new Promise((resolve) =>
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode!);
        ws.terminate();
      }),
    );
  }

  /** The server answers in order, so a pong proves nothing else was queued before it. */
  async function assertNothingPending(socket: SocketReader): Promise<void> {
    socket.send({ type: 'ping' });
    assert.deepEqual(await socket.next(), { type: 'pong' });
  }

  test('answers ping with pong', async () => {
    const socket = await openChanges(server, { token: alice.token });
    socket.send({ type: 'ping' });
    assert.deepEqual(await socket.next(), { type: 'pong' });
    await socket.close();
  });

  test('accepts the //changes path the addon requests for a root database URL', async () => {
    const socket = await openChanges(server, { token: alice.token, path: '//changes' });
    socket.send({ type: 'ping' });
    assert.deepEqual(await socket.next(), { type: 'pong' });
    await socket.close();
  });

  test("a second device receives the first device's change after ready, then waits for the next ready", async () => {
    const laptop = new ProtocolClient(server, alice);
    const phone = new ProtocolClient(server, alice);
    await laptop.sync();
    await phone.sync();
    const socket = await openChanges(server, { token: alice.token });
    const baseRev = laptop.lastPull!.serverRevision as string;
    socket.send({ type: 'ready', rev: baseRev, realmSetHash: 'hash-of-client' });
    await assertNothingPending(socket);

    const pushed = await phone.sync(changes('notes', op.upsert(['n-live'], [{ id: 'n-live', text: 'hi' }])));
    const message = await socket.next();
    assert.equal(message.type, 'changes');
    assert.equal(message.baseRev, baseRev);
    assert.equal(message.newRev, pushed.serverRevision);
    assert.equal(message.realmSetHash, 'hash-of-client');
    assert.deepEqual(message.changes, [
      { table: 'notes', muts: [{ type: 'upsert', keys: ['n-live'], values: [{ id: 'n-live', text: 'hi', realmId: alice.userId, owner: alice.userId }] }] },
    ]);

    // Flow control: no second batch until the client says it is ready for it.
    const second = await phone.sync(changes('notes', op.delete(['n-live'])));
    await assertNothingPending(socket);
    socket.send({ type: 'ready', rev: message.newRev, realmSetHash: 'hash-of-client' });
    const next = await socket.next();
    assert.equal(next.baseRev, message.newRev);
    assert.equal(next.newRev, second.serverRevision);
    assert.deepEqual(next.changes, [{ table: 'notes', muts: [{ type: 'delete', keys: ['n-live'] }] }]);
    await socket.close();
  });

  test('sends changes committed before the ready that names an older revision', async () => {
    const client = new ProtocolClient(server, alice);
    await client.sync();
    const old = client.lastPull!.serverRevision as string;
    await client.sync(changes('notes', op.upsert(['n-missed'], [{ id: 'n-missed' }])));
    const socket = await openChanges(server, { token: alice.token });
    socket.send({ type: 'ready', rev: old, realmSetHash: 'h' });
    const message = await socket.next();
    assert.equal(message.type, 'changes');
    assert.deepEqual(message.changes[0].muts[0].keys, ['n-missed']);
    await socket.close();
  });

  test("another user's socket receives nothing of it", async () => {
    const bobDevice = new ProtocolClient(server, bob);
    await bobDevice.sync();
    const socket = await openChanges(server, { token: bob.token });
    socket.send({ type: 'ready', rev: bobDevice.lastPull!.serverRevision, realmSetHash: 'h' });
    await new ProtocolClient(server, alice).sync(changes('notes', op.upsert(['n-private'], [{ id: 'n-private' }])));
    await assertNothingPending(socket);
    await socket.close();
  });

  test('anonymous sockets are accepted', async () => {
    const socket = await openChanges(server);
    const anonymous = new ProtocolClient(server);
    await anonymous.sync();
    socket.send({ type: 'ready', rev: anonymous.lastPull!.serverRevision, realmSetHash: 'h' });
    await new ProtocolClient(server, alice).sync(changes('notes', op.upsert(['n-not-public'], [{ id: 'n-not-public' }])));
    await assertNothingPending(socket);
    await socket.close();
  });

  test('a ready with a revision this server never issued asks the client to pull', async () => {
    const socket = await openChanges(server, { token: alice.token });
    socket.send({ type: 'ready', rev: '[1,"2823"]', realmSetHash: 'h' });
    assert.deepEqual(await socket.next(), { type: 'realms-changed', realmsHash: '' });
    await socket.close();
  });

  test('a message larger than the limit closes the socket with 1009', async () => {
    const socket = await openChanges(server, { token: alice.token });
    socket.ws.send('x'.repeat(MAX_WS_MESSAGE_BYTES + 1));
    const { code } = await socket.closed;
    assert.equal(code, 1009);
  });

  test('a malformed message gets a typed error and the socket stays usable', async () => {
    const socket = await openChanges(server, { token: alice.token });
    socket.ws.send('{not tson');
    assert.equal((await socket.next()).error, 'invalid-tson');
    socket.ws.send('{"type":"ready","__proto__":{}}');
    assert.equal((await socket.next()).error, 'forbidden-key');
    await assertNothingPending(socket);
    await socket.close();
  });

  test('says token-expired once the access token expires, and sends no rows after that', async () => {
    const carol = await loginUser(server, 'carol@example.com');
    const device = new ProtocolClient(server, carol);
    await device.sync();
    const socket = await openChanges(server, { token: carol.token });
    socket.send({ type: 'ready', rev: device.lastPull!.serverRevision, realmSetHash: 'h' });
    await assertNothingPending(socket);
    server.clock.set(carol.expiresAt);
    socket.send({ type: 'ping' });
    assert.deepEqual(await socket.next(), { type: 'token-expired' });
    await server.context.storage.data.applyPush({
      userId: carol.userId,
      keys: [],
      plan: () => ({ writes: [{ table: 'notes', key: 'n-late', realmId: carol.userId, owner: carol.userId, value: '{}' }], appliedTxids: [] }),
    });
    server.context.changes.publish({ revision: String(await server.context.storage.data.currentRevision()), realms: [carol.userId] });
    socket.send({ type: 'ready', rev: device.lastPull!.serverRevision, realmSetHash: 'h' });
    assert.deepEqual(await socket.next(), { type: 'token-expired' });
    await socket.close();
  });

  test('a socket opened with an expired token is told token-expired', async () => {
    const dave = await loginUser(server, 'dave@example.com');
    server.clock.set(dave.expiresAt + 1);
    const socket = await openChanges(server, { token: dave.token });
    assert.deepEqual(await socket.next(), { type: 'token-expired' });
    await socket.close();
  });

  test('an invalid token is refused at the upgrade with 401', async () => {
    assert.equal(await upgradeStatus('/changes?token=not-a-token'), 401);
  });

  test('other paths are not WebSocket endpoints', async () => {
    assert.equal(await upgradeStatus('/sync'), 404);
  });
});

describe('WebSocket /changes: logging and shutdown', () => {
  test('never logs the access token from the query string, and closes sockets with 1001 on shutdown', async () => {
    const capture = logCapture();
    const server = await startAuthServer({ logLevel: 'debug' }, { logger: capture.logger });
    const user = await loginUser(server, 'erin@example.com');
    const device = new ProtocolClient(server, user);
    await device.sync(changes('notes', op.upsert(['n-log'], [{ id: 'n-log' }])));
    const socket = await openChanges(server, { token: user.token, path: '//changes' });
    socket.send({ type: 'ping' });
    assert.deepEqual(await socket.next(), { type: 'pong' });
    await server.close();
    assert.equal((await socket.closed).code, 1001);
    const logs = capture.text();
    assert.match(logs, /changes socket open/);
    assert.ok(!logs.includes(user.token), 'the token appears in the logs');
    assert.ok(!logs.includes('token='), 'a query string appears in the logs');
  });
});
