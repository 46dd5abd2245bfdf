import { sendKeys } from '@web/test-runner-commands';
import '../../src/elements/dxc-login.js';
import type { DxcLogin } from '../../src/elements/dxc-login.js';
import type { DxcErrorEvent, DxcLoginEvent, DxcLogoutEvent } from '../../src/elements/events.js';
import { $, $$, assert, cleanup, equal, expectAccessible, mount, record, until } from './helpers.js';
import {
  ALICE,
  ANONYMOUS,
  ask,
  EMAIL_PROMPT,
  GENERIC_PROMPT,
  LOGOUT_PROMPT,
  MESSAGE_PROMPT,
  OTP_PROMPT,
  subjectsDb,
} from './subjects.js';
import type { SubjectsDb } from './subjects.js';

async function login(db: SubjectsDb): Promise<DxcLogin> {
  const el = document.createElement('dxc-login');
  el.db = db;
  return mount(el);
}

const dialogOf = (el: DxcLogin) => $<HTMLDialogElement>(el, 'dialog')!;
const open = (el: DxcLogin) => until(() => dialogOf(el).open && dialogOf(el));
const closed = (el: DxcLogin) => until(() => !dialogOf(el).open);
/** The element focused inside the shadow root, or null when focus is elsewhere. */
const focused = (el: DxcLogin) => el.shadowRoot!.activeElement as HTMLElement | null;

describe('<dxc-login>', () => {
  afterEach(cleanup);

  it('stays closed while the client asks nothing', async () => {
    const el = await login(subjectsDb());
    assert(!dialogOf(el).open, 'dialog is closed');
    await expectAccessible(el);
  });

  it('renders the email prompt as a labelled modal and submits the address', async () => {
    const db = subjectsDb();
    const el = await login(db);
    const answer = ask(db, EMAIL_PROMPT);
    const dialog = await open(el);
    assert(dialog.matches(':modal'), 'opened with showModal()');
    equal(dialog.getAttribute('aria-labelledby'), 'title');
    equal($(el, '#title')!.textContent, 'Sign in', 'title');
    const input = $<HTMLInputElement>(el, 'input[name=email]')!;
    equal([input.type, input.autocomplete, input.required], ['email', 'email', true], 'email input');
    equal(input.labels?.[0]?.textContent?.trim(), 'Email address', 'label');
    equal(focused(el), input, 'focused input');
    await expectAccessible(el);
    input.value = ' alice@example.com ';
    $<HTMLButtonElement>(el, '[part~=submit]')!.click();
    equal(await answer, { email: 'alice@example.com' }, 'submitted params');
  });

  it('shows a busy state from the submission until the next prompt arrives', async () => {
    const db = subjectsDb();
    const el = await login(db);
    void ask(db, EMAIL_PROMPT);
    await open(el);
    $<HTMLInputElement>(el, 'input')!.value = 'alice@example.com';
    $<HTMLFormElement>(el, 'form')!.requestSubmit();
    await el.updateComplete;
    // The client has cleared userInteraction while its request runs: the form stays, disabled.
    equal(db.cloud.userInteraction.getValue(), undefined, 'interaction cleared by the client');
    assert(dialogOf(el).open, 'dialog stays open while busy');
    equal($(el, 'form')!.getAttribute('aria-busy'), 'true', 'aria-busy');
    assert($<HTMLButtonElement>(el, '[part~=submit]')!.disabled, 'submit disabled');
    assert($<HTMLInputElement>(el, 'input')!.readOnly, 'input read-only');
    equal($(el, '[part=busy]')!.textContent, 'Please wait…', 'busy status');
    equal($(el, '[part=busy]')!.getAttribute('role'), 'status', 'busy is announced');
    await expectAccessible(el);
    void ask(db, OTP_PROMPT);
    await until(() => $(el, 'input[name=otp]'));
    equal($(el, 'form')!.getAttribute('aria-busy'), 'false', 'not busy with the next prompt');
    equal($(el, '[part=busy]')!.textContent, '', 'busy status cleared');
  });

  it('renders the code prompt with one-time-code autocomplete and a numeric keypad, and announces its alerts', async () => {
    const db = subjectsDb();
    const el = await login(db);
    const answer = ask(db, OTP_PROMPT);
    await open(el);
    const input = $<HTMLInputElement>(el, 'input[name=otp]')!;
    equal([input.autocomplete, input.inputMode, input.type], ['one-time-code', 'numeric', 'text'], 'otp input');
    equal(input.labels?.[0]?.textContent?.trim(), 'OTP', 'label sent by the client');
    const alerts = $$(el, '[role=alert]');
    equal(alerts.map((a) => a.textContent), ['A code has been sent to alice@example.com'], 'alerts');
    equal(alerts[0]!.getAttribute('part'), 'alert alert-info', 'alert parts');
    await expectAccessible(el);
    input.value = '12345678';
    $<HTMLFormElement>(el, 'form')!.requestSubmit();
    equal(await answer, { otp: '12345678' }, 'submitted params');
  });

  it('renders a message alert with a single OK button and closes after it', async () => {
    const db = subjectsDb();
    const el = await login(db);
    const answer = ask(db, MESSAGE_PROMPT);
    await open(el);
    equal($$(el, 'button').map((b) => b.textContent?.trim()), ['OK'], 'buttons');
    equal($(el, '[role=alert]')!.textContent, 'The server said no', 'alert');
    equal(focused(el), $(el, '[part~=submit]'), 'OK has focus');
    await expectAccessible(el);
    $<HTMLButtonElement>(el, '[part~=submit]')!.click();
    equal(await answer, {}, 'submitted params');
    await closed(el);
  });

  it('asks for the logout confirmation, and cancelling it keeps the user', async () => {
    const db = subjectsDb(ALICE);
    const el = await login(db);
    const answer = ask(db, LOGOUT_PROMPT);
    await open(el);
    equal($(el, '[role=alert]')!.textContent, '3 changes will be lost', 'warning');
    equal($(el, '[role=alert]')!.getAttribute('part'), 'alert alert-warning', 'warning part');
    equal($$(el, 'button').map((b) => b.textContent?.trim()), ['Cancel', 'Sign out'], 'buttons');
    await expectAccessible(el);
    $<HTMLButtonElement>(el, '[part~=cancel]')!.click();
    const outcome = await answer.then(
      () => 'submitted',
      (error: { code?: string }) => error.code,
    );
    equal(outcome, 'user-cancelled', 'cancelled');
    await closed(el);
  });

  it('confirms the logout with the submit button', async () => {
    const db = subjectsDb(ALICE);
    const el = await login(db);
    const answer = ask(db, LOGOUT_PROMPT);
    await open(el);
    $<HTMLButtonElement>(el, '[part~=submit]')!.click();
    equal(await answer, {}, 'confirmed');
    await closed(el);
  });

  it('renders any other prompt from its fields, alerts and options', async () => {
    const db = subjectsDb();
    const el = await login(db);
    let answer = ask(db, GENERIC_PROMPT);
    await open(el);
    equal($(el, '#title')!.textContent, 'Choose how to sign in', 'title');
    equal(
      $$<HTMLInputElement>(el, 'input').map((i) => [i.name, i.type, i.labels?.[0]?.textContent?.trim()]),
      [
        ['user', 'text', 'User name'],
        ['password', 'password', 'Password'],
      ],
      'fields',
    );
    equal($$(el, '[part=option]').map((b) => b.textContent?.trim()), ['GitHub', 'Email code'], 'options');
    await expectAccessible(el);
    $<HTMLButtonElement>(el, '[part=option]')!.click();
    equal(await answer, { provider: 'github' }, 'an option submits its name and value');

    answer = ask(db, GENERIC_PROMPT);
    await until(() => $(el, 'form')?.getAttribute('aria-busy') === 'false' && $(el, 'input[name=user]'));
    $<HTMLInputElement>(el, 'input[name=user]')!.value = 'bob';
    $<HTMLInputElement>(el, 'input[name=password]')!.value = 'secret';
    $<HTMLFormElement>(el, 'form')!.requestSubmit();
    equal(await answer, { user: 'bob', password: 'secret' }, 'the form submits its fields');
  });

  it('cancels the prompt on Escape', async () => {
    const db = subjectsDb();
    const el = await login(db);
    const outcome = ask(db, EMAIL_PROMPT).then(
      () => 'submitted',
      (error: { code?: string }) => error.code,
    );
    await open(el);
    await sendKeys({ type: 'al' });
    await sendKeys({ press: 'Escape' });
    equal(await outcome, 'user-cancelled', 'cancelled');
    await closed(el);
  });

  it('keeps keyboard focus inside the dialog', async () => {
    const db = subjectsDb();
    const outside = document.createElement('button');
    outside.textContent = 'outside';
    document.body.append(outside);
    const el = await login(db);
    void ask(db, EMAIL_PROMPT);
    await open(el);
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      await sendKeys({ press: i % 2 ? 'Shift+Tab' : 'Tab' });
      assert(document.activeElement !== outside, 'focus never reaches the page behind the modal');
      const inside = focused(el);
      if (inside) seen.add(inside.getAttribute('part') ?? inside.tagName);
    }
    assert(seen.size >= 2, `focus moved between the dialog's controls (${[...seen]})`);
  });

  it('replaces every text through `strings`', async () => {
    const db = subjectsDb();
    const el = await login(db);
    el.strings = {
      'otp.title': 'Code eingeben',
      'otp.submit': 'Anmelden',
      'otp.cancel': 'Abbrechen',
      'field.otp': 'Einmalcode',
      'placeholder.otp': 'Code hier einfügen',
      'alert.OTP_SENT': 'Ein Code wurde an {email} gesendet',
      busy: 'Bitte warten…',
    };
    void ask(db, OTP_PROMPT);
    await open(el);
    equal($(el, '#title')!.textContent, 'Code eingeben', 'title');
    equal($(el, '[part=label]')!.textContent, 'Einmalcode', 'label');
    equal($<HTMLInputElement>(el, 'input')!.placeholder, 'Code hier einfügen', 'placeholder');
    equal($(el, '[role=alert]')!.textContent, 'Ein Code wurde an alice@example.com gesendet', 'alert');
    equal($$(el, 'button').map((b) => b.textContent?.trim()), ['Abbrechen', 'Anmelden'], 'buttons');
    $<HTMLInputElement>(el, 'input')!.value = '1';
    $<HTMLFormElement>(el, 'form')!.requestSubmit();
    await until(() => $(el, '[part=busy]')!.textContent === 'Bitte warten…');
  });

  it('shows the app\'s header and footer slots', async () => {
    const db = subjectsDb();
    const el = document.createElement('dxc-login');
    el.db = db;
    el.innerHTML = '<img slot="header" alt="Acme" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><p slot="footer">Privacy</p>';
    await mount(el);
    void ask(db, EMAIL_PROMPT);
    await open(el);
    const slots = $$<HTMLSlotElement>(el, 'slot');
    equal(slots.map((s) => [s.name, s.assignedElements().length]), [['header', 1], ['footer', 1]], 'slots');
    await expectAccessible(el);
  });

  it('fires dxc-login and dxc-logout when the user changes, but not for the user found at start-up', async () => {
    const db = subjectsDb({ ...ANONYMOUS, isLoading: true });
    const logins = record<DxcLoginEvent>('dxc-login');
    const logouts = record<DxcLogoutEvent>('dxc-logout');
    try {
      await login(db);
      db.cloud.currentUser.next(ALICE); // the stored login, read at start-up
      equal(logins.events.length, 0, 'no dxc-login for the start-up user');
      db.cloud.currentUser.next(ANONYMOUS);
      equal(logouts.events.map((e) => e.detail.user.userId), ['alice@example.com'], 'dxc-logout');
      db.cloud.currentUser.next(ALICE);
      equal(logins.events.map((e) => e.detail.user.userId), ['alice@example.com'], 'dxc-login');
      const event = logins.events[0]!;
      equal([event.bubbles, event.composed, event.constructor.name], [true, true, 'DxcLoginEvent'], 'event shape');
    } finally {
      logins.stop();
      logouts.stop();
    }
  });

  it('fires dxc-error when a prompt carries an error alert', async () => {
    const db = subjectsDb();
    const errors = record<DxcErrorEvent>('dxc-error');
    try {
      await login(db);
      void ask(db, { ...OTP_PROMPT, alerts: [{ type: 'error', messageCode: 'INVALID_OTP', message: 'Invalid code', messageParams: {} }] });
      equal(errors.events.map((e) => [e.detail.code, e.detail.message]), [['INVALID_OTP', 'Invalid code']], 'dxc-error');
    } finally {
      errors.stop();
    }
  });

  it('unsubscribes when removed and subscribes again when put back', async () => {
    const db = subjectsDb();
    const el = await login(db);
    assert(db.cloud.userInteraction.observed && db.cloud.currentUser.observed, 'subscribed while connected');
    el.remove();
    assert(!db.cloud.userInteraction.observed && !db.cloud.currentUser.observed, 'unsubscribed');
    await mount(el);
    void ask(db, EMAIL_PROMPT);
    await open(el);
  });
});
