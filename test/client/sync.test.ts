import { add } from 'dexie';
import { assert } from '../helpers/assert.js';
import {
  cleanup,
  control,
  eventually,
  type Friend,
  newDb,
  newUserDb,
  recordRequests,
  settled,
  unique,
  uniqueEmail,
  waitFor,
  type TestDb,
} from '../helpers/client-helpers.js';

const byName = (a: Friend, b: Friend) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const strip = ({ name, age, tags }: Friend) => ({ name, age, ...(tags ? { tags } : {}) });
const friendsOf = async (db: TestDb) => (await db.friends.toArray()).sort(byName).map(strip);

async function twoDevices(options = {}): Promise<[TestDb, TestDb, string]> {
  const email = uniqueEmail('sync');
  const a = await newUserDb(unique('deviceA'), email, options);
  const b = await newUserDb(unique('deviceB'), email, options);
  await a.cloud.login();
  await b.cloud.login();
  await settled(a);
  await settled(b);
  return [a, b, email];
}

describe('sync', () => {
  afterEach(cleanup);

  it('syncs anonymously on first open, after which @ tables can mint ids', async () => {
    const db = await newDb(unique('anon'));
    await db.open();
    const state = await waitFor(db.cloud.persistedSyncState, (s) => !!s?.initiallySynced);
    assert.ok(state?.serverRevision);
    const id = await db.friends.add({ name: 'Local', age: 1 });
    assert.match(id, /^frn/);
    assert.equal(db.cloud.currentUserId, 'unauthorized');
  });

  it('converges two devices of one user on add, put, update, modify and delete, live', async () => {
    const [a, b] = await twoDevices();
    await waitFor(b.cloud.webSocketStatus, (status) => status === 'connected');
    const ann = await a.friends.add({ name: 'Ann', age: 30 });
    await eventually(async () => (await b.friends.get(ann))?.name === 'Ann', [b]);

    await a.friends.put({ id: ann, name: 'Ann', age: 31, tags: ['x'] });
    await a.friends.bulkAdd([{ name: 'Bob', age: 40 }, { name: 'Cid', age: 50 }]);
    await eventually(async () => (await b.friends.count()) === 3 && (await b.friends.get(ann))?.age === 31, [b]);

    await a.friends.update(ann, { age: add(5), tags: add(['a']) });
    await a.friends.where('age').aboveOrEqual(40).modify({ name: 'Older' } as Partial<Friend>);
    await eventually(async () => JSON.stringify(await friendsOf(b)) === JSON.stringify(await friendsOf(a)), [b]);
    assert.deepEqual((await b.friends.get(ann))?.tags, ['a', 'x']);
    assert.equal((await b.friends.get(ann))?.age, 36);

    const cid = (await a.friends.where('age').equals(50).primaryKeys())[0]!;
    await a.friends.delete(cid);
    await eventually(async () => (await b.friends.count()) === 2, [b]);

    // And back the other way.
    await b.friends.update(ann, { name: 'Annie' });
    await eventually(async () => (await a.friends.get(ann))?.name === 'Annie', [a]);
    assert.deepEqual(await friendsOf(a), await friendsOf(b));
    assert.equal(await a.table('$friends_mutations').count(), 0);
  });

  it('keeps writes made while the server is down and delivers each exactly once when it returns', async () => {
    const [a, b] = await twoDevices();
    await control('server/stop');
    try {
      await a.friends.bulkAdd([{ name: 'Off1', age: 1 }, { name: 'Off2', age: 2 }]);
      await a.transaction('rw', a.friends, async () => {
        const id = await a.friends.add({ name: 'Off3', age: 3 });
        await a.friends.update(id, { age: 33 });
      });
      await waitFor(a.cloud.syncState, (s) => s.phase === 'offline' || s.phase === 'error');
      assert.equal(await a.table('$friends_mutations').count(), 3);
    } finally {
      await control('server/start');
    }
    await eventually(async () => (await b.friends.count()) === 3, [b]);
    await settled(a);
    await b.cloud.sync({ purpose: 'pull' });
    assert.deepEqual(await friendsOf(b), [
      { name: 'Off1', age: 1 },
      { name: 'Off2', age: 2 },
      { name: 'Off3', age: 33 },
    ]);
    assert.equal(await a.table('$friends_mutations').count(), 0);
  });

  it('carries private # ids and compound keys', async () => {
    const [a, b] = await twoDevices();
    await a.notes.put({ id: '#prefs', theme: 'dark' });
    await a.table('pairs').put({ x: 'left', y: 2, label: 'pair' });
    await eventually(async () => (await b.notes.get('#prefs'))?.theme === 'dark' && (await b.table('pairs').get(['left', 2])), [b]);
    await b.notes.update('#prefs', { theme: 'light' });
    await eventually(async () => (await a.notes.get('#prefs'))?.theme === 'light', [a]);
    assert.equal((await b.table('pairs').get(['left', 2]))?.label, 'pair');
  });

  it('propagates where-clause deletes and clear()', async () => {
    const [a, b] = await twoDevices();
    await a.friends.bulkAdd([{ name: 'K1', age: 1 }, { name: 'K2', age: 2 }, { name: 'K3', age: 3 }]);
    await eventually(async () => (await b.friends.count()) === 3, [b]);
    await a.friends.where('age').below(2).delete();
    await eventually(async () => (await b.friends.count()) === 2, [b]);
    await a.friends.clear();
    await eventually(async () => (await b.friends.count()) === 0, [b]);
  });

  it('does not let a server change overwrite a local edit that is not pushed yet', async () => {
    const [a, b] = await twoDevices({ disableEagerSync: true, disableWebSocket: true });
    const id = await a.friends.add({ name: 'Base', age: 1 });
    await a.cloud.sync();
    await b.cloud.sync({ purpose: 'pull' });
    await b.friends.update(id, { age: 2 });
    await b.cloud.sync();
    await a.friends.update(id, { name: 'Local' }); // pending on A
    await a.cloud.sync({ purpose: 'pull', wait: true });
    const merged = await a.friends.get(id);
    assert.equal(merged?.name, 'Local');
    assert.equal(merged?.age, 2);
    await b.cloud.sync({ purpose: 'pull' });
    assert.equal((await b.friends.get(id))?.name, 'Local');
  });

  it('retries a failed pull as a pull, so a device without a WebSocket catches up once the server is back', async () => {
    const [a, b] = await twoDevices({ disableWebSocket: true });
    await control('server/stop');
    try {
      const failed = await b.cloud.sync({ purpose: 'pull' }).then(() => false, () => true);
      assert.ok(failed, 'the pull fails while the server is down');
    } finally {
      await control('server/start');
    }
    const id = await a.friends.add({ name: 'Later', age: 8 });
    await settled(a);
    // Nothing asks B to sync again: only its scheduled retry can bring this row.
    await eventually(async () => (await b.friends.get(id))?.name === 'Later', [b]);
  });

  it('streams a large first sync in pages with rising progress, and the new device ends with every row', async () => {
    const email = uniqueEmail('pages');
    const a = await newUserDb(unique('pagesA'), email, { disableWebSocket: true });
    await a.cloud.login();
    await a.friends.bulkAdd(Array.from({ length: 25_000 }, (_, i) => ({ name: `Row ${i}`, age: i })));
    await settled(a);

    const b = await newUserDb(unique('pagesB'), email, { disableWebSocket: true });
    await b.open();
    const progress: number[] = [];
    const watching = b.cloud.syncState.subscribe((state) => {
      if (state.progress !== undefined && progress.at(-1) !== state.progress) progress.push(state.progress);
    });
    const recorded = recordRequests();
    try {
      await b.cloud.login();
      await b.cloud.sync({ purpose: 'pull' });
    } finally {
      recorded.stop();
      watching.unsubscribe();
    }
    assert.equal(await b.friends.count(), 25_000);
    // 25,000 rows in pages of PULL_PAGE_ROWS (10,000): progress after the first two, none once done.
    assert.deepEqual(progress, [40, 80]);
    assert.equal(b.cloud.syncState.value.progress, undefined);
    assert.ok(recorded.requests.filter((r) => r.path.endsWith('/sync')).length >= 3);
    assert.ok(b.cloud.persistedSyncState.value?.initiallySynced);
  });

  it('keeps every page of a pull that starts over from an unusable cursor', async () => {
    const email = uniqueEmail('restart');
    const a = await newUserDb(unique('restartA'), email, { disableWebSocket: true });
    const b = await newUserDb(unique('restartB'), email, { disableWebSocket: true });
    await a.cloud.login();
    await b.cloud.login();
    await settled(b);
    await a.friends.bulkAdd(Array.from({ length: 25_000 }, (_, i) => ({ name: `Row ${i}`, age: i })));
    await settled(a);
    // A revision from the future (a replaced server database): the server sends everything again, in pages.
    await b.table('$syncState').update('syncState', { serverRevision: '999999999999' });
    await b.cloud.sync({ purpose: 'pull' });
    assert.equal(await b.friends.count(), 25_000);
  });

  it('pulls instead of listening when the WebSocket is disabled', async () => {
    const [a, b] = await twoDevices({ disableWebSocket: true });
    assert.equal(b.cloud.webSocketStatus.value, 'not-started');
    const id = await a.friends.add({ name: 'Polled', age: 7 });
    await settled(a);
    await b.cloud.sync({ purpose: 'pull' });
    assert.equal((await b.friends.get(id))?.name, 'Polled');
  });

  it('keeps unsynced tables on the device', async () => {
    const email = uniqueEmail('local');
    const a = await newUserDb(unique('localA'), email, { unsyncedTables: ['notes'] });
    const b = await newUserDb(unique('localB'), email, { unsyncedTables: ['notes'] });
    await a.cloud.login();
    await b.cloud.login();
    await a.notes.put({ id: 'n1', text: 'private' });
    const id = await a.friends.add({ name: 'Shared', age: 1 });
    await settled(a);
    await b.cloud.sync({ purpose: 'pull' });
    assert.ok(await b.friends.get(id));
    assert.equal(await b.notes.count(), 0);
    assert.equal(await a.table('$notes_mutations').count(), 0);
  });

  it('moves anonymous rows into the user realm at login', async () => {
    const email = uniqueEmail('anon');
    const a = await newUserDb(unique('anonA'), email, { requireAuth: false });
    await a.open();
    await waitFor(a.cloud.persistedSyncState, (s) => !!s?.initiallySynced);
    const id = await a.friends.add({ name: 'Basket', age: 1 });
    assert.equal((await a.friends.get(id))?.realmId, 'unauthorized');
    await a.cloud.login();
    await settled(a);
    const row = await a.friends.get(id);
    assert.equal(row?.realmId, a.cloud.currentUserId);
    assert.equal(row?.owner, a.cloud.currentUserId);
    const b = await newUserDb(unique('anonB'), email);
    await b.cloud.login();
    await settled(b);
    assert.equal((await b.friends.get(id))?.name, 'Basket');
  });

  it('shares sync state and completion between tabs of one database', async () => {
    const name = unique('tabs');
    const email = uniqueEmail('tabs');
    const tab1 = await newUserDb(name, email);
    // Tab 2 never syncs by itself (no socket, no eager push): what it shows comes from tab 1.
    const tab2 = await newUserDb(name, email, { disableWebSocket: true, disableEagerSync: true });
    await tab1.cloud.login();
    await tab2.open();
    await waitFor(tab2.cloud.currentUser, (u) => !!u.isLoggedIn);
    await settled(tab1);
    await settled(tab2);
    const phases: string[] = [];
    let completes = 0;
    const watching = tab2.cloud.syncState.subscribe((state) => phases.push(state.phase));
    tab2.cloud.events.syncComplete.subscribe(() => completes++);
    try {
      await tab1.friends.add({ name: 'FromTab1', age: 1 });
      await settled(tab1);
      await eventually(() => completes > 0);
      assert.ok(phases.includes('pushing'), `tab 2 saw tab 1 push: ${phases.join(', ')}`);
      assert.equal(tab2.cloud.syncState.value.phase, 'in-sync');
    } finally {
      watching.unsubscribe();
    }
  });
});
