/**
 * Server- and protocol-level faults (research/reliability.md (b), rows 1, 2, 4, 5, 6, 8, 9, 17):
 * each test injects one fault against a real server and checks the invariant it threatens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SyncResponse } from 'dxc/protocol';
import type { RunningServer } from '../src/app.js';
import {
  freshDataDir,
  loginWithProof,
  refresh,
  refreshWithProof,
  loginWithCode,
  serverSeconds,
} from './helpers/auth-helpers.js';
import {
  freePort,
  OutboxClient,
  sorted,
  spawnServer,
  startLossyProxy,
  storeFingerprint,
} from './helpers/reliability-helpers.js';
import { loginUser, openChanges, postSync, startSyncServer, type TestServer, type TestUser } from './helpers/sync-helpers.js';

const add = (n: number) => ({ n: { '@@propmod': { add: n } } });

/** Every live row of `user`'s scope, as a device that never synced before would receive it. */
async function serverScope(server: Pick<RunningServer, 'url'>, user: TestUser) {
  const fresh = new OutboxClient(server, user);
  await fresh.sync();
  return sorted(fresh.replica);
}

describe('lost answers and crashes between commit and answer (rows 1, 2)', () => {
  let server: TestServer;
  before(async () => {
    server = await startSyncServer();
  });
  after(() => server.close());

  test('a push whose answer is lost after the commit is applied once when the client retries', async () => {
    const alice = await loginUser(server, 'lost-answer@example.com');
    const proxy = await startLossyProxy(server.port);
    try {
      const device = new OutboxClient({ url: proxy.url }, alice);
      device.write({ txid: 'tx-create', ops: [{ type: 'upsert', keys: ['c'], values: [{ id: 'c', n: 0 }] }] });
      await device.sync();
      const before = await server.context.storage.data.currentRevision();

      device.write({ txid: 'tx-add', ops: [{ type: 'update', keys: ['c'], changeSpecs: [add(1)] }] });
      const lost = proxy.loseNextAnswer();
      await assert.rejects(device.sync(), 'the client sees a network error');
      await lost;
      assert.equal(device.outbox.length, 1, 'the outbox keeps the unacknowledged transaction');
      assert.equal(await server.context.storage.data.currentRevision(), before + 1, 'the server committed it');

      const retry = await device.sync();
      assert.deepEqual(retry.rejections, []);
      assert.equal(device.outbox.length, 0, 'the outbox is cleared by the retry');
      assert.equal(device.replica.get('c')!.n, 1, 'applied once, not twice');
      assert.equal(await server.context.storage.data.currentRevision(), before + 1, 'the retry committed nothing new');
    } finally {
      await proxy.close();
    }
  });
});

test('a server SIGKILLed between commit and answer restarts with the push, and the retry applies it once', async () => {
  const port = await freePort();
  const dataDir = freshDataDir();
  let child = await spawnServer(port, dataDir);
  const proxy = await startLossyProxy(port);
  try {
    const alice = await loginUser(child as unknown as RunningServer, 'killed@example.com');
    const device = new OutboxClient({ url: proxy.url }, alice);
    device.write({ txid: 'tx-create', ops: [{ type: 'upsert', keys: ['k'], values: [{ id: 'k', n: 10 }] }] });
    await device.sync();

    device.write({ txid: 'tx-add', ops: [{ type: 'update', keys: ['k'], changeSpecs: [add(5)] }] });
    // The first byte of the answer proves the commit; the process dies before the client reads it.
    const killed = proxy.loseNextAnswer(() => child.kill());
    await assert.rejects(device.sync());
    await killed;
    assert.equal(child.process.signalCode, 'SIGKILL');

    child = await spawnServer(port, dataDir);
    const retry = await device.sync();
    assert.deepEqual(retry.rejections, []);
    assert.equal(device.outbox.length, 0);
    assert.equal(device.replica.get('k')!.n, 15, 'the transaction committed before the kill is applied exactly once');
    assert.deepEqual(await serverScope(child, alice), sorted(device.replica), 'another device sees the same state');
  } finally {
    await proxy.close();
    await child.kill();
  }
});

describe('duplicated and reordered delivery (rows 4, 5)', () => {
  let server: TestServer;
  let alice: TestUser;
  before(async () => {
    server = await startSyncServer();
    alice = await loginUser(server, 'dup@example.com');
  });
  after(() => server.close());

  test('the same push delivered twice at once is applied once', async () => {
    const device = new OutboxClient(server, alice);
    device.write({ txid: 'tx-a', ops: [{ type: 'upsert', keys: ['d'], values: [{ id: 'd', n: 0 }] }] });
    await device.sync();
    device.write({ txid: 'tx-b', ops: [{ type: 'update', keys: ['d'], changeSpecs: [add(1)] }] });
    const request = device.request();
    const answers = await Promise.all([1, 2, 3].map(() => postSync(server, request, { token: alice.token })));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    assert.equal(new Map(await serverScope(server, alice)).get('d')!.n, 1);
  });

  test('a stale copy of an older push that arrives after a newer one does not roll a row back', async () => {
    const device = new OutboxClient(server, alice);
    device.write({ txid: 'tx-1', ops: [{ type: 'upsert', keys: ['s'], values: [{ id: 's', n: 1 }] }] });
    const older = device.request();
    await device.syncLosingAnswer();
    device.write({ txid: 'tx-2', ops: [{ type: 'upsert', keys: ['s'], values: [{ id: 's', n: 2 }] }] });
    await device.sync();
    // The network delivers the first request once more, late.
    const late = await postSync(server, older, { token: alice.token });
    assert.equal(late.status, 200);
    assert.equal(new Map(await serverScope(server, alice)).get('s')!.n, 2, 'tx-1 was applied already, so the copy is skipped');
  });

  test('pushes of two devices delivered in either order converge on commit order', async () => {
    const one = new OutboxClient(server, alice);
    const two = new OutboxClient(server, alice);
    one.write({ txid: 'one-1', ops: [{ type: 'upsert', keys: ['o'], values: [{ id: 'o', by: 'one' }] }] });
    two.write({ txid: 'two-1', ops: [{ type: 'upsert', keys: ['o'], values: [{ id: 'o', by: 'two' }] }] });
    // Written first, delivered last: the later commit wins, whatever the writers' order.
    await two.sync();
    await one.sync();
    await two.sync();
    assert.equal(one.replica.get('o')!.by, 'one');
    assert.deepEqual(sorted(two.replica), sorted(one.replica));
    assert.deepEqual(await serverScope(server, alice), sorted(one.replica));
  });
});

test('with every WebSocket frame dropped, a device converges through its pulls (row 8)', async () => {
  const server = await startSyncServer();
  try {
    const alice = await loginUser(server, 'ws-drop@example.com');
    const reader = new OutboxClient(server, alice);
    const writer = new OutboxClient(server, alice);
    await reader.sync();
    const socket = await openChanges(server, { token: alice.token });
    const cursor = (await reader.sync()).serverRevision;
    socket.send({ type: 'ready', rev: cursor, realmSetHash: 'h' });

    writer.write({ txid: 'w-1', ops: [{ type: 'upsert', keys: ['a', 'b'], values: [{ id: 'a' }, { id: 'b' }] }] });
    await writer.sync();
    const dropped = await socket.next();
    assert.equal(dropped.type, 'changes', 'the server sent the change; the network drops it');
    writer.write({ txid: 'w-2', ops: [{ type: 'delete', keys: ['a'] }] });
    await writer.sync();
    assert.equal(socket.pending(), 0, 'no further frame until the device acknowledges (flow control)');

    const pulled = await reader.sync();
    assert.deepEqual(sorted(reader.replica), await serverScope(server, alice), 'the pull alone converges');
    // Back on the socket from the pulled cursor: only what is newer comes, nothing is replayed.
    socket.send({ type: 'ready', rev: pulled.serverRevision, realmSetHash: 'h' });
    writer.write({ txid: 'w-3', ops: [{ type: 'upsert', keys: ['c'], values: [{ id: 'c' }] }] });
    await writer.sync();
    const next = await socket.next();
    assert.equal(next.baseRev, pulled.serverRevision);
    assert.deepEqual(next.changes[0].muts.map((m: { keys: string[] }) => m.keys), [['c']]);
    await socket.close();
  } finally {
    await server.close();
  }
});

describe('client clocks two hours off (row 9)', () => {
  let server: TestServer;
  before(async () => {
    server = await startSyncServer();
  });
  after(() => server.close());

  for (const skewHours of [2, -2]) {
    test(`a device whose clock is ${skewHours > 0 ? 'ahead' : 'behind'} by 2 h refreshes through the server nonce`, async () => {
      const { tokens, key } = await loginWithProof(server, `skew${skewHours}@example.com`);
      const iat = serverSeconds(server) + skewHours * 3600;
      const res = await refreshWithProof(server, tokens.refreshToken!, key, { iat });
      assert.equal(res.status, 200, await res.clone().text());
      const refreshed = (await res.json()) as { accessToken: string };
      const answer = await postSync(server, { v: 3, schema: {}, baseRevs: [], changes: [] }, { token: refreshed.accessToken });
      assert.equal(answer.status, 200, 'the new access token works: expiry is judged by the server clock');
    });
  }

  test('an addon refresh signature stamped 2 h off is a typed refusal, not a crash (the ±60 s rule)', async () => {
    const { tokens, device } = await loginWithCode(server, 'legacy-skew@example.com');
    const res = await refresh(server, tokens.refreshToken!, device, server.clock.now() + 2 * 3600_000);
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    assert.equal(typeof ((await res.json()) as { error?: unknown }).error, 'string');
  });

  test('last writer wins by commit order, not by the timestamps skewed clients write', async () => {
    const alice = await loginUser(server, 'skew-order@example.com');
    const ahead = new OutboxClient(server, alice);
    const behind = new OutboxClient(server, alice);
    const now = server.clock.now();
    ahead.write({ txid: 'ahead', ops: [{ type: 'upsert', keys: ['t'], values: [{ id: 't', by: 'ahead', at: now + 7200_000 }] }] });
    behind.write({ txid: 'behind', ops: [{ type: 'upsert', keys: ['t'], values: [{ id: 't', by: 'behind', at: now - 7200_000 }] }] });
    await ahead.sync();
    await behind.sync();
    await ahead.sync();
    assert.equal(ahead.replica.get('t')!.by, 'behind', 'the later commit wins although its clock is 4 h behind');
    assert.deepEqual(sorted(ahead.replica), sorted(behind.replica));
  });
});

describe('a poison operation does not block the queue (row 6)', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  before(async () => {
    server = await startSyncServer();
    alice = await loginUser(server, 'poison-a@example.com');
    bob = await loginUser(server, 'poison-b@example.com');
  });
  after(() => server.close());

  test('a transaction on another user\'s row is refused alone; the ones around it apply', async () => {
    const bobDevice = new OutboxClient(server, bob);
    bobDevice.write({ txid: 'bob-1', ops: [{ type: 'upsert', keys: ['bobs'], values: [{ id: 'bobs', n: 1 }] }] });
    await bobDevice.sync();

    const device = new OutboxClient(server, alice);
    device.write({ txid: 'ok-1', ops: [{ type: 'upsert', keys: ['p1'], values: [{ id: 'p1' }] }] });
    device.write({ txid: 'poison', ops: [{ type: 'update', keys: ['bobs'], changeSpecs: [{ n: 666 }] }] });
    device.write({ txid: 'ok-2', ops: [{ type: 'upsert', keys: ['p2'], values: [{ id: 'p2' }] }] });
    const response = await device.sync();
    assert.deepEqual(response.rejections.map((r) => r.txid), ['poison']);
    assert.equal(device.outbox.length, 0, 'the queue drained');
    assert.deepEqual([...device.replica.keys()].sort(), ['p1', 'p2']);
    assert.equal(new Map(await serverScope(server, bob)).get('bobs')!.n, 1, "bob's row is untouched");
  });

  test('a transaction that would grow a stored row past the row limit is refused alone; the ones around it apply', async () => {
    const device = new OutboxClient(server, alice);
    device.write({ txid: 'mk', ops: [{ type: 'upsert', keys: ['big'], values: [{ id: 'big', n: 1 }] }] });
    await device.sync();
    // Each change is valid on the wire; only the row they build together is too large.
    const half = 'x'.repeat(600_000);
    device.write({ txid: 'grow-1', ops: [{ type: 'update', keys: ['big'], changeSpecs: [{ a: half }] }] });
    device.write({ txid: 'grow-2', ops: [{ type: 'update', keys: ['big'], changeSpecs: [{ b: half }, ] }, { type: 'upsert', keys: ['side'], values: [{ id: 'side' }] }] });
    device.write({ txid: 'ok-3', ops: [{ type: 'update', keys: ['big'], changeSpecs: [add(1)] }] });
    const response = await device.sync();
    assert.deepEqual(response.rejections.map((r) => [r.txid, r.name]), [['grow-2', 'row-too-large']]);
    assert.equal(device.outbox.length, 0, 'the queue drained');
    const row = device.replica.get('big')!;
    assert.equal(row.n, 2, 'the transaction after the refused one applied');
    assert.equal((row.a as string).length, 600_000);
    assert.equal(row.b, undefined, 'nothing of the refused transaction is stored');
    assert.ok(!device.replica.has('side'), 'a refused transaction is refused whole');
    assert.deepEqual(await serverScope(server, alice), sorted(device.replica));
  });
});

describe('a device offline past any retention (row 17)', () => {
  let server: TestServer;
  let alice: TestUser;
  before(async () => {
    server = await startSyncServer();
    alice = await loginUser(server, 'offline@example.com');
  });
  after(() => server.close());

  test('after a year offline it pushes its outbox and pulls everything it missed', async () => {
    const sleeper = new OutboxClient(server, alice);
    const other = new OutboxClient(server, alice);
    other.write({ txid: 'o-0', ops: [{ type: 'upsert', keys: ['x0', 'x1'], values: [{ id: 'x0' }, { id: 'x1' }] }] });
    await other.sync();
    await sleeper.sync();
    sleeper.write({ txid: 'sleeper-1', ops: [{ type: 'upsert', keys: ['mine'], values: [{ id: 'mine' }] }] });

    server.clock.advance(365 * 24 * 3600_000);
    for (let i = 0; i < 30; i++) {
      other.write({ txid: `o-${i + 1}`, ops: [{ type: 'upsert', keys: [`y${i}`], values: [{ id: `y${i}`, i }] }] });
    }
    other.write({ txid: 'o-del', ops: [{ type: 'delete', keys: ['x0'] }] });
    // A year on, both devices log in again (their sessions expired); the sleeper keeps its state.
    const fresh = await loginUser(server, 'offline@example.com');
    other.user = fresh;
    await other.sync();

    sleeper.user = fresh;
    await sleeper.sync();
    assert.equal(sleeper.outbox.length, 0);
    assert.ok(sleeper.replica.has('mine') && !sleeper.replica.has('x0') && sleeper.replica.has('y29'));
    assert.deepEqual(sorted(sleeper.replica), await serverScope(server, fresh));
  });

  test('a cursor the server cannot honour (another database) gets a full re-sync and keeps its outbox', async () => {
    alice = await loginUser(server, 'offline@example.com');
    const device = new OutboxClient(server, alice);
    await device.sync();
    device.dbId = 'a-restored-backup';
    device.lastPull!.serverRevision = '999999999';
    device.replica.set('ghost', { id: 'ghost' });
    device.write({ txid: 'kept', ops: [{ type: 'upsert', keys: ['kept'], values: [{ id: 'kept' }] }] });
    const response: SyncResponse = await device.sync();
    assert.deepEqual(response.rejections, []);
    device.replica.delete('ghost'); // a client drops its local rows on a reset; the server sent a snapshot
    assert.ok(device.replica.has('kept'), 'the unsynced write was pushed, not dropped');
    assert.deepEqual(sorted(device.replica), await serverScope(server, alice));
  });
});

test('the store fingerprint moves with a write (so the bad-input tests can trust it)', async () => {
  const server = await startSyncServer();
  try {
    const alice = await loginUser(server, 'fingerprint@example.com');
    const before = await storeFingerprint(server);
    assert.equal(await storeFingerprint(server), before);
    const device = new OutboxClient(server, alice);
    device.write({ txid: 'f', ops: [{ type: 'upsert', keys: ['f'], values: [{ id: 'f' }] }] });
    await device.sync();
    assert.notEqual(await storeFingerprint(server), before);
  } finally {
    await server.close();
  }
});
