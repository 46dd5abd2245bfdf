/**
 * The parts of a database that the elements read, as structural types. Both the dxc client and the
 * official `dexie-cloud-addon` satisfy them, so the elements import neither (and never rxjs): any
 * `Dexie` instance whose `cloud` property has these members can be bound.
 */

/** A subscription as rxjs, Dexie's `liveQuery()` and the dxc client return it. */
export interface UnsubscribableLike {
  unsubscribe(): void;
}

/** What the elements need from an observable: rxjs' `BehaviorSubject`, dxc's `ValueSubject`, `liveQuery()`. */
export interface ObservableLike<T> {
  subscribe(observer: { next?(value: T): void; error?(error: unknown): void }): UnsubscribableLike;
  /** Read when present, so that a first render already shows the current value. */
  getValue?(): T;
}

/** A message attached to a user interaction (an invalid code, "a code was sent to ..."). */
export interface DxcAlertLike {
  type: 'error' | 'warning' | 'info';
  /** A stable code such as `INVALID_OTP`: the key for replacing the text (see `strings`). */
  messageCode: string;
  /** The text in English, with `{param}` placeholders filled from `messageParams`. */
  message: string;
  messageParams?: Record<string, string>;
}

/** One input the client asks for. */
export interface DxcFieldLike {
  type: 'text' | 'email' | 'otp' | 'password';
  label?: string;
  placeholder?: string;
}

/** A choice rendered as a button (e.g. an OAuth provider); picking it submits `{[name]: value}`. */
export interface DxcOptionLike {
  name: string;
  value: string;
  displayName: string;
  iconUrl?: string;
}

/** What `db.cloud.userInteraction` emits: one prompt the UI renders and answers. */
export interface DxcUserInteractionLike {
  type: string;
  title: string;
  alerts: readonly DxcAlertLike[];
  fields: Readonly<Record<string, DxcFieldLike>>;
  options?: readonly DxcOptionLike[];
  submitLabel: string;
  /** `null` when the prompt cannot be declined (a message to acknowledge). */
  cancelLabel?: string | null;
  onSubmit(params: Record<string, string>): void;
  onCancel(): void;
}

/** The user as `db.cloud.currentUser` emits it. */
export interface DxcUserLike {
  userId?: string;
  name?: string;
  email?: string;
  isLoggedIn?: boolean;
  /** True for the placeholder emitted before the stored login has been read. */
  isLoading?: boolean;
}

/** `db.cloud.syncState`. */
export interface DxcSyncStateLike {
  phase: string;
  status: string;
  /** 0..100 while a large sync runs, when the client knows it. */
  progress?: number;
  error?: (Error & { code?: string; status?: number }) | undefined;
  license?: string;
}

/** `db.cloud.persistedSyncState`: what the last completed sync left. */
export interface DxcPersistedSyncStateLike {
  /** When the last successful sync completed. */
  timestamp?: Date;
  initiallySynced?: boolean;
  error?: string;
}

/** `db.cloud`: the observables and the two actions the elements use. */
export interface DxcCloudLike {
  readonly userInteraction: ObservableLike<DxcUserInteractionLike | undefined>;
  readonly syncState: ObservableLike<DxcSyncStateLike>;
  readonly currentUser: ObservableLike<DxcUserLike>;
  readonly persistedSyncState?: ObservableLike<DxcPersistedSyncStateLike | undefined>;
  /**
   * The number of local changes not yet acknowledged by the server, when the client exposes it.
   * Without it the elements count the `$<table>_mutations` outbox tables through `liveQuery`.
   */
  readonly unsyncedChanges?: ObservableLike<number>;
  readonly options?: { readonly customLoginGui?: boolean; readonly requireAuth?: unknown } | null;
  login(hints?: { email?: string }): Promise<unknown>;
  logout(options?: { force?: boolean }): Promise<unknown>;
}

/** A Dexie database with a `cloud` API (the dxc client or dexie-cloud-addon). */
export interface DxcDbLike {
  readonly name?: string;
  readonly cloud: DxcCloudLike;
  /** Dexie's table list; used to count the outbox when `cloud.unsyncedChanges` is missing. */
  readonly tables?: readonly { readonly name: string; count(): PromiseLike<number> }[];
  /**
   * Dexie's events; `on('ready', listener)` calls `listener` once the database is open (at once if
   * it is). The outbox count starts there, so that an element never opens the app's database.
   */
  on?(event: 'ready', listener: () => void): unknown;
}
