/**
 * The elements bound to a db that uses the official dexie-cloud-addon (the compatibility oracle)
 * instead of the dxc client, against the same dxc-server: the structural binding must hold.
 */
import { Dexie } from 'dexie';
import dexieCloud from 'dexie-cloud-addon';
import '../../src/elements/dxc-login.js';
import '../../src/elements/dxc-sync-indicator.js';
import type { DxcDbLike } from '../../src/elements/index.js';
import { control, databaseUrl, eventually, latestOtp, unique, uniqueEmail } from '../helpers/client-helpers.js';
import { $, cleanup, equal, mount, until } from './helpers.js';

describe('the elements with the official dexie-cloud-addon', () => {
  let db: Dexie | undefined;
  afterEach(async () => {
    cleanup();
    db?.close();
    if (db) await Dexie.delete(db.name).catch(() => {});
  });

  it('logs in through <dxc-login> and shows the sync state and the outbox count', async () => {
    db = new Dexie(unique('official'), { addons: [dexieCloud] });
    db.version(1).stores({ notes: '@id, text' });
    db.cloud.configure({ databaseUrl: await databaseUrl(), customLoginGui: true, requireAuth: false });
    // Bound before the database opens, as an app mounts them. The indicator's outbox count used to
    // be the query that opened it, and then the addon's own ready handler (a vip read of $logins)
    // hit InvalidStateError in about one run in five ("Dexie: Need to reopen db", login never
    // settled); the count now waits for the app to open the database (src/elements/sync-status.ts).
    const bound = db as unknown as DxcDbLike;
    const login = document.createElement('dxc-login');
    login.db = bound;
    const indicator = document.createElement('dxc-sync-indicator');
    indicator.db = bound;
    await mount(login);
    await mount(indicator);

    const email = uniqueEmail('official');
    const before = await latestOtp(email);
    const done = db.cloud.login();
    const emailInput = await until(() => $(login, 'form[aria-busy=false]') && $<HTMLInputElement>(login, 'input[name=email]'));
    emailInput.value = email;
    $<HTMLFormElement>(login, 'form')!.requestSubmit();
    const otpInput = await until(() => $(login, 'form[aria-busy=false]') && $<HTMLInputElement>(login, 'input[name=otp]'));
    equal([otpInput.autocomplete, otpInput.inputMode], ['one-time-code', 'numeric'], 'otp input');
    otpInput.value = (await eventually(async () => {
      const code = await latestOtp(email);
      return code !== before ? code : undefined;
    }))!;
    $<HTMLFormElement>(login, 'form')!.requestSubmit();
    await done;
    equal(db.cloud.currentUser.value.email, email, 'logged in with the official addon');
    await until(() => indicator.state === 'in-sync');

    // The addon has no unsynced-count observable: the indicator counts its $notes_mutations table.
    await control('server/stop');
    try {
      const notes = db.table('notes');
      await notes.add({ text: 'written while the server is down' });
      await until(() => $(indicator, '[part=count]')?.textContent === '1 unsynced change');
      // The addon reports an unreachable server as phase `error` (its fetch error is rewrapped).
      await until(() => indicator.state === 'offline' || indicator.state === 'error');
    } finally {
      await control('server/start');
    }
    void db.cloud.sync().catch(() => {});
    await until(() => indicator.state === 'in-sync' && !$(indicator, '[part=count]'));
  });
});
