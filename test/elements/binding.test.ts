/**
 * How the elements find their database (`.db`, then a context provider, then the client's default
 * db) and the default <dxc-login> that the `dxc/elements` entry mounts, with real dxc databases.
 */
import { ContextProvider } from '@lit/context';
import { dxcDbContext, syncDefaultLogin } from '../../src/elements/index.js';
import type { DxcLogin } from '../../src/elements/index.js';
import { cleanup as deleteDbs, eventually, latestOtp, newDb, unique, uniqueEmail } from '../helpers/client-helpers.js';
import { $, assert, cleanup, equal, mount, until } from './helpers.js';

const autoLogin = () => document.querySelector<DxcLogin>('dxc-login[data-dxc-auto]');

describe('binding the elements to a database', () => {
  afterEach(async () => {
    cleanup();
    await deleteDbs();
  });

  it('uses .db first, then a context provider, then the default db, and follows changes of each', async () => {
    const first = await newDb(unique('bind-default'));
    const el = document.createElement('dxc-sync-indicator');
    const shell = document.createElement('div');
    shell.append(el);
    await mount(el, document.body.appendChild(shell));
    equal(el.boundDb, first, 'the default db with nothing else');
    const second = await newDb(unique('bind-default-2'));
    await el.updateComplete;
    equal(el.boundDb, second, 'the newly configured default db');

    const provided = await newDb(unique('bind-context'));
    const provider = new ContextProvider(shell, { context: dxcDbContext, initialValue: provided });
    // A provider added above an already connected consumer: reconnecting asks for the context again.
    el.remove();
    shell.append(el);
    await el.updateComplete;
    equal(el.boundDb, provided, 'the provider wins over the default');
    const providedLater = await newDb(unique('bind-context-2'));
    provider.setValue(providedLater);
    await el.updateComplete;
    equal(el.boundDb, providedLater, 'a new provided value is followed');

    const own = await newDb(unique('bind-own'));
    el.db = own;
    await el.updateComplete;
    equal(el.boundDb, own, '.db wins over everything');
    // The subscriptions follow the bound db: its state shows.
    own.cloud.syncState.next({ phase: 'offline', status: 'offline' });
    await el.updateComplete;
    equal(el.state, 'offline', 'renders the bound db');
  });

  it('mounts one <dxc-login> for the default db unless it sets customLoginGui, and logs in through it', async () => {
    const custom = await newDb(unique('auto-custom'), { customLoginGui: true });
    syncDefaultLogin();
    equal(autoLogin(), null, 'no automatic dialog with customLoginGui: true');

    const db = await newDb(unique('auto-default'), { customLoginGui: false });
    const el = await until(autoLogin);
    equal(el.parentElement, document.body, 'at the end of the body');
    equal(el.boundDb, db, 'bound to the default db');

    const email = uniqueEmail('auto');
    const before = await latestOtp(email);
    const done = db.cloud.login();
    const emailInput = await until(() => $<HTMLInputElement>(el, 'input[name=email]'));
    emailInput.value = email;
    $<HTMLFormElement>(el, 'form')!.requestSubmit();
    const otpInput = await until(() => $(el, 'form[aria-busy=false]') && $<HTMLInputElement>(el, 'input[name=otp]'));
    otpInput.value = (await eventually(async () => {
      const code = await latestOtp(email);
      return code !== before ? code : undefined;
    }))!;
    $<HTMLFormElement>(el, 'form')!.requestSubmit();
    await done;
    equal(db.cloud.currentUser.value.email, email, 'logged in through the automatic dialog');

    // Configuring a db with customLoginGui: true takes the automatic dialog away again.
    custom.cloud.configure({ databaseUrl: custom.cloud.options!.databaseUrl, customLoginGui: true });
    await until(() => !autoLogin());
    assert(!document.querySelector('dxc-login'), 'removed');
  });
});
