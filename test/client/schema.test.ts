import { Dexie } from 'dexie';
import dxc, { isDxcError } from '../../src/client/index.js';
import { generateTablePrefix } from '../../src/client/schema.js';
import { assert } from '../helpers/assert.js';
import { cleanup, databaseUrl, newDb, unique } from '../helpers/client-helpers.js';

describe('store specs', () => {
  afterEach(cleanup);

  it('adds the built-in tables and an outbox per synced table', async () => {
    const db = await newDb(unique('schema'));
    await db.open();
    const names = db.tables.map((t) => t.name).sort();
    for (const name of ['members', 'roles', 'realms', '$syncState', '$logins', '$baseRevs', '$jobs', '$friends_mutations', '$notes_mutations', '$members_mutations']) {
      assert.ok(names.includes(name), `missing ${name} in ${names.join(',')}`);
    }
    assert.ok(!names.includes('$$syncState_mutations'));
    assert.equal(db.table('friends').schema.primKey.keyPath, 'id');
  });

  it('derives the cloud schema the way the official addon does', async () => {
    const db = await newDb(unique('schema'), { unsyncedTables: ['drafts'] });
    assert.deepEqual(db.cloud.schema?.friends, { generatedGlobalId: true, idPrefix: 'frn', markedForSync: true });
    assert.deepEqual(db.cloud.schema?.notes, { markedForSync: true });
    assert.deepEqual(db.cloud.schema?.realms, { generatedGlobalId: true, idPrefix: 'rlm', markedForSync: true });
    assert.deepEqual(db.cloud.schema?.members, { generatedGlobalId: true, idPrefix: 'mmb', markedForSync: true });
    assert.equal(db.cloud.schema?.drafts?.markedForSync, false);
  });

  it('gives each table a distinct three-letter prefix', () => {
    assert.equal(generateTablePrefix('items', new Set()), 'itm');
    assert.equal(generateTablePrefix('todoLists', new Set()), 'tdL'.toLowerCase());
    const taken = new Set(['itm']);
    const second = generateTablePrefix('itemsOld', taken);
    assert.equal(second.toLowerCase(), 'itm');
    assert.notEqual(second, 'itm');
  });

  it('refuses to delete or re-key a built-in table', () => {
    const db = new Dexie(unique('schema'), { addons: [dxc] });
    assert.ok(assert.throws(() => db.version(1).stores({ realms: 'id' })).message.includes('primary key'));
  });
});

describe('configure()', () => {
  afterEach(cleanup);

  it('suffixes the database name with the database URL name by default', async () => {
    const name = unique('named');
    const db = await newDb(name);
    assert.equal(db.name, `${name}-localhost`);
    const plain = await newDb(unique('plain'), { nameSuffix: false });
    assert.ok(!plain.name.endsWith('-localhost'));
  });

  it('rejects a database URL that is not http(s)', async () => {
    const db = new Dexie(unique('bad'), { addons: [dxc] });
    db.version(1).stores({ friends: '@id' });
    const error = assert.throws(() => db.cloud.configure({ databaseUrl: 'not a url' }));
    assert.ok(isDxcError(error, 'config-invalid'), String(error));
    assert.ok(isDxcError(assert.throws(() => db.cloud.configure({ databaseUrl: 'ftp://example.com' })), 'config-invalid'));
  });

  it('refuses to configure a database that is already open', async () => {
    const db = await newDb(unique('late'));
    await db.open();
    const error = assert.throws(() => db.cloud.configure({ databaseUrl: 'http://localhost:1' }));
    assert.ok(isDxcError(error, 'config-invalid'));
    assert.equal(error.name, 'DxcError');
  });

  it('needs WebCrypto, and says so', async () => {
    const db = new Dexie(unique('insecure'), { addons: [dxc] });
    db.version(1).stores({ friends: '@id' });
    const url = await databaseUrl();
    const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto') ?? Object.getOwnPropertyDescriptor(Object.getPrototypeOf(globalThis), 'crypto');
    Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues: crypto.getRandomValues.bind(crypto) }, configurable: true });
    try {
      const error = assert.throws(() => db.cloud.configure({ databaseUrl: url }));
      assert.ok(isDxcError(error, 'insecure-context'), String(error));
    } finally {
      if (original) Object.defineProperty(globalThis, 'crypto', original);
      else delete (globalThis as { crypto?: unknown }).crypto;
    }
    assert.ok(crypto.subtle);
  });
});

describe('keys and implicit props', () => {
  afterEach(cleanup);

  it('mints sortable @ keys with the table prefix and the owner shard in local mode', async () => {
    const db = new Dexie(unique('local'), { addons: [dxc] }) as Dexie & { friends: Dexie.Table };
    db.version(1).stores({ friends: '@id, name' });
    const first = await db.friends.add({ name: 'A' });
    const second = await db.friends.add({ name: 'B' });
    assert.match(first, /^frn[-0-9A-Z_a-z|]{24}zed$/);
    assert.ok(first < second, 'keys sort in creation order');
    const row = await db.friends.get(first);
    assert.deepEqual(row, { id: first, name: 'A', owner: 'unauthorized', realmId: 'unauthorized' });
    db.close();
    await Dexie.delete(db.name);
  });

  it('refuses an app-chosen @ key without the table prefix', async () => {
    const db = new Dexie(unique('local'), { addons: [dxc] }) as Dexie & { friends: Dexie.Table };
    db.version(1).stores({ friends: '@id' });
    const error = await assert.rejects(db.friends.add({ id: 'abc', name: 'x' }));
    assert.ok(isDxcError(error, 'invalid-key'), String(error));
    await db.friends.add({ id: 'frnMyOwnKey', name: 'x' });
    db.close();
    await Dexie.delete(db.name);
  });

  it('cannot create @ rows before the first sync with a configured server', async () => {
    const db = new Dexie(unique('unsynced'), { addons: [dxc] }) as Dexie & { friends: Dexie.Table };
    db.version(1).stores({ friends: '@id' });
    db.cloud.configure({ databaseUrl: 'http://127.0.0.1:9', customLoginGui: true, disableWebSocket: true });
    await db.open();
    const error = await assert.rejects(db.friends.add({ name: 'x' }));
    assert.ok(isDxcError(error, 'not-synced'), String(error));
    db.close();
    await Dexie.delete(db.name);
  });
});
