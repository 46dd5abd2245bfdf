import { sendKeys } from '@web/test-runner-commands';
import '../../src/elements/dxc-sync-indicator.js';
import type { DxcSyncIndicator } from '../../src/elements/dxc-sync-indicator.js';
import type { DxcErrorEvent, DxcSyncStateChangeEvent } from '../../src/elements/events.js';
import { indicatorStateOf } from '../../src/elements/sync-status.js';
import { $, assert, cleanup, equal, expectAccessible, mount, record } from './helpers.js';
import { ALICE, ANONYMOUS, subjectsDb } from './subjects.js';
import type { SubjectsDb } from './subjects.js';

async function indicator(db: SubjectsDb, variant: 'full' | 'compact' = 'full'): Promise<DxcSyncIndicator> {
  const el = document.createElement('dxc-sync-indicator');
  el.db = db;
  el.variant = variant;
  return mount(el);
}

const visible = (el: Element | null) => !!el && getComputedStyle(el).display !== 'none';
const networkError = () => new TypeError('Failed to fetch');

describe('<dxc-sync-indicator>', () => {
  afterEach(cleanup);

  it('maps every client phase to a state', () => {
    const cases: [Parameters<typeof indicatorStateOf>, string][] = [
      [[undefined, undefined, false], 'connecting'],
      [[{ phase: 'initial', status: 'not-started' }, ANONYMOUS, false], 'connecting'],
      [[{ phase: 'not-in-sync', status: 'connecting' }, ANONYMOUS, false], 'connecting'],
      [[{ phase: 'pushing', status: 'connected' }, ALICE, false], 'pushing'],
      [[{ phase: 'pulling', status: 'connected' }, ALICE, false], 'pulling'],
      [[{ phase: 'in-sync', status: 'connected' }, ALICE, false], 'in-sync'],
      [[{ phase: 'in-sync', status: 'error' }, ALICE, false], 'in-sync'],
      [[{ phase: 'not-in-sync', status: 'error' }, ALICE, false], 'error'],
      [[{ phase: 'not-in-sync', status: 'offline' }, ALICE, false], 'offline'],
      [[{ phase: 'offline', status: 'offline' }, ALICE, false], 'offline'],
      [[{ phase: 'error', status: 'error', error: networkError() }, ALICE, false], 'offline'],
      [[{ phase: 'error', status: 'error', error: new Error('Bad schema') }, ALICE, false], 'error'],
      [[{ phase: 'error', status: 'error', error: Object.assign(new Error('x'), { code: 'needs-auth' }) }, ALICE, false], 'needs-auth'],
      [[{ phase: 'error', status: 'error', error: Object.assign(new Error('x'), { name: 'TokenExpiredError' }) }, ALICE, false], 'needs-auth'],
      [[{ phase: 'in-sync', status: 'connected' }, ANONYMOUS, true], 'needs-auth'],
    ];
    for (const [args, expected] of cases) equal(indicatorStateOf(...args), expected, JSON.stringify(args));
  });

  it('reflects the state attribute and announces the state politely', async () => {
    const db = subjectsDb(ALICE);
    const el = await indicator(db);
    equal(el.getAttribute('state'), 'connecting', 'initial state');
    for (const [phase, state, label] of [
      ['pushing', 'pushing', 'Uploading changes…'],
      ['pulling', 'pulling', 'Downloading changes…'],
      ['in-sync', 'in-sync', 'Synced'],
      ['offline', 'offline', 'Offline'],
    ] as const) {
      db.cloud.syncState.next({ phase, status: 'connected' });
      await el.updateComplete;
      equal(el.getAttribute('state'), state, `state for ${phase}`);
      const status = $(el, '[role=status]')!;
      equal(status.textContent, label, `label for ${phase}`);
      await expectAccessible(el);
    }
  });

  it('has no axe violation in any state, full or compact', async () => {
    const db = subjectsDb(ALICE);
    db.cloud.persistedSyncState.next({ timestamp: new Date(), initiallySynced: false });
    db.cloud.unsyncedChanges.next(4);
    const full = await indicator(db);
    const compact = await indicator(db, 'compact');
    const states = [
      { phase: 'initial', status: 'connecting' },
      { phase: 'pushing', status: 'connected' },
      { phase: 'pulling', status: 'connected', progress: 30 },
      { phase: 'in-sync', status: 'connected' },
      { phase: 'offline', status: 'offline' },
      { phase: 'error', status: 'error', error: new Error('Server error') },
      { phase: 'error', status: 'error', error: Object.assign(new Error('Log in again'), { code: 'needs-auth' }) },
    ];
    const seen: string[] = [];
    for (const state of states) {
      db.cloud.syncState.next(state);
      await full.updateComplete;
      await compact.updateComplete;
      seen.push(full.state);
      await expectAccessible(full);
      await expectAccessible(compact);
    }
    equal(seen, ['connecting', 'pushing', 'pulling', 'in-sync', 'offline', 'error', 'needs-auth'], 'states covered');
  });

  it('shows the unsynced count, the last sync time and, during a first sync, a progress bar', async () => {
    const db = subjectsDb(ALICE);
    const el = await indicator(db);
    db.cloud.syncState.next({ phase: 'pulling', status: 'connected' });
    await el.updateComplete;
    const bar = $<HTMLProgressElement>(el, 'progress')!;
    assert(bar && !bar.hasAttribute('value'), 'indeterminate bar before the first sync completed');
    db.cloud.syncState.next({ phase: 'pulling', status: 'connected', progress: 40 });
    await el.updateComplete;
    equal($<HTMLProgressElement>(el, 'progress')!.value, 40, 'determinate bar with reported progress');
    await expectAccessible(el);

    const at = new Date();
    db.cloud.persistedSyncState.next({ timestamp: at, initiallySynced: true });
    db.cloud.syncState.next({ phase: 'in-sync', status: 'connected' });
    db.cloud.unsyncedChanges.next(3);
    await el.updateComplete;
    equal($(el, 'progress'), null, 'no bar once in sync');
    equal($(el, '[part=count]')!.textContent, '3 unsynced changes', 'count');
    const time = $(el, 'time')!;
    equal(time.getAttribute('datetime'), at.toISOString(), 'datetime');
    assert(time.textContent!.startsWith('Last synced '), `time text: ${time.textContent}`);
    db.cloud.unsyncedChanges.next(0);
    await el.updateComplete;
    equal($(el, '[part=count]'), null, 'no count at zero');
  });

  it('shows the error text on hover and on keyboard focus', async () => {
    const db = subjectsDb(ALICE);
    const el = await indicator(db);
    db.cloud.syncState.next({ phase: 'error', status: 'error', error: new Error('Server rejected the schema') });
    await el.updateComplete;
    equal(el.getAttribute('state'), 'error', 'state');
    const details = $(el, '[part=details]')!;
    equal(details.textContent?.trim(), 'Server rejected the schema', 'details text');
    equal($(el, '[part=base]')!.getAttribute('aria-describedby'), 'details', 'described by the details');
    assert(!visible(details), 'details hidden at rest');
    document.body.tabIndex = -1;
    document.body.focus();
    await sendKeys({ press: 'Tab' });
    equal(el.shadowRoot!.activeElement, $(el, '[part=base]'), 'focusable');
    assert(visible(details), 'details shown on focus');
    await expectAccessible(el);
  });

  it('has a compact variant with the details on hover and focus', async () => {
    const db = subjectsDb(ALICE);
    const el = await indicator(db, 'compact');
    db.cloud.persistedSyncState.next({ timestamp: new Date(), initiallySynced: true });
    db.cloud.syncState.next({ phase: 'in-sync', status: 'connected' });
    db.cloud.unsyncedChanges.next(2);
    await el.updateComplete;
    const label = $(el, '[part=label]')!;
    equal(label.textContent, 'Synced', 'label still read');
    assert(label.getBoundingClientRect().width <= 1, 'label visually hidden');
    equal($(el, '[part=count] [aria-hidden]')!.textContent, '2', 'the count is shown as a number');
    const details = $(el, '[part=details]')!;
    assert(details.textContent!.includes('Synced') && details.textContent!.includes('Last synced'), 'details');
    await expectAccessible(el);
  });

  it('fires dxc-sync-state-change on changes and dxc-error on entering error', async () => {
    const db = subjectsDb(ALICE);
    db.cloud.syncState.next({ phase: 'in-sync', status: 'connected' });
    const changes = record<DxcSyncStateChangeEvent>('dxc-sync-state-change');
    const errors = record<DxcErrorEvent>('dxc-error');
    try {
      const el = await indicator(db);
      equal(changes.events.length, 0, 'no event for the first state');
      db.cloud.syncState.next({ phase: 'pushing', status: 'connected' });
      await el.updateComplete;
      db.cloud.syncState.next({ phase: 'error', status: 'error', error: new Error('boom') });
      await el.updateComplete;
      equal(
        changes.events.map((e) => [e.detail.previousState, e.detail.state]),
        [
          ['in-sync', 'pushing'],
          ['pushing', 'error'],
        ],
        'changes',
      );
      equal(errors.events.map((e) => e.detail.message), ['boom'], 'errors');
    } finally {
      changes.stop();
      errors.stop();
    }
  });

  it('counts the $<table>_mutations outbox through liveQuery when the client has no count', async () => {
    const { Dexie } = await import('dexie');
    const dexie = new Dexie(`outbox-${Math.random()}`);
    dexie.version(1).stores({ items: 'id', $items_mutations: '++rev' });
    const db = Object.assign(dexie, { cloud: { ...subjectsDb(ALICE).cloud, unsyncedChanges: undefined } });
    const el = document.createElement('dxc-sync-indicator');
    el.db = db;
    await mount(el);
    await dexie.table('$items_mutations').bulkAdd([{ op: 'put' }, { op: 'put' }]);
    const count = await (async () => {
      for (;;) {
        const text = $(el, '[part=count]')?.textContent;
        if (text) return text;
        await new Promise((r) => requestAnimationFrame(r));
      }
    })();
    equal(count, '2 unsynced changes', 'count from the outbox tables');
    el.remove();
    dexie.close();
    await Dexie.delete(dexie.name);
  });
});
