/**
 * Background Sync and Periodic Background Sync, which TypeScript's DOM and WebWorker libraries do
 * not declare (they are WICG drafts, Chromium only). Declared once here, in a shape that compiles
 * under both libraries: the page side uses the registration members, the worker side the events.
 */

interface SyncManager {
  register(tag: string): Promise<void>;
  getTags(): Promise<string[]>;
}

interface PeriodicSyncManager {
  /** `minInterval` in ms; the browser may run it less often (Chromium: ~12 h at best). */
  register(tag: string, options?: { minInterval?: number }): Promise<void>;
  unregister(tag: string): Promise<void>;
  getTags(): Promise<string[]>;
}

interface ServiceWorkerRegistration {
  /** Missing where Background Sync is not implemented (Firefox, Safari). */
  readonly sync?: SyncManager;
  /** Missing where Periodic Background Sync is not implemented (Firefox, Safari). */
  readonly periodicSync?: PeriodicSyncManager;
}

/** An event whose lifetime the handler extends (ExtendableEvent, which the DOM lib lacks). */
interface DxcExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}

interface SyncEvent extends DxcExtendableEvent {
  readonly tag: string;
  /** True on the browser's last attempt; after it fails the tag is dropped. */
  readonly lastChance: boolean;
}

interface PeriodicSyncEvent extends DxcExtendableEvent {
  readonly tag: string;
}

/** The part of ExtendableMessageEvent the sync bundle reads. */
interface DxcWorkerMessageEvent extends DxcExtendableEvent {
  readonly data: unknown;
  readonly ports: ReadonlyArray<MessagePort>;
}

interface ServiceWorkerGlobalScopeEventMap {
  sync: SyncEvent;
  periodicsync: PeriodicSyncEvent;
}
