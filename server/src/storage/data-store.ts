/**
 * Persistence for synced rows and their change history. Every row is keyed by (table, key) and
 * remembers its realm, its owner, its value as TSON text (null for a tombstone left by a delete)
 * and the revision of the commit that last changed it. Revisions are one monotonically increasing
 * integer per database, so "what changed since revision r" is a range query and a client's cursor
 * is a plain number (a decimal string on the wire).
 *
 * The interface is async and shaped for a PostgreSQL backend with several nodes as much as for
 * embedded SQLite: a push runs as one transaction that locks the keys it touches, decides what to
 * write with a synchronous planner over their current state, takes the next revision from a
 * single counter (which serializes writers, so commit order equals revision order and no reader
 * ever skips a revision that commits late), and records the client transaction ids it applied so a
 * re-sent push is applied once.
 */

/** Identifies one row. `key` is the primary key as the wire carries it (array keys as JSON text). */
export interface RowKey {
  readonly table: string;
  readonly key: string;
}

/** A row as stored. */
export interface StoredRow extends RowKey {
  readonly realmId: string;
  readonly owner: string | null;
  /** The value as TSON text, or null when the row was deleted (a tombstone). */
  readonly value: string | null;
  /** Revision of the commit that last changed the row. */
  readonly revision: number;
}

/** The new state of one row, written by a push. */
export interface RowWrite extends RowKey {
  readonly realmId: string;
  readonly owner: string | null;
  /** TSON text of the new value; null deletes the row (leaving a tombstone in `realmId`). */
  readonly value: string | null;
}

/** What the planner sees: the committed state of the keys it asked for, read under lock. */
export interface PushState {
  /** The current row (tombstones included), or undefined if the key was never written. */
  row(table: string, key: string): StoredRow | undefined;
  /** Whether `txid` was already applied for this user by an earlier push. */
  wasApplied(txid: string): boolean;
}

/** The planner's decision: rows to write and the client transaction ids they complete. */
export interface PushPlan {
  readonly writes: readonly RowWrite[];
  /** Client txids whose effects are in `writes` (recorded for exactly-once). */
  readonly appliedTxids: readonly string[];
}

export interface PushRequest<P extends PushPlan> {
  /** The user pushing; applied txids are remembered per user. */
  readonly userId: string;
  /** Every key the planner may read. */
  readonly keys: readonly RowKey[];
  /**
   * Decides the writes from the current state. Runs synchronously inside the transaction, so it
   * must be pure CPU work (no I/O); it may throw to abort the push with nothing stored.
   */
  plan(state: PushState): P;
}

export interface PushOutcome<P extends PushPlan> {
  readonly plan: P;
  /** The revision the push committed, or the current revision when it wrote nothing. */
  readonly revision: number;
  /** Whether anything was written (and a revision taken). */
  readonly committed: boolean;
}

/** Rows read at one consistent point, and the revision that point corresponds to. */
export interface RowsAtRevision {
  readonly revision: number;
  readonly rows: readonly StoredRow[];
}

/**
 * One page of a paged pull: rows with `revision <= head` that are either in `known` realms and
 * changed after `cursor` (tombstones included) or in `fresh` realms and live, in (revision, table,
 * key) order, strictly after `after`.
 */
export interface PageQuery {
  readonly head: number;
  /** The client's cursor for `known` (ignored when `known` is empty). */
  readonly cursor: number;
  readonly known: readonly string[];
  readonly fresh: readonly string[];
  /** The last row already sent as `[revision, table, key]`, or undefined for the first page. */
  readonly after: readonly [number, string, string] | undefined;
  /** Rows at most. */
  readonly limit: number;
}

export interface DataStore {
  /** The database's stable id, made on first start and sent to clients as `dbId`. */
  dbId(): Promise<string>;
  /** The latest committed revision (0 before any write). */
  currentRevision(): Promise<number>;
  /** Apply one push in one transaction: all of the plan's writes and txids, or nothing. */
  applyPush<P extends PushPlan>(request: PushRequest<P>): Promise<PushOutcome<P>>;
  /**
   * The final state (upserts and tombstones) of every row in `realms` changed after `revision`,
   * ordered by table, then revision, then key; read at one consistent point.
   */
  changesSince(revision: number, realms: readonly string[]): Promise<RowsAtRevision>;
  /** Every live row (no tombstones) in `realms`, for a client that could not read them before. */
  snapshot(realms: readonly string[]): Promise<RowsAtRevision>;
  /** The current state of the given keys (tombstones included; missing keys are left out). */
  readRows(keys: readonly RowKey[]): Promise<StoredRow[]>;
  /** One page of a paged pull (see PageQuery), in its order. */
  pageRows(query: PageQuery): Promise<StoredRow[]>;
  /** How many rows `query` matches after `after` (the limit aside): the rows a paged pull has left. */
  countPageRows(query: PageQuery): Promise<number>;
}
