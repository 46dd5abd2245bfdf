/**
 * Two nodes on one PostgreSQL database, on two ports, as behind a load balancer without sticky
 * sessions: live changes cross nodes, concurrent pushes through both converge with gap-free
 * revisions, and login state (code attempts, rate limits, refresh replays) is shared.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createDeviceKey,
  latestCode,
  loginWithCode,
  postToken,
  refresh,
  requestCode,
  signRefresh,
  submitCode,
  type TestServer,
} from './helpers/auth-helpers.js';
import { dropTestDatabases, TEST_PG_URL } from './helpers/backend.js';
import { connectDatabase, createCluster, startNodes, type Cluster } from './helpers/multi-node-helpers.js';
import {
  changes,
  loginUser,
  op,
  openChanges,
  postSync,
  ProtocolClient,
  syncRequest,
  type TestUser,
} from './helpers/sync-helpers.js';

describe('two nodes on one PostgreSQL', { skip: TEST_PG_URL ? false : 'DXC_TEST_PG_URL is not set', timeout: 120_000 }, () => {
  let cluster: Cluster;
  let a: TestServer;
  let b: TestServer;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    cluster = await createCluster();
    [a, b] = (await startNodes(cluster, 2)) as [TestServer, TestServer];
    alice = await loginUser(a, 'alice@example.com');
    bob = await loginUser(b, 'bob@example.com');
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await dropTestDatabases();
  });

  test('the nodes listen on two ports and share one database id', async () => {
    assert.notEqual(a.port, b.port);
    const [fromA, fromB] = await Promise.all([new ProtocolClient(a, alice).sync(), new ProtocolClient(b, alice).sync()]);
    assert.equal(fromA.dbId, fromB.dbId);
  });

  test("a socket on node A receives a write made through node B, live", async () => {
    const laptop = new ProtocolClient(a, alice);
    await laptop.sync();
    const socket = await openChanges(a, { token: alice.token });
    socket.send({ type: 'ready', rev: laptop.lastPull!.serverRevision, realmSetHash: 'h' });
    socket.send({ type: 'ping' });
    assert.deepEqual(await socket.next(), { type: 'pong' }, 'nothing is delivered before the write');

    const phone = new ProtocolClient(b, alice);
    const pushed = await phone.sync(changes('notes', op.upsert(['cross-node'], [{ id: 'cross-node', text: 'from B' }])));
    const message = await socket.next();
    assert.equal(message.type, 'changes');
    assert.equal(message.newRev, pushed.serverRevision);
    assert.deepEqual(message.changes[0].muts[0].keys, ['cross-node']);
    assert.equal(message.changes[0].muts[0].values[0].text, 'from B');
    await socket.close();
  });

  test("a socket on node B is not told about another user's write on node A", async () => {
    const bobClient = new ProtocolClient(b, bob);
    await bobClient.sync();
    const socket = await openChanges(b, { token: bob.token });
    socket.send({ type: 'ready', rev: bobClient.lastPull!.serverRevision, realmSetHash: 'h' });
    await new ProtocolClient(a, alice).sync(changes('notes', op.upsert(['alice-only'], [{ id: 'alice-only' }])));
    // Bob's own write after Alice's: the first message Bob gets must be his, not Alice's.
    await new ProtocolClient(a, bob).sync(changes('notes', op.upsert(['bob-row'], [{ id: 'bob-row' }])));
    const message = await socket.next();
    assert.deepEqual(
      message.changes.flatMap((set: { muts: { keys: string[] }[] }) => set.muts.flatMap((m) => m.keys)),
      ['bob-row'],
    );
    await socket.close();
  });

  test('concurrent pushes through both nodes converge: nothing lost, nothing applied twice, gap-free revisions', async () => {
    const db = await connectDatabase(cluster);
    try {
      const seed = new ProtocolClient(a, alice);
      await seed.sync(changes('notes', op.upsert(['counter'], [{ id: 'counter', n: 0 }])));
      const before = Number((await db.query('SELECT revision FROM data_state')).rows[0].revision);

      const writers = 8;
      const pushesEach = 6;
      const pushes = Array.from({ length: writers }, async (_, w) => {
        const user = w % 2 === 0 ? alice : bob;
        let cursor: Pick<ProtocolClient, 'lastPull' | 'dbId'> = { lastPull: undefined, dbId: undefined };
        for (let i = 0; i < pushesEach; i++) {
          // Each push goes to the other node than the one before: no sticky sessions.
          const client = Object.assign(new ProtocolClient((w + i) % 2 === 0 ? a : b, user), cursor);
          const muts = [op.upsert([`w${w}-${i}`], [{ id: `w${w}-${i}`, w, i }])];
          if (user === alice) muts.push(op.update(['counter'], [{ n: { '@@propmod': { add: 1 } } }]));
          await client.sync(changes('notes', ...muts));
          cursor = { lastPull: client.lastPull, dbId: client.dbId };
        }
      });
      await Promise.all(pushes);

      const total = writers * pushesEach;
      const after = Number((await db.query('SELECT revision FROM data_state')).rows[0].revision);
      assert.equal(after - before, total, 'one revision per push, no gaps');
      const revisions = (await db.query('SELECT revision FROM data_rows WHERE key ~ $1 ORDER BY revision', ['^w\\d'])).rows.map(
        (row) => Number(row.revision),
      );
      assert.deepEqual(revisions, Array.from({ length: total }, (_, i) => before + 1 + i), 'each push has its own revision');

      const [fromA, fromB] = [new ProtocolClient(a, alice), new ProtocolClient(b, alice)];
      await Promise.all([fromA.sync(), fromB.sync()]);
      assert.equal(fromA.row('notes', 'counter').n, (writers / 2) * pushesEach, 'every increment applied exactly once');
      assert.deepEqual(fromA.keys('notes'), fromB.keys('notes'));
      assert.equal(fromA.keys('notes').filter((key) => key.startsWith('w')).length, total / 2);
    } finally {
      await db.end();
    }
  });

  test('a push re-sent to the other node is applied once', async () => {
    const client = new ProtocolClient(a, alice);
    await client.sync(changes('notes', op.upsert(['resent'], [{ id: 'resent', n: 0 }])));
    const request = syncRequest({
      changes: changes('notes', op.update(['resent'], [{ n: { '@@propmod': { add: 1 } } }], 'tx-resent')),
      lastPull: client.lastPull!,
      dbID: client.dbId!,
    });
    const answers = await Promise.all([postSync(a, request, { token: alice.token }), postSync(b, request, { token: alice.token })]);
    assert.deepEqual(answers.map((answer) => answer.status), [200, 200]);
    await client.sync();
    assert.equal(client.row('notes', 'resent').n, 1);
  });

  test('code attempts are counted across nodes', async () => {
    const email = 'attempts@example.com';
    const otpId = await requestCode(a, email);
    const code = await latestCode(a, email);
    const wrong = code === '00000000' ? '11111111' : '00000000';
    const device = await createDeviceKey();
    for (let i = 0; i < 5; i++) {
      const node = i % 2 === 0 ? a : b;
      assert.equal((await submitCode(node, email, otpId, wrong, device)).status, 401);
    }
    assert.equal((await submitCode(b, email, otpId, code, device)).status, 401, 'the sixth attempt is refused even with the right code');
  });

  test('rate limits count requests on every node together', async () => {
    const email = 'limited@example.com';
    for (let i = 0; i < 5; i++) {
      const res = await postToken(i % 2 === 0 ? a : b, { grant_type: 'otp', email, scopes: ['ACCESS_DB'] });
      assert.equal(res.status, 200);
    }
    assert.equal((await postToken(a, { grant_type: 'otp', email, scopes: ['ACCESS_DB'] })).status, 429);
    assert.equal((await postToken(b, { grant_type: 'otp', email, scopes: ['ACCESS_DB'] })).status, 429);
  });

  test('a refresh signature accepted by one node is refused by the other', async () => {
    const { tokens, device } = await loginWithCode(a, 'replay-across@example.com');
    cluster.clock.advance(60_000);
    const ts = cluster.clock.now();
    const signature = await signRefresh(device, tokens.refreshToken!, ts);
    assert.equal((await refresh(a, tokens.refreshToken!, device, ts, signature)).status, 200);
    assert.equal((await refresh(b, tokens.refreshToken!, device, ts, signature)).status, 401);
  });

  test('a session revoked through one node stops working on the other', async () => {
    const { tokens, device } = await loginWithCode(b, 'revoked@example.com');
    const principal = await b.authenticate(tokens.accessToken);
    assert.equal(principal.kind, 'user');
    await a.context.storage.auth.revokeUserSessions(tokens.claims.sub, cluster.clock.now());
    cluster.clock.advance(1_000);
    assert.equal((await refresh(b, tokens.refreshToken!, device, cluster.clock.now())).status, 401);
    const sync = await postSync(b, syncRequest(), { token: tokens.accessToken });
    assert.equal(sync.status, 401, 'access tokens of a revoked session are refused on every node');
  });
});
