import { Dexie } from 'dexie';
import dxc, { dexieCloud, getDefaultDb, onDefaultDbChange, resolveText, type DxcOptions } from 'dxc/client';
import { assert } from '../helpers/assert.js';
import { cleanup, databaseUrl, eventually, newDb, newUserDb, settled, unique, uniqueEmail, waitFor } from '../helpers/client-helpers.js';

describe('the dxc/client package entry', () => {
  afterEach(cleanup);

  it('has a default and a named export that install db.cloud', async () => {
    assert.equal(dxc, dexieCloud);
    const db = new Dexie(unique('entry'), { addons: [dxc] });
    db.version(1).stores({ friends: '@id, name, age' });
    const cloud = db.cloud;
    assert.equal(typeof cloud.version, 'string');
    assert.equal(cloud.options, null);
    assert.deepEqual(cloud.syncState.value, { phase: 'initial', status: 'not-started' });
    assert.equal(cloud.webSocketStatus.value, 'not-started');
    assert.equal(cloud.userInteraction.value, undefined);
    assert.equal(cloud.persistedSyncState.value, undefined);
    assert.equal(cloud.currentUserId, 'unauthorized');
    assert.equal(cloud.currentUser.value.isLoading, true);
    assert.equal(cloud.usingServiceWorker, false);
    assert.equal(typeof cloud.events.syncComplete.subscribe, 'function');
    assert.ok(cloud.schema?.friends?.generatedGlobalId);
  });

  it('makes the most recently configured database the default one', async () => {
    const seen: (Dexie | undefined)[] = [];
    const off = onDefaultDbChange((db) => seen.push(db));
    const first = await newDb(unique('default1'));
    const second = await newDb(unique('default2'));
    off();
    await newDb(unique('default3'));
    assert.deepEqual(
      seen.map((db) => db?.name),
      [first.name, second.name],
    );
    assert.notEqual(getDefaultDb(), second);
  });

  it('persists its options without functions, for a service worker to reopen the database', async () => {
    const options: Partial<DxcOptions> = { tryUseServiceWorker: true, periodicSync: { minInterval: 3600_000 } };
    const db = await newUserDb(unique('persist'), uniqueEmail('persist'), options);
    await db.open();
    const stored = await db.table('$syncState').get('options');
    assert.equal(stored.databaseUrl, await databaseUrl());
    assert.equal(stored.tryUseServiceWorker, true);
    assert.deepEqual(stored.periodicSync, { minInterval: 3600_000 });
    assert.equal('fetchTokens' in stored, false);
    assert.equal(db.cloud.options?.nameSuffix, true);
  });

  it('logs in while opening with requireAuth', async () => {
    const email = uniqueEmail('required');
    const db = await newUserDb(unique('required'), email, { requireAuth: true });
    await db.open();
    assert.equal(db.cloud.currentUser.value.email, email);
    assert.ok(db.cloud.persistedSyncState.value?.realms.includes(db.cloud.currentUserId));
  });

  it('fills in alert placeholders', () => {
    assert.equal(resolveText({ message: 'Sent to {email} ({x})', messageParams: { email: 'a@b.c' } }), 'Sent to a@b.c ({x})');
  });
});

describe('sync triggers', () => {
  afterEach(cleanup);

  async function pair(): Promise<[Awaited<ReturnType<typeof newUserDb>>, Awaited<ReturnType<typeof newUserDb>>]> {
    const email = uniqueEmail('trigger');
    const a = await newUserDb(unique('trigA'), email);
    const b = await newUserDb(unique('trigB'), email, { disableWebSocket: true });
    await a.cloud.login();
    await b.cloud.login();
    await settled(a);
    await settled(b);
    return [a, b];
  }

  it('pulls when the browser comes back online', async () => {
    const [a, b] = await pair();
    const id = await a.friends.add({ name: 'Online', age: 1 });
    await settled(a);
    window.dispatchEvent(new Event('online'));
    await eventually(async () => (await b.friends.get(id))?.name === 'Online', [b]);
  });

  it('pulls when the page becomes visible', async () => {
    const [a, b] = await pair();
    assert.equal(document.visibilityState, 'visible');
    const id = await a.friends.add({ name: 'Visible', age: 1 });
    await settled(a);
    document.dispatchEvent(new Event('visibilitychange'));
    await eventually(async () => (await b.friends.get(id))?.name === 'Visible', [b]);
  });

  it('reports offline when the browser goes offline', async () => {
    const [, b] = await pair();
    window.dispatchEvent(new Event('offline'));
    const state = await waitFor(b.cloud.syncState, (s) => s.phase === 'offline');
    assert.equal(state.status, 'offline');
  });
});
