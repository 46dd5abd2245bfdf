/**
 * Contract test: the unmodified official dexie-cloud-addon@4.4.14 against a real dxc-server. One
 * browser-like instance logs in with email + OTP and pushes rows; a second instance (another
 * database, same user) pulls them, and then receives later changes live over the WebSocket without
 * being asked to sync.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eventually, loginAddon, openAddonDb, type AddonDb } from './helpers/addon-harness.js';
import { add, replacePrefix } from 'dexie';
import { startServer, type RunningServer } from '../src/app.js';
import { freshDataDir } from './helpers/auth-helpers.js';
import { backendConfig } from './helpers/backend.js';

describe('contract: the official dexie-cloud-addon', () => {
  const email = 'contract@example.com';
  let server: RunningServer;
  let laptop: AddonDb;
  let phone: AddonDb;

  before(async () => {
    // The real clock: the addon judges token expiry and signs refreshes with its own Date.now().
    const dataDir = freshDataDir();
    server = await startServer({ port: 0, dataDir, logLevel: 'silent', host: '127.0.0.1', ...(await backendConfig(dataDir)) });
    laptop = openAddonDb(`laptop-${randomUUID()}`, server);
    phone = openAddonDb(`phone-${randomUUID()}`, server);
  });
  after(async () => {
    laptop.close();
    phone.close();
    await server.close();
  });

  test('syncs anonymously from the first load, then logs in with an emailed code', async () => {
    await laptop.open();
    await laptop.cloud.sync({ wait: true, purpose: 'pull' });
    assert.ok(laptop.cloud.persistedSyncState.value?.serverRevision, 'the anonymous sync stored a revision');
    assert.equal(laptop.cloud.currentUserId, 'unauthorized');
    await loginAddon(laptop, server, email);
    assert.match(laptop.cloud.currentUserId, /\S/);
    assert.notEqual(laptop.cloud.currentUserId, 'unauthorized');
    assert.equal(laptop.cloud.currentUser.value.email, email);
  });

  test('pushes rows added to an @id table', async () => {
    await laptop.items.bulkAdd([{ title: 'first' }, { title: 'second' }]);
    await laptop.cloud.sync({ wait: true, purpose: 'push' });
    const userId = laptop.cloud.currentUserId;
    const snapshot = await server.context.storage.data.snapshot([userId]);
    const titles = snapshot.rows.filter((row) => row.table === 'items').map((row) => JSON.parse(row.value!).title);
    assert.deepEqual(titles.sort(), ['first', 'second']);
    assert.ok(snapshot.rows.every((row) => row.realmId === userId));
  });

  test('a second device of the same user pulls them after logging in', async () => {
    await phone.open();
    await loginAddon(phone, server, email);
    assert.equal(phone.cloud.currentUserId, laptop.cloud.currentUserId);
    await phone.cloud.sync({ wait: true, purpose: 'pull' });
    const titles = (await phone.items.toArray()).map((item) => item.title).sort();
    assert.deepEqual(titles, ['first', 'second']);
  });

  test("receives the other device's later changes live over the WebSocket", async () => {
    await eventually(async () => phone.cloud.webSocketStatus.value === 'connected');
    await eventually(async () => laptop.cloud.webSocketStatus.value === 'connected');
    const id = await laptop.items.add({ title: 'third' });
    // No sync is requested on the phone: the change has to arrive through /changes.
    const arrived = await eventually(() => phone.items.get(id));
    assert.equal(arrived.title, 'third');

    await laptop.items.update(id, { title: replacePrefix('th', 'TH') as never });
    await eventually(async () => (await phone.items.get(id))?.title === 'THird');
    await laptop.items.delete(id);
    await eventually(async () => (await phone.items.get(id)) === undefined || undefined);
    assert.equal(await phone.items.count(), 2);
  });

  test('@@propmod from the addon executes on the server', async () => {
    const [item] = await laptop.items.toArray();
    await laptop.items.update(item!.id!, { count: add(5) } as never);
    await laptop.cloud.sync({ wait: true, purpose: 'push' });
    await eventually(async () => (await phone.items.get(item!.id!))?.count === 5);
  });

  test('both devices end in sync and connected', async () => {
    for (const db of [laptop, phone]) {
      await eventually(async () => {
        const state = db.cloud.syncState.value;
        return state.phase === 'in-sync' && state.status === 'connected';
      });
    }
  });
});
