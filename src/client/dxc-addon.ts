/**
 * The addon: `new Dexie(name, {addons: [dxc]})` installs the schema hook, the outbox middleware and
 * `db.cloud`. Everything that talks to the server starts in the sticky `ready` handler, as a
 * session that ends when the database closes, so a failing server never fails `db.open()`.
 */
import { liveQuery, type Dexie } from 'dexie';
import { getDbNameFromDbUrl, persistableOptions, validateOptions } from './configure.js';
import { DXC_VERSION, Engine } from './engine.js';
import { dxcError, loadPart } from './errors.js';
import { logout } from './logout.js';
import type { Subject, ValueSubject } from './observable.js';
import type { DxcOptions } from './options.js';
import { createOutboxMiddleware } from './outbox-middleware.js';
import { setDefaultDb } from './registry.js';
import { applyUnsyncedTables, augmentStores } from './schema.js';
import { createSyncScheduler, type SyncScheduler } from './sync-scheduler.js';
import { trackSyncState } from './sync-state.js';
import { openTabChannel } from './tab-channel.js';
import type {
  DexieCloudSchema,
  DXCUserInteraction,
  LoginHints,
  LogoutOptions,
  PersistedSyncState,
  SyncOptions,
  SyncState,
  UserLogin,
  WebSocketStatus,
} from './types.js';
import { createLiveSocket, type LiveSocket } from './web-socket.js';
import type { WorkerBridge } from '../sw/page-bridge.js';

/** `db.cloud`: the same members as dexie-cloud-addon's DexieCloudAPI (minus Y.js, blobs, realms UI). */
export interface DxcCloud {
  readonly version: string;
  readonly options: DxcOptions | null;
  readonly schema: DexieCloudSchema | null;
  readonly currentUserId: string;
  readonly currentUser: ValueSubject<UserLogin>;
  readonly syncState: ValueSubject<SyncState>;
  readonly persistedSyncState: ValueSubject<PersistedSyncState | undefined>;
  readonly webSocketStatus: ValueSubject<WebSocketStatus>;
  readonly userInteraction: ValueSubject<DXCUserInteraction | undefined>;
  readonly events: { readonly syncComplete: Subject<void> };
  /** True once a service worker with the dxc sync bundle answered the page's probe, so it runs this database's background sync (src/sw/page-bridge.ts). */
  readonly usingServiceWorker: boolean;
  readonly isServiceWorkerDB: boolean;
  configure(options: DxcOptions): void;
  /** Log in: prompts (email + code), `fetchTokens`, or dxc's `{provider, token}` exchange. */
  login(hints?: LoginHints): Promise<void>;
  /** Log out: by default deletes synced data (asking first if changes are unsynced); see LogoutOptions. */
  logout(options?: LogoutOptions): Promise<void>;
  sync(options?: SyncOptions): Promise<void>;
}

declare module 'dexie' {
  interface Dexie {
    cloud: DxcCloud;
  }
}

interface Session {
  scheduler: SyncScheduler;
  /** Set once initialize() found the page's service worker (tryUseServiceWorker). */
  bridge?: WorkerBridge;
  stop(): void;
}

/** The Dexie addon. Also reachable as the default export of `dxc/client`. */
export function dxc(db: Dexie): void {
  const engine = new Engine(db);
  const originalName = db.name;
  let session: Session | undefined;

  const versionProto = (db as unknown as { Version: { prototype: Record<string, unknown> } }).Version.prototype;
  const parseStores = versionProto._parseStoresSpec as (this: unknown, stores: object, out: object) => unknown;
  versionProto._parseStoresSpec = function (this: unknown, stores: Record<string, string | null>, out: object) {
    return parseStores.call(this, augmentStores(stores, engine.schema), out);
  };
  db.use(
    createOutboxMiddleware({
      schema: engine.schema,
      currentUserId: () => engine.currentUserId(),
      canMintIds: () => engine.canMintIds(),
      onLocalCommit: () => {
        if (engine.options?.disableEagerSync) return;
        engine.triggerSync('push');
        // Also hand the push to the service worker, which completes it even if the page closes.
        void session?.bridge?.requestPush();
      },
    }),
  );
  db.on(
    'ready',
    async () => {
      session?.stop();
      session = undefined;
      engine.closed = false;
      // Without a server (never configured) the database is plain local Dexie.
      if (!engine.options?.databaseUrl) return void engine.setUser(await engine.loadUser());
      session = startSession(engine);
      try {
        await initialize(engine, session);
      } catch (error) {
        // Like the addon: a failing login or server must not fail db.open(); the state says why.
        console.error('dxc:', error);
      }
    },
    true,
  );
  db.on('close', () => {
    engine.closed = true;
    engine.stopTimers();
    session?.stop();
    session = undefined;
  });

  const ensureSession = async (): Promise<Session> => {
    if (!engine.options?.databaseUrl) throw dxcError('config-invalid', 'Call db.cloud.configure({databaseUrl}) first');
    if (!db.isOpen()) await db.open();
    if (!session) throw dxcError('config-invalid', 'The database is closed');
    return session;
  };

  const cloud: DxcCloud = {
    version: DXC_VERSION,
    get options() {
      return engine.options;
    },
    get schema() {
      return engine.schema;
    },
    get currentUserId() {
      return engine.currentUserId();
    },
    currentUser: engine.currentUser,
    syncState: engine.syncState,
    persistedSyncState: engine.persistedSyncState,
    webSocketStatus: engine.webSocketStatus,
    userInteraction: engine.userInteraction,
    events: { syncComplete: engine.syncComplete },
    get usingServiceWorker() {
      return session?.bridge?.usingServiceWorker ?? false;
    },
    isServiceWorkerDB: false,
    configure(options) {
      engine.options = validateOptions(db, engine.options, options);
      const name = engine.options.nameSuffix === false ? originalName : `${originalName}-${getDbNameFromDbUrl(engine.options.databaseUrl)}`;
      (db as { name: string }).name = name;
      applyUnsyncedTables(engine.schema, engine.options.unsyncedTables);
      setDefaultDb(db);
    },
    async login(hints) {
      await ensureSession();
      await login(engine, hints);
    },
    async logout(options) {
      await ensureSession();
      await logout(engine, options);
    },
    async sync({ wait = true, purpose = 'push' }: SyncOptions = {}) {
      const { scheduler } = await ensureSession();
      const done = scheduler.request(purpose);
      if (wait) await done;
      else done.catch(() => {});
    },
  };
  (db as { cloud: DxcCloud }).cloud = cloud;
}
dxc.version = DXC_VERSION;

const login = (engine: Engine, hints?: LoginHints): Promise<void> =>
  loadPart(() => import('./auth.js'), 'the login flow').then((flow) => flow.login(engine, hints));

function startSession(engine: Engine): Session {
  const stops: (() => void)[] = [];
  const tracker = trackSyncState(engine);
  stops.push(() => tracker.stop());
  const channel = openTabChannel(
    engine.idbName,
    (phase) => tracker.setPhase(phase),
    () => engine.syncComplete.next(),
  );
  stops.push(() => channel.close());
  engine.onPhase = (phase, error) => {
    tracker.setPhase(phase, error);
    channel.postPhase(phase);
  };
  let socket: LiveSocket | undefined;
  const scheduler = createSyncScheduler(engine, {
    onComplete() {
      engine.syncComplete.next();
      channel.postSyncComplete();
      socket?.serverReachable();
    },
  });
  stops.push(() => scheduler.stop());
  engine.triggerSync = (purpose) => void scheduler.request(purpose).catch(() => {});
  socket = createLiveSocket(engine, scheduler, () => {
    engine.syncComplete.next();
    channel.postSyncComplete();
  });
  const live = socket;
  stops.push(() => live.stop());
  stops.push(engine.currentUser.subscribe(() => live.update()).unsubscribe);
  stops.push(engine.persistedSyncState.subscribe(() => live.update()).unsubscribe);
  const on = (target: EventTarget | undefined, type: string, listener: () => void) => {
    target?.addEventListener(type, listener);
    stops.push(() => target?.removeEventListener(type, listener));
  };
  const win = typeof window === 'undefined' ? undefined : window;
  on(win, 'online', () => {
    tracker.refresh();
    engine.triggerSync('pull');
    live.reconnectNow();
  });
  on(win, 'offline', () => engine.setPhase('offline'));
  const doc = typeof document === 'undefined' ? undefined : document;
  on(doc, 'visibilitychange', () => {
    if (doc?.visibilityState === 'visible') engine.triggerSync('pull');
  });
  return {
    scheduler,
    stop() {
      engine.triggerSync = () => {};
      engine.onPhase = () => {};
      for (const stop of stops.splice(0)) stop();
    },
  };
}

async function initialize(engine: Engine, session: Session): Promise<void> {
  const options = engine.options!;
  const db = engine.vip;
  // The server's schema from an earlier sync decides id prefixes from the first write on.
  const stored = (await db.table('$syncState').get('schema')) as DexieCloudSchema | undefined;
  for (const [table, entry] of Object.entries(stored ?? {})) if (engine.schema[table]) engine.schema[table] = entry;
  // The count of unsynced writes, mirrored outside IndexedDB: a database created just now whose
  // mirror counts pending writes has lost them (lost-writes.ts).
  const mirror = `dxc:${engine.idbName}:unsynced`;
  if (!stored) await import('./lost-writes.js').then(({ reportLostWrites }) => reportLostWrites(engine, mirror), () => {});
  applyUnsyncedTables(engine.schema, options.unsyncedTables);
  await db.table('$syncState').bulkPut([engine.schema, persistableOptions(options)], ['schema', 'options']);
  // After the options are persisted: the worker reopens the database from them.
  // The bridge is loaded only by apps that opt into a service worker; a failed load (offline and
  // not precached) leaves sync in the page, which covers every write anyway.
  if (options.tryUseServiceWorker === true) {
    session.bridge = await import('../sw/page-bridge.js')
      .then(({ connectServiceWorker }) => connectServiceWorker(engine.idbName, options))
      .catch(() => undefined);
  }
  engine.persistedSyncState.next(await engine.loadSyncState());
  engine.setUser(await engine.loadUser());
  // Other tabs log in, refresh and sync too: follow their writes to $logins and $syncState.
  const users = liveQuery(() => engine.loadUser()).subscribe((user) => {
    const current = engine.currentUser.value;
    if (user?.userId !== current.userId || user?.accessToken !== current.accessToken || !!user?.isLoggedIn !== !!current.isLoggedIn) {
      engine.setUser(user);
    }
  });
  const states = liveQuery(() => engine.loadSyncState()).subscribe((state) => {
    if (state?.serverRevision !== engine.persistedSyncState.value?.serverRevision) engine.persistedSyncState.next(state);
  });
  const unsynced = liveQuery(() => engine.countPending()).subscribe((count) => {
    try {
      localStorage.setItem(mirror, String(count));
    } catch {}
  });
  const stopSession = session.stop;
  session.stop = () => {
    users.unsubscribe();
    states.unsubscribe();
    unsynced.unsubscribe();
    stopSession();
  };

  const required = options.requireAuth;
  if (required) {
    const hints = typeof required === 'object' ? required : undefined;
    const current = engine.currentUser.value;
    const mismatch = hints && ((hints.email && hints.email !== current.email) || (hints.userId && hints.userId !== current.userId));
    if (!engine.isLoggedIn() || mismatch) await login(engine, hints);
  }
  const state = engine.persistedSyncState.value;
  const expectedUser = engine.currentUserId();
  if (!state?.initiallySynced || state.userId !== expectedUser) {
    await session.scheduler.request('pull').catch(() => {});
  } else if (await engine.countPending()) {
    engine.triggerSync('push');
  }
}
