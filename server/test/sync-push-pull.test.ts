import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PropModification, PUBLIC_REALM } from 'dxc/protocol';
import {
  changes,
  loginUser,
  op,
  operationTypes,
  postSync,
  ProtocolClient,
  SCHEMA,
  startSyncServer,
  syncRequest,
  type TestServer,
  type TestUser,
} from './helpers/sync-helpers.js';

describe('POST /sync: push and pull', () => {
  let server: TestServer;
  let alice: TestUser;

  before(async () => {
    server = await startSyncServer();
    alice = await loginUser(server, 'alice@example.com');
  });
  after(() => server.close());

  test('answers an anonymous first sync with the public realm, a revision and the schema echoed', async () => {
    const answer = await postSync(server, syncRequest());
    assert.equal(answer.status, 200);
    const body = answer.body;
    assert.equal(typeof body.serverRevision, 'string');
    assert.ok(body.serverRevision.length > 0);
    assert.equal(typeof body.dbId, 'string');
    assert.deepEqual(body.realms, [PUBLIC_REALM]);
    assert.deepEqual(body.inviteRealms, []);
    assert.deepEqual(body.schema, SCHEMA);
    assert.deepEqual(body.changes, []);
    assert.deepEqual(body.rejections, []);
  });

  test("lists the user's own realm first once logged in, and keeps the same dbId", async () => {
    const anonymous = await postSync(server, syncRequest());
    const answer = await postSync(server, syncRequest(), { token: alice.token });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.realms, [alice.userId, PUBLIC_REALM]);
    assert.equal(answer.body.dbId, anonymous.body.dbId);
  });

  test('pushes every operation kind and another device pulls the final states as upsert and delete', async () => {
    const phone = new ProtocolClient(server, alice);
    const laptop = new ProtocolClient(server, alice);
    await laptop.sync();
    await phone.sync(
      changes(
        'notes',
        op.insert(['n-insert'], [{ id: 'n-insert', text: 'inserted', realmId: alice.userId, owner: alice.userId }]),
        op.upsert(['n-upsert', 'n-gone'], [
          { id: 'n-upsert', text: 'upserted', done: false },
          { id: 'n-gone', text: 'to delete' },
        ]),
        op.update(['n-insert'], [{ text: 'updated', 'meta.tag': 'x' }]),
        op.modify(['n-upsert'], { done: true }),
        op.delete(['n-gone']),
      ),
    );
    const response = await laptop.sync();
    assert.deepEqual(operationTypes(response.changes), ['upsert']);
    assert.deepEqual(laptop.keys('notes'), ['n-insert', 'n-upsert']);
    assert.deepEqual(laptop.row('notes', 'n-insert'), {
      id: 'n-insert',
      text: 'updated',
      meta: { tag: 'x' },
      realmId: alice.userId,
      owner: alice.userId,
    });
    assert.equal(laptop.row('notes', 'n-upsert').done, true);

    await phone.sync(changes('notes', op.delete(['n-upsert'])));
    const next = await laptop.sync();
    assert.deepEqual(next.changes, [{ table: 'notes', muts: [{ type: 'delete', keys: ['n-upsert'] }] }]);
    assert.deepEqual(laptop.keys('notes'), ['n-insert']);
  });

  test('fills in a missing realmId and owner with the user id', async () => {
    const client = new ProtocolClient(server, alice);
    await client.sync(changes('notes', op.upsert(['n-bare'], [{ id: 'n-bare' }])));
    assert.deepEqual(client.row('notes', 'n-bare'), { id: 'n-bare', realmId: alice.userId, owner: alice.userId });
  });

  test('executes @@propmod with Dexie semantics: add and subtract numbers, add and remove array items, replacePrefix', async () => {
    const client = new ProtocolClient(server, alice);
    await client.sync(
      changes('notes', op.upsert(['n-mod'], [{ id: 'n-mod', count: 1, tags: ['b', 'd'], path: '/old/file' }])),
    );
    await client.sync(
      changes(
        'notes',
        // As the addon sends them: plain objects read back from IndexedDB...
        op.update(['n-mod'], [{ count: { '@@propmod': { add: 5 } }, tags: { '@@propmod': { add: ['c', 'a'] } } }]),
        // ...and as TSON PropModification values.
        op.update(['n-mod'], [{ tags: new PropModification({ remove: ['d'] }), path: new PropModification({ replacePrefix: ['/old/', '/new/'] }) }]),
        op.update(['n-mod'], [{ count: { '@@propmod': { remove: 2 } } }]),
      ),
    );
    const row = client.row('notes', 'n-mod');
    assert.equal(row.count, 4);
    assert.deepEqual(row.tags, ['a', 'b', 'c']);
    assert.equal(row.path, '/new/file');
  });

  test('an upsert with changeSpecs patches the stored row instead of replacing it', async () => {
    const phone = new ProtocolClient(server, alice);
    const laptop = new ProtocolClient(server, alice);
    await phone.sync(changes('notes', op.upsert(['n-patch'], [{ id: 'n-patch', a: 1, b: 1 }])));
    // The laptop's local value is stale (b: 0), but only `a` changed there.
    await laptop.sync(changes('notes', op.upsert(['n-patch'], [{ id: 'n-patch', a: 2, b: 0 }], undefined, [{ a: 2 }])));
    assert.deepEqual(laptop.row('notes', 'n-patch'), { id: 'n-patch', a: 2, b: 1, realmId: alice.userId, owner: alice.userId });
  });

  test('update and modify of a key with no row change nothing', async () => {
    const client = new ProtocolClient(server, alice);
    await client.sync();
    const before = client.lastPull!.serverRevision;
    const response = await client.sync(changes('notes', op.update(['n-none'], [{ a: 1 }]), op.modify(['n-none2'], { a: 1 })));
    assert.equal(response.serverRevision, before);
    assert.deepEqual(response.changes, []);
  });

  test('revisions strictly increase with each committed push', async () => {
    const client = new ProtocolClient(server, alice);
    const revisions: number[] = [Number((await client.sync()).serverRevision)];
    for (let i = 0; i < 5; i++) {
      const response = await client.sync(changes('notes', op.upsert([`n-rev-${i}`], [{ id: `n-rev-${i}` }])));
      revisions.push(Number(response.serverRevision));
    }
    for (let i = 1; i < revisions.length; i++) assert.ok(revisions[i]! > revisions[i - 1]!, `${revisions}`);
  });

  test('a pull with a cursor carries only the changes after it', async () => {
    const writer = new ProtocolClient(server, alice);
    await writer.sync(changes('notes', op.upsert(['n-early'], [{ id: 'n-early' }])));
    const cursor = writer.lastPull!;
    await writer.sync(changes('notes', op.upsert(['n-late'], [{ id: 'n-late' }])));
    const answer = await postSync(server, syncRequest({ lastPull: cursor, dbID: writer.dbId! }), { token: alice.token });
    assert.deepEqual(answer.body.changes, [
      { table: 'notes', muts: [{ type: 'upsert', keys: ['n-late'], values: [{ id: 'n-late', realmId: alice.userId, owner: alice.userId }] }] },
    ]);
  });

  test('a re-sent push (same txid, answer lost) is applied once', async () => {
    const client = new ProtocolClient(server, alice);
    await client.sync(changes('notes', op.upsert(['n-once'], [{ id: 'n-once', count: 0 }])));
    const cursor = client.lastPull!;
    const push = changes('notes', op.update(['n-once'], [{ count: { '@@propmod': { add: 5 } } }], 'tx-resent-1'));
    const first = await postSync(server, syncRequest({ lastPull: cursor, changes: push }), { token: alice.token });
    const again = await postSync(server, syncRequest({ lastPull: cursor, changes: push }), { token: alice.token });
    assert.equal(first.status, 200);
    assert.equal(again.status, 200);
    assert.equal(again.body.serverRevision, first.body.serverRevision);
    assert.deepEqual(again.body.rejections, []);
    // The second answer still carries the row, so a client that lost the first one converges.
    assert.equal(again.body.changes[0].muts[0].values[0].count, 5);
    const rows = await server.context.storage.data.readRows([{ table: 'notes', key: 'n-once' }]);
    assert.match(rows[0]!.value!, /"count":5/);
  });

  test('private # keys are stored and returned as the client encoded them', async () => {
    const key = `#settings:${alice.userId}`;
    await new ProtocolClient(server, alice).sync(changes('notes', op.upsert([key], [{ id: '#settings', theme: 'dark' }])));
    const other = new ProtocolClient(server, alice);
    await other.sync();
    assert.equal(other.row('notes', key).theme, 'dark');
  });

  test('keys travel as strings: array keys as their JSON text', async () => {
    const client = new ProtocolClient(server, alice);
    await client.sync([{ table: 'notes', muts: [op.upsert([['a', 1] as never], [{ k: 1 }])] }]);
    assert.deepEqual(client.row('notes', '["a",1]'), { k: 1, realmId: alice.userId, owner: alice.userId });
  });

  test('takes 10,000 rows in one push and hands them all to another device', async () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `itm-bulk-${String(i).padStart(5, '0')}`);
    const values = keys.map((id, i) => ({ id, title: `Item ${i}`, done: i % 2 === 0, realmId: alice.userId, owner: alice.userId }));
    const writer = new ProtocolClient(server, alice);
    await writer.sync(changes('items', op.insert(keys, values)));
    const reader = new ProtocolClient(server, alice);
    await reader.sync();
    assert.equal(reader.keys('items').length, 10_000);
    assert.deepEqual(reader.row('items', 'itm-bulk-09999'), values[9999]);
  });
});
