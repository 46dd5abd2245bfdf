/**
 * The open realm (config `openRealm` + `openRealmTables`), the starter's chat room: every
 * logged-in user reads it and adds rows to its listed tables; only a row's owner changes or
 * deletes it; anonymous callers neither see nor write it; nothing else about realms changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PUBLIC_REALM } from 'dxc/protocol';
import { changes, loginUser, op, ProtocolClient, startSyncServer, type TestServer, type TestUser } from './helpers/sync-helpers.js';

const ROOM = 'rlm-lobby';

describe('open realm', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    server = await startSyncServer({ openRealm: ROOM, openRealmTables: ['notes'] });
    alice = await loginUser(server, 'alice-room@example.com');
    server.clock.advance(61_000);
    bob = await loginUser(server, 'bob-room@example.com');
  });
  after(() => server.close());

  test('a message one user adds is read by every logged-in user, and by no anonymous one', async () => {
    const a = new ProtocolClient(server, alice);
    const response = await a.sync(changes('notes', op.insert(['m1'], [{ text: 'hello room', realmId: ROOM }])));
    assert.deepEqual(response.rejections, []);
    assert.deepEqual(response.realms, [alice.userId, PUBLIC_REALM, ROOM]);
    const b = new ProtocolClient(server, bob);
    await b.sync();
    assert.deepEqual(b.row('notes', 'm1'), { text: 'hello room', realmId: ROOM, owner: alice.userId });
    const anonymous = new ProtocolClient(server);
    const seen = await anonymous.sync();
    assert.deepEqual(seen.realms, [PUBLIC_REALM]);
    assert.equal(anonymous.row('notes', 'm1'), undefined);
  });

  test('only the owner of a message changes or deletes it', async () => {
    const a = new ProtocolClient(server, alice);
    await a.sync(changes('notes', op.insert(['m2'], [{ text: 'mine', realmId: ROOM }])));
    const b = new ProtocolClient(server, bob);
    await b.sync();
    for (const attempt of [
      op.update(['m2'], [{ text: 'edited by bob' }]),
      op.upsert(['m2'], [{ text: 'replaced by bob', realmId: ROOM }]),
      op.delete(['m2']),
    ]) {
      const response = await b.sync(changes('notes', attempt));
      assert.equal(response.rejections.length, 1, attempt.type);
      assert.equal(response.rejections[0]!.name, 'forbidden');
      assert.equal(b.row('notes', 'm2').text, 'mine', `${attempt.type} rolled back`);
    }
    const edited = await a.sync(changes('notes', op.update(['m2'], [{ text: 'mine, edited' }])));
    assert.deepEqual(edited.rejections, []);
    assert.deepEqual((await a.sync(changes('notes', op.delete(['m2'])))).rejections, []);
    await b.sync();
    assert.equal(b.row('notes', 'm2'), undefined);
  });

  test('refuses rows outside the listed tables, another owner, moves between realms, and anonymous writes', async () => {
    const b = new ProtocolClient(server, bob);
    await b.sync(changes('notes', op.insert(['own'], [{ text: 'private' }])));
    await b.sync(changes('notes', op.insert(['m3'], [{ text: 'room', realmId: ROOM }])));
    const attempts = [
      changes('items', op.insert(['n1'], [{ text: 'not a room table', realmId: ROOM }])),
      changes('notes', op.insert(['m4'], [{ text: 'as alice', realmId: ROOM, owner: alice.userId }])),
      changes('notes', op.upsert(['own'], [{ text: 'to the room', realmId: ROOM }])),
      changes('notes', op.update(['own'], [{ realmId: ROOM }])),
      changes('notes', op.update(['m3'], [{ realmId: bob.userId }])),
      changes('notes', op.insert(['m5'], [{ text: 'elsewhere', realmId: 'rlm-other' }])),
    ];
    for (const attempt of attempts) {
      const response = await b.sync(attempt);
      assert.equal(response.rejections.length, 1, JSON.stringify(attempt));
    }
    const anonymous = new ProtocolClient(server);
    const response = await anonymous.sync(changes('notes', op.insert(['m6'], [{ text: 'anon', realmId: ROOM }])));
    assert.equal(response.rejections.length, 1);
    const a = new ProtocolClient(server, alice);
    await a.sync();
    assert.deepEqual(a.keys('notes').filter((k) => k.startsWith('m')), ['m1', 'm3']);
    assert.equal(a.row('items', 'n1'), undefined);
  });

  test('without the setting the same realm is written by nobody', async () => {
    const plain = await startSyncServer();
    try {
      const carol = await loginUser(plain, 'carol-room@example.com');
      const c = new ProtocolClient(plain, carol);
      const response = await c.sync(changes('notes', op.insert(['m1'], [{ text: 'hi', realmId: ROOM }])));
      assert.equal(response.rejections.length, 1);
      assert.deepEqual(response.realms, [carol.userId, PUBLIC_REALM]);
    } finally {
      await plain.close();
    }
  });
});
