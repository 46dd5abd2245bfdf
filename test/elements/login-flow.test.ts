/**
 * <dxc-login> and <dxc-user-menu> with the real dxc client against the real dxc-server the WTR
 * plugin runs: the email + one-time-code login, by mouse and by keyboard alone, a wrong code, and
 * the logout confirmation.
 */
import { sendKeys } from '@web/test-runner-commands';
import '../../src/elements/dxc-login.js';
import '../../src/elements/dxc-user-menu.js';
import type { DxcLogin } from '../../src/elements/dxc-login.js';
import type { DxcLoginEvent, DxcLogoutEvent } from '../../src/elements/events.js';
import {
  cleanup as deleteDbs,
  control,
  eventually,
  latestOtp,
  loginWithOtp,
  newDb,
  unique,
  uniqueEmail,
  waitFor,
} from '../helpers/client-helpers.js';
import type { TestDb } from '../helpers/client-helpers.js';
import { $, $$, assert, cleanup, equal, expectAccessible, mount, record, until } from './helpers.js';

async function loginElement(db: TestDb): Promise<DxcLogin> {
  const el = document.createElement('dxc-login');
  el.db = db;
  return mount(el);
}

/** Resolves with the element's input named `name` once the dialog shows it and is not busy. */
const input = (el: DxcLogin, name: string) =>
  until(() => $(el, 'form[aria-busy=false]') && $<HTMLInputElement>(el, `input[name=${name}]`));

/** The newest code the dev mailbox holds for `email` that differs from `before`. */
const newCode = (email: string, before: string | undefined) =>
  eventually(async () => {
    const code = await latestOtp(email);
    return code !== before ? code : undefined;
  });

describe('login through the elements, against dxc-server', () => {
  afterEach(async () => {
    cleanup();
    await deleteDbs();
  });

  it('logs in with the email and the one-time code typed into <dxc-login>', async () => {
    const db = await newDb(unique('el-login'));
    const el = await loginElement(db);
    const logins = record<DxcLoginEvent>('dxc-login');
    try {
      const email = uniqueEmail('el');
      const before = await latestOtp(email);
      const done = db.cloud.login();
      const emailInput = await input(el, 'email');
      await expectAccessible(el);
      emailInput.value = email;
      $<HTMLButtonElement>(el, '[part~=submit]')!.click();
      const otpInput = await input(el, 'otp');
      equal(otpInput.autocomplete, 'one-time-code', 'otp autocomplete');
      equal($$(el, '[role=alert]').map((a) => a.textContent?.includes(email)), [true], 'the code-sent alert names the address');
      await expectAccessible(el);
      otpInput.value = (await newCode(email, before))!;
      $<HTMLButtonElement>(el, '[part~=submit]')!.click();
      await done;
      equal(db.cloud.currentUser.value.email, email, 'logged in');
      await until(() => !$<HTMLDialogElement>(el, 'dialog')!.open);
      await until(() => logins.events.length);
      equal(logins.events[0]!.detail.user.email, email, 'dxc-login names the user');
    } finally {
      logins.stop();
    }
  });

  it('logs in with the keyboard alone, starting from the user menu', async () => {
    const db = await newDb(unique('el-keys'));
    await db.open(); // the app's first query would open it; until then the user is loading
    const el = await loginElement(db);
    const menu = document.createElement('dxc-user-menu');
    menu.db = db;
    await mount(menu);
    const email = uniqueEmail('keys');
    const before = await latestOtp(email);
    const loginButton = await until(() => $<HTMLButtonElement>(menu, '[part~=login-button]'));
    loginButton.focus();
    await sendKeys({ press: 'Enter' });

    // Focus lands in the dialog's email field by itself.
    await until(() => el.shadowRoot!.activeElement?.getAttribute('name') === 'email');
    await sendKeys({ type: email });
    await sendKeys({ press: 'Enter' });
    await until(() => el.shadowRoot!.activeElement?.getAttribute('name') === 'otp');
    await sendKeys({ type: (await newCode(email, before))! });
    await sendKeys({ press: 'Enter' });
    await waitFor(db.cloud.currentUser, (user) => user.email === email && !!user.isLoggedIn);
    await until(() => $(menu, '[part=name]'));
    assert(!$<HTMLDialogElement>(el, 'dialog')!.open, 'dialog closed after the login');
  });

  it('shows an invalid code as an alert and accepts the right code after it', async () => {
    const db = await newDb(unique('el-wrong'));
    const el = await loginElement(db);
    const email = uniqueEmail('wrong');
    const before = await latestOtp(email);
    const done = db.cloud.login();
    (await input(el, 'email')).value = email;
    $<HTMLFormElement>(el, 'form')!.requestSubmit();
    const code = (await newCode(email, before))!;
    // A wrong code of the right shape: the last digit changed.
    const wrong = code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10);
    (await input(el, 'otp')).value = wrong;
    $<HTMLFormElement>(el, 'form')!.requestSubmit();
    const alert = await until(() => $$(el, '[part~=alert-error]')[0]);
    equal(alert.getAttribute('role'), 'alert', 'announced');
    await expectAccessible(el);
    (await input(el, 'otp')).value = code;
    $<HTMLFormElement>(el, 'form')!.requestSubmit();
    await done;
    equal(db.cloud.currentUser.value.email, email, 'logged in with the right code');
  });

  it('logs out from the user menu through the logout confirmation when changes are unsynced', async () => {
    const db = await newDb(unique('el-logout'));
    const email = uniqueEmail('logout');
    await loginWithOtp(db, email);
    const el = await loginElement(db);
    const menu = document.createElement('dxc-user-menu');
    menu.db = db;
    await mount(menu);
    const logouts = record<DxcLogoutEvent>('dxc-logout');
    await control('server/stop');
    try {
      await db.friends.add({ name: 'Unsynced', age: 1 });
      $<HTMLButtonElement>(menu, '[part=trigger]')!.click();
      await menu.updateComplete;
      $<HTMLButtonElement>(menu, '[part=logout-button]')!.click();
      const warning = await until(() => $(el, '[part~=alert-warning]'));
      assert(warning.textContent!.includes('1'), `the confirmation counts the change: ${warning.textContent}`);
      await expectAccessible(el);
      $<HTMLButtonElement>(el, '[part~=submit]')!.click();
      await waitFor(db.cloud.currentUser, (user) => !user.isLoggedIn);
      await until(() => logouts.events.length);
      equal(logouts.events[0]!.detail.user.email, email, 'dxc-logout names the user who left');
      await until(() => $(menu, '[part~=login-button]'));
    } finally {
      logouts.stop();
      await control('server/start');
    }
  });
});
