/**
 * <dxc-sync-indicator> following the real dxc client against the real dxc-server: in sync, then
 * the server stops (offline or error, the unsynced count rises), then it comes back (in sync, the
 * count back to zero).
 */
import { Dexie } from 'dexie';
import dxc from '../../src/client/index.js';
import '../../src/elements/dxc-sync-indicator.js';
import type { DxcSyncIndicator } from '../../src/elements/dxc-sync-indicator.js';
import type { DxcSyncStateChangeEvent } from '../../src/elements/events.js';
import {
  cleanup as deleteDbs,
  control,
  databaseUrl,
  FRIENDS_SCHEMA,
  loginWithOtp,
  newDb,
  settled,
  unique,
  uniqueEmail,
  type TestDb,
} from '../helpers/client-helpers.js';
import { $, assert, cleanup, equal, expectAccessible, mount, record, until } from './helpers.js';

const count = (el: DxcSyncIndicator) => Number($(el, '[part=count]')?.textContent?.match(/\d+/)?.[0] ?? 0);

describe('<dxc-sync-indicator> with the real client', () => {
  afterEach(async () => {
    cleanup();
    await deleteDbs();
  });

  it('follows the client through a server outage: in sync, offline with pending changes, in sync again', async () => {
    const db = await newDb(unique('el-indicator'));
    await loginWithOtp(db, uniqueEmail('indicator'));
    await settled(db);
    const el = document.createElement('dxc-sync-indicator');
    el.db = db;
    await mount(el);
    const changes = record<DxcSyncStateChangeEvent>('dxc-sync-state-change');
    try {
      await until(() => el.state === 'in-sync');
      assert($(el, 'time'), 'the last sync time is shown');
      await expectAccessible(el);

      await control('server/stop');
      await db.friends.add({ name: 'A', age: 1 });
      await until(() => el.state === 'offline' || el.state === 'error');
      await until(() => count(el) === 1);
      await db.friends.add({ name: 'B', age: 2 });
      // The write starts another push attempt ("Uploading changes…"); wait until it has failed too.
      await until(() => count(el) === 2 && (el.state === 'offline' || el.state === 'error'));
      equal($(el, '[part=count]')!.textContent, '2 unsynced changes', 'count text');
      const label = $(el, '[part=label]')!.textContent;
      assert(label === 'Offline' || label === 'Sync error', `label: ${label}`);
      if (el.state === 'error') assert($(el, '[part=details]')!.textContent!.trim(), 'the error text is in the details');
      await expectAccessible(el);

      await control('server/start');
      // Nudge the client as the browser's `online` event would; it also retries by itself.
      void db.cloud.sync().catch(() => {});
      await until(() => el.state === 'in-sync' && count(el) === 0);
      await expectAccessible(el);
      const states = changes.events.map((e) => e.detail.state);
      assert(states.includes('in-sync') && states.some((s) => s === 'offline' || s === 'error'), `events: ${states}`);
    } finally {
      changes.stop();
      await control('server/start');
    }
  });

  it('leaves opening the database to the app, and counts the outbox once the app has opened it', async () => {
    // Bound before the app even configured its database: had the element opened it, configure() would throw.
    const db = new Dexie(unique('el-unopened'), { addons: [dxc] }) as TestDb;
    db.version(1).stores(FRIENDS_SCHEMA);
    const el = document.createElement('dxc-sync-indicator');
    el.db = db;
    await mount(el);
    try {
      // Time for a query to have opened it, were there one (a negative check: nothing to wait for).
      await new Promise((resolve) => setTimeout(resolve, 200));
      equal(db.isOpen(), false, 'the element did not open the database');
      db.cloud.configure({ databaseUrl: await databaseUrl(), customLoginGui: true });
      await loginWithOtp(db, uniqueEmail('unopened'));
      await settled(db);
      await control('server/stop');
      await db.friends.add({ name: 'A', age: 1 });
      await until(() => count(el) === 1);
    } finally {
      await control('server/start');
      db.close();
      await Dexie.delete(db.name).catch(() => {});
    }
  });
});
