/**
 * Telling the user that unsynced writes were lost with the device's database. The client mirrors
 * the count of unsynced writes in localStorage (dxc-addon.ts); when IndexedDB is gone but
 * localStorage stays (IndexedDB evicted alone, the database deleted by other code), a database
 * created anew finds a non-zero count there, and this module shows a `message-alert`. A full wipe
 * of site data removes the mirror too: then nothing on the device knows, and the server never saw
 * those writes (docs/decisions/0024-lost-writes-and-split-pushes.md).
 *
 * Loaded only for a database created just now; it imports nothing at run time, so that bundlers
 * give it a chunk of its own.
 */
import type { Engine } from './engine.js';
import type { DXCUserInteraction } from './types.js';

/** Read the mirror at `key` and, if it counts pending writes, alert the user. */
export function reportLostWrites(engine: Engine, key: string): void {
  let count = 0;
  try {
    count = Number(localStorage.getItem(key)) || 0;
  } catch {
    return; // storage unavailable (disabled, sandboxed): no mirror was kept
  }
  if (!count) return;
  const subject = engine.userInteraction;
  const dismiss = () => {
    if (subject.value === alert) subject.next(undefined);
  };
  const alert: DXCUserInteraction = {
    type: 'message-alert',
    title: 'Unsynced changes lost',
    alerts: [
      {
        type: 'warning',
        messageCode: 'UNSYNCED_WRITES_LOST',
        message: '{count} changes made on this device had not been synced when its storage was cleared, and are lost.',
        messageParams: { count: String(count) },
      },
    ],
    fields: {},
    submitLabel: 'OK',
    cancelLabel: null,
    onSubmit: dismiss,
    onCancel: dismiss,
  };
  subject.next(alert);
}
