/**
 * Runs the unmodified official `dexie-cloud-addon@4.4.14` in Node against a dxc-server: IndexedDB
 * from fake-indexeddb, WebSocket from `ws`, WebCrypto from Node. Login answers the addon's
 * `userInteraction` prompts with the code from the server's dev mailbox, as a person would.
 */
import 'fake-indexeddb/auto';
import { Dexie, type Table } from 'dexie';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import WebSocket from 'ws';
import type { RunningServer } from '../../src/app.js';
import { latestCode } from './auth-helpers.js';

// What a browser page has and Node lacks, set before the addon module is evaluated, because the
// addon reads some of it at load time: it decides once whether it is online from `self` and
// `navigator.onLine`, and would otherwise stay "offline" forever.
Object.defineProperty(globalThis, 'navigator', {
  value: { onLine: true, userAgent: 'node' },
  configurable: true,
  writable: true,
});
const pageEvents = new EventTarget();
Object.assign(globalThis, {
  self: globalThis,
  addEventListener: pageEvents.addEventListener.bind(pageEvents),
  removeEventListener: pageEvents.removeEventListener.bind(pageEvents),
  dispatchEvent: pageEvents.dispatchEvent.bind(pageEvents),
});
// Node 20 has no global WebSocket; the addon looks it up when it connects.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
// The addon shares sync state between tabs over BroadcastChannels it never closes; in Node they
// would keep the test process alive after the databases close.
class UnrefBroadcastChannel extends BroadcastChannel {
  constructor(name: string) {
    super(name);
    (this as unknown as { unref(): void }).unref();
  }
}
globalThis.BroadcastChannel = UnrefBroadcastChannel;
// Dexie reads the IndexedDB globals when it is first imported, which may precede this module.
Dexie.dependencies.indexedDB = indexedDB;
Dexie.dependencies.IDBKeyRange = IDBKeyRange;
// The addon logs every step with console.debug, which would drown the test report.
if (!process.env.DXC_DEBUG_ADDON) console.debug = () => {};

const { default: dexieCloud } = (await import('dexie-cloud-addon')) as { default: (db: Dexie) => void };

/** A readable observable as the addon exposes them (rxjs BehaviorSubjects). */
interface Observed<T> {
  readonly value: T;
  subscribe(next: (value: T) => void): { unsubscribe(): void };
}

/** The prompts the addon shows through `userInteraction` with `customLoginGui`. */
interface Interaction {
  type: string;
  onSubmit(params: Record<string, string>): void;
  onCancel(): void;
}

/**
 * The part of `db.cloud` these tests use. (The addon's bundled .d.ts files use extensionless
 * relative imports, which NodeNext resolution cannot follow, so the shape is declared here.)
 */
export interface AddonCloud {
  configure(options: Record<string, unknown>): void;
  login(hints: { email: string; grant_type: 'otp' }): Promise<void>;
  sync(options?: { wait?: boolean; purpose?: 'push' | 'pull' }): Promise<void>;
  readonly currentUserId: string;
  readonly currentUser: Observed<{ userId: string; email?: string }>;
  readonly syncState: Observed<{ phase: string; status: string }>;
  readonly webSocketStatus: Observed<string>;
  readonly persistedSyncState: Observed<{ serverRevision?: string } | undefined>;
  readonly userInteraction: Observed<Interaction | undefined>;
}

export interface Item {
  id?: string;
  title: string;
  count?: number;
  realmId?: string;
  owner?: string;
}

export type AddonDb = Dexie & { items: Table<Item, string>; cloud: AddonCloud };

/** A Dexie database with the official addon, configured for `server`, as an app would write it. */
export function openAddonDb(name: string, server: RunningServer, options: Record<string, unknown> = {}): AddonDb {
  const db = new Dexie(name, { addons: [dexieCloud] }) as AddonDb;
  db.version(1).stores({ items: '@id, title' });
  db.cloud.configure({
    databaseUrl: server.url,
    requireAuth: false,
    customLoginGui: true,
    socialAuth: false,
    ...options,
  });
  return db;
}

/**
 * `db.cloud.login()` with email + OTP, answering the prompts: the code comes from the dev mailbox,
 * alerts are acknowledged. Resolves when the addon has logged in.
 */
export async function loginAddon(db: AddonDb, server: RunningServer, email: string): Promise<void> {
  const answered = new Set<unknown>();
  const subscription = db.cloud.userInteraction.subscribe((interaction) => {
    if (!interaction || answered.has(interaction)) return;
    answered.add(interaction);
    if (interaction.type === 'otp') {
      latestCode(server, email).then(
        (otp) => interaction.onSubmit({ otp }),
        () => interaction.onCancel(),
      );
    } else if (interaction.type === 'email') {
      interaction.onSubmit({ email });
    } else {
      interaction.onSubmit({});
    }
  });
  try {
    await db.cloud.login({ email, grant_type: 'otp' });
  } finally {
    subscription.unsubscribe();
  }
}

/**
 * Resolve with the first truthy result of `probe`, polling every `intervalMs`; reject after
 * `limitMs`. The limit is a safety net against a hang, generous on purpose, never a measurement.
 */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, limitMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const result = await probe();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
