import { sendKeys } from '@web/test-runner-commands';
import '../../src/elements/dxc-user-menu.js';
import type { DxcUserMenu } from '../../src/elements/dxc-user-menu.js';
import type { DxcErrorEvent } from '../../src/elements/events.js';
import { $, assert, cleanup, equal, expectAccessible, mount, record, until } from './helpers.js';
import { ALICE, ANONYMOUS, subjectsDb } from './subjects.js';
import type { SubjectsDb } from './subjects.js';

async function menu(db: SubjectsDb): Promise<DxcUserMenu> {
  const el = document.createElement('dxc-user-menu');
  el.db = db;
  return mount(el);
}

describe('<dxc-user-menu>', () => {
  afterEach(cleanup);

  it('offers a login button to an anonymous user', async () => {
    const db = subjectsDb(ANONYMOUS);
    const el = await menu(db);
    const button = $<HTMLButtonElement>(el, '[part~=login-button]')!;
    equal(button.textContent, 'Log in', 'label');
    await expectAccessible(el);
    button.click();
    equal(db.cloud.calls, ['login'], 'calls db.cloud.login()');
  });

  it('shows the current user and logs out from its menu', async () => {
    const db = subjectsDb(ALICE);
    const el = await menu(db);
    const trigger = $<HTMLButtonElement>(el, '[part=trigger]')!;
    equal($(el, '[part=name]')!.textContent, 'Alice', 'name');
    equal($(el, '[part=avatar]')!.textContent, 'A', 'avatar initial');
    equal(trigger.getAttribute('aria-expanded'), 'false', 'collapsed');
    assert($(el, '[part=menu]')!.hidden, 'menu hidden');
    await expectAccessible(el);
    trigger.click();
    await el.updateComplete;
    equal(trigger.getAttribute('aria-expanded'), 'true', 'expanded');
    equal($(el, '[part=user]')!.textContent, 'Signed in as alice@example.com', 'user line');
    await expectAccessible(el);
    $<HTMLButtonElement>(el, '[part=logout-button]')!.click();
    equal(db.cloud.calls, ['logout'], 'calls db.cloud.logout() (which asks for confirmation when needed)');
    db.cloud.currentUser.next(ANONYMOUS);
    await el.updateComplete;
    equal(el.shadowRoot!.activeElement, $(el, '[part~=login-button]'), 'focus moves to the login button');
  });

  it('works from the keyboard: Enter opens, Escape closes and returns focus', async () => {
    const el = await menu(subjectsDb(ALICE));
    $<HTMLButtonElement>(el, '[part=trigger]')!.focus();
    await sendKeys({ press: 'Enter' });
    await until(() => !$(el, '[part=menu]')!.hidden);
    await sendKeys({ press: 'Tab' });
    equal(el.shadowRoot!.activeElement, $(el, '[part=logout-button]'), 'Tab reaches Log out');
    await sendKeys({ press: 'Escape' });
    await until(() => $(el, '[part=menu]')!.hidden);
    equal(el.shadowRoot!.activeElement, $(el, '[part=trigger]'), 'focus back on the trigger');
  });

  it('fires dxc-error when the login it started fails, but not when the user cancelled', async () => {
    const db = subjectsDb(ANONYMOUS);
    const errors = record<DxcErrorEvent>('dxc-error');
    try {
      const el = await menu(db);
      db.cloud.login = () => Promise.reject(Object.assign(new Error('User cancelled'), { code: 'user-cancelled' }));
      $<HTMLButtonElement>(el, '[part~=login-button]')!.click();
      db.cloud.login = () => Promise.reject(Object.assign(new Error('Server unreachable'), { code: 'network' }));
      $<HTMLButtonElement>(el, '[part~=login-button]')!.click();
      await until(() => errors.events.length);
      equal(errors.events.map((e) => [e.detail.code, e.detail.message]), [['network', 'Server unreachable']], 'errors');
    } finally {
      errors.stop();
    }
  });
});
