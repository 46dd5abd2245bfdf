import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeTson, PUBLIC_REALM } from 'dxc/protocol';
import {
  changes,
  loginUser,
  newTxid,
  op,
  postSync,
  ProtocolClient,
  startSyncServer,
  syncRequest,
  type TestServer,
  type TestUser,
} from './helpers/sync-helpers.js';

describe('POST /sync: realms and authorization', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;

  const stored = async (table: string, key: string) =>
    (await server.context.storage.data.readRows([{ table, key }]))[0];

  before(async () => {
    server = await startSyncServer();
    alice = await loginUser(server, 'alice@example.com');
    bob = await loginUser(server, 'bob@example.com');
    // Public rows are not writable through /sync; an operator writes them into the store directly.
    const value = encodeTson({ id: 'n-public', text: 'hello world', realmId: PUBLIC_REALM });
    await server.context.storage.data.applyPush({
      userId: 'operator',
      keys: [],
      plan: () => ({
        writes: [{ table: 'notes', key: 'n-public', realmId: PUBLIC_REALM, owner: null, value }],
        appliedTxids: [],
      }),
    });
  });
  after(() => server.close());

  test("a user never receives another user's rows", async () => {
    await new ProtocolClient(server, bob).sync(changes('notes', op.upsert(['n-bob-secret'], [{ id: 'n-bob-secret' }])));
    const aliceDevice = new ProtocolClient(server, alice);
    await aliceDevice.sync();
    assert.equal(aliceDevice.row('notes', 'n-bob-secret'), undefined);
    assert.deepEqual(aliceDevice.keys('notes'), ['n-public']);
  });

  test('anonymous sync sees only the public realm', async () => {
    await new ProtocolClient(server, alice).sync(changes('notes', op.upsert(['n-alice-1'], [{ id: 'n-alice-1' }])));
    const anonymous = new ProtocolClient(server);
    const response = await anonymous.sync();
    assert.deepEqual(response.realms, [PUBLIC_REALM]);
    assert.deepEqual(anonymous.keys('notes'), ['n-public']);
  });

  test("a push claiming another user's realm is rejected, rolled back, and stores nothing", async () => {
    const client = new ProtocolClient(server, alice);
    await client.sync();
    const txid = newTxid();
    const response = await client.sync(
      changes('notes', op.upsert(['n-forged'], [{ id: 'n-forged', realmId: bob.userId, owner: bob.userId }], txid)),
    );
    assert.equal(response.rejections.length, 1);
    assert.equal(response.rejections[0]!.txid, txid);
    assert.equal(response.rejections[0]!.name, 'forbidden');
    // The rollback tells the client to drop its optimistic row.
    assert.deepEqual(response.changes, [{ table: 'notes', muts: [{ type: 'delete', keys: ['n-forged'] }] }]);
    assert.equal(await stored('notes', 'n-forged'), undefined);
    const bobDevice = new ProtocolClient(server, bob);
    await bobDevice.sync();
    assert.equal(bobDevice.row('notes', 'n-forged'), undefined);
  });

  test("an owner naming another user is refused", async () => {
    const response = await new ProtocolClient(server, alice).sync(
      changes('notes', op.upsert(['n-owner'], [{ id: 'n-owner', realmId: alice.userId, owner: bob.userId }])),
    );
    assert.equal(response.rejections.length, 1);
    assert.equal(await stored('notes', 'n-owner'), undefined);
  });

  test("updates, deletes and overwrites of another user's row are refused and leave it unchanged", async () => {
    await new ProtocolClient(server, bob).sync(changes('notes', op.upsert(['n-bob'], [{ id: 'n-bob', text: 'mine' }])));
    const before = await stored('notes', 'n-bob');
    const client = new ProtocolClient(server, alice);
    await client.sync();
    for (const attempt of [
      op.update(['n-bob'], [{ text: 'pwned' }]),
      op.modify(['n-bob'], { text: 'pwned' }),
      op.delete(['n-bob']),
      op.upsert(['n-bob'], [{ id: 'n-bob', text: 'pwned' }]),
      op.insert(['n-bob'], [{ id: 'n-bob', text: 'pwned' }]),
    ]) {
      const response = await client.sync(changes('notes', attempt));
      assert.equal(response.rejections.length, 1, attempt.type);
      // Alice may not see the row, so her rollback is a delete of her optimistic copy.
      assert.deepEqual(response.changes, [{ table: 'notes', muts: [{ type: 'delete', keys: ['n-bob'] }] }]);
    }
    assert.deepEqual(await stored('notes', 'n-bob'), before);
  });

  test('writes to the public realm are refused and rolled back to the public value', async () => {
    const client = new ProtocolClient(server, alice);
    await client.sync();
    const response = await client.sync(changes('notes', op.update(['n-public'], [{ text: 'defaced' }])));
    assert.equal(response.rejections.length, 1);
    assert.equal(response.changes[0]!.muts[0]!.type, 'upsert');
    assert.equal((response.changes[0]!.muts[0] as { values: { text: string }[] }).values[0]!.text, 'hello world');
  });

  test('an update moving a row into another realm is refused', async () => {
    const client = new ProtocolClient(server, alice);
    await client.sync(changes('notes', op.upsert(['n-move'], [{ id: 'n-move', text: 'stay' }])));
    const response = await client.sync(changes('notes', op.update(['n-move'], [{ realmId: bob.userId }])));
    assert.equal(response.rejections.length, 1);
    assert.equal(client.row('notes', 'n-move').realmId, alice.userId);
    assert.equal((await stored('notes', 'n-move'))!.realmId, alice.userId);
  });

  test('one refused operation refuses its whole client transaction, and other transactions still apply', async () => {
    const client = new ProtocolClient(server, alice);
    await client.sync();
    const mixed = newTxid();
    const response = await client.sync([
      {
        table: 'notes',
        muts: [
          op.upsert(['n-tx-ok'], [{ id: 'n-tx-ok' }], mixed),
          op.upsert(['n-tx-other'], [{ id: 'n-tx-other' }]),
          op.update(['n-bob'], [{ text: 'pwned' }], mixed),
        ],
      },
    ]);
    assert.deepEqual(response.rejections.map((r) => r.txid), [mixed]);
    assert.equal(await stored('notes', 'n-tx-ok'), undefined);
    assert.ok(await stored('notes', 'n-tx-other'));
    assert.equal(client.row('notes', 'n-tx-ok'), undefined);
    assert.ok(client.row('notes', 'n-tx-other'));
  });

  test('anonymous callers cannot write', async () => {
    const anonymous = new ProtocolClient(server);
    const response = await anonymous.sync(changes('notes', op.upsert(['n-anon'], [{ id: 'n-anon' }])));
    assert.equal(response.rejections.length, 1);
    assert.equal(await stored('notes', 'n-anon'), undefined);
  });

  test('a realm the client could not read at its last pull arrives in full', async () => {
    const carol = await loginUser(server, 'carol@example.com');
    await new ProtocolClient(server, carol).sync(changes('notes', op.upsert(['n-carol-old'], [{ id: 'n-carol-old' }])));
    // A browser that synced anonymously (after Carol's row was written) and then logs in as Carol.
    const browser = new ProtocolClient(server);
    await browser.sync();
    assert.deepEqual(browser.lastPull!.realms, [PUBLIC_REALM]);
    const loggedIn = new ProtocolClient(server, carol);
    loggedIn.lastPull = browser.lastPull;
    loggedIn.dbId = browser.dbId;
    const response = await loggedIn.sync();
    assert.deepEqual(response.realms, [carol.userId, PUBLIC_REALM]);
    assert.ok(loggedIn.row('notes', 'n-carol-old'));
  });

  test('a cursor from another database gets a full snapshot instead of a partial pull', async () => {
    const answer = await postSync(
      server,
      syncRequest({ dbID: 'some-other-db', lastPull: { serverRevision: '1', realms: [alice.userId, PUBLIC_REALM], inviteRealms: [] } }),
      { token: alice.token },
    );
    const keys = answer.body.changes.flatMap((set: { muts: { keys: string[] }[] }) => set.muts.flatMap((m) => m.keys));
    assert.ok(keys.includes('n-alice-1'));
    assert.ok(keys.includes('n-public'));
  });
});
