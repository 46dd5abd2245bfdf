/**
 * Turns the `changes` of a `/sync` request into row writes, deciding per client transaction
 * (`txid`) whether the caller may make it. The planner is pure: the DataStore runs it inside its
 * push transaction over the locked current state of the touched keys.
 *
 * Rules (docs/protocol.md#pushing-changes):
 * - A client transaction is all-or-nothing. One refused operation refuses the whole `txid`; it is
 *   reported in `rejections`, and the final state of its keys goes back to the client so the
 *   client's optimistic writes roll back.
 * - A user writes only rows of their own realm (realmId = their user id), and, when the server has
 *   an open realm (realms.ts), rows of its listed tables in it: new ones, and ones they own.
 *   Writing a key that lives in another realm (tombstones included), moving a key to another
 *   realm, or setting `owner` to another user, is refused. Missing `realmId`/`owner` on a new row
 *   are filled in with the caller's user id. Because accepted writes keep a key's realm, the
 *   decision depends only on the state before the push and the operation itself, so it is made for
 *   every transaction before anything applies.
 * - Anonymous callers cannot write.
 * - A txid applied by an earlier push is skipped (the client re-sent a push whose answer it lost).
 * - A transaction whose effect cannot be stored (a row that would grow past MAX_ROW_BYTES or nest
 *   deeper than MAX_DEPTH) is refused alone and its working rows
 *   restored: it depends on the stored state, so the client could not have known, and failing
 *   the whole push would block every later transaction of its outbox for ever.
 * - insert and upsert store the value (an insert over an existing key overwrites it); upsert with a
 *   change spec patches an existing row instead; update and modify patch the listed keys with
 *   Dexie's semantics, @@propmod included, and skip keys with no row (modify criteria are not
 *   re-run against other rows); delete leaves a tombstone.
 */
import {
  applyChangeSpec,
  asPropModification,
  decodeTson,
  DxcError,
  encodeTson,
  MAX_ROW_BYTES,
  normalizeKey,
  type DBOperation,
  type DBOperationsSet,
  type SyncRejection,
} from 'dxc/protocol';
import type { PushPlan, PushState, RowKey, RowWrite, StoredRow } from '../storage/data-store.js';
import { mayWriteRealm, type WriteScope } from './realms.js';

/** One operation with its keys in wire form. */
interface KeyedOperation {
  readonly table: string;
  readonly op: DBOperation;
  readonly keys: readonly string[];
}

/** The operations of one client transaction, in request order. */
interface ClientTransaction {
  /** The client's txid; undefined for operations sent without one (each is its own transaction). */
  readonly txid: string | undefined;
  readonly ops: KeyedOperation[];
}

/** The final state (after the push) of a key a rejected transaction touched; undefined: no row. */
export interface RollbackRow extends RowKey {
  readonly state: RowWrite | undefined;
}

export interface SyncPushPlan extends PushPlan {
  readonly rejections: readonly SyncRejection[];
  readonly rollback: readonly RollbackRow[];
}

export interface PreparedPush {
  /** Every key the operations name. */
  readonly keys: readonly RowKey[];
  readonly plan: (state: PushState) => SyncPushPlan;
}

type Value = Record<string, unknown>;

/** The working state of one key while the plan applies operations. */
interface WorkingRow {
  readonly table: string;
  readonly key: string;
  realmId: string;
  owner: string | null;
  value: Value | null;
  dirty: boolean;
  /** Whether the key had a row (or tombstone) before this push. */
  readonly existed: boolean;
  /** TSON of `value` as checked after the last transaction that touched the row. */
  encoded?: string | undefined;
}

/** A working row as it was before a transaction, to restore if the transaction is refused. */
interface SavedRow {
  readonly row: WorkingRow;
  readonly realmId: string;
  readonly owner: string | null;
  readonly value: Value | null;
  readonly dirty: boolean;
  readonly encoded: string | undefined;
}

/** Errors that depend on the stored row, not on the request alone: they refuse one transaction. */
const STATE_DEPENDENT_ERRORS: ReadonlySet<string> = new Set(['row-too-large', 'too-deep']);

const rowId = (table: string, key: string): string => `${table}\u0000${key}`;

/** Group the request's operations by client transaction, keeping the request order. */
function groupByTransaction(changes: DBOperationsSet): ClientTransaction[] {
  const transactions: ClientTransaction[] = [];
  const byTxid = new Map<string, ClientTransaction>();
  for (const { table, muts } of changes) {
    for (const op of muts) {
      const keyed: KeyedOperation = { table, op, keys: op.keys.map(normalizeKey) };
      if (op.txid === undefined) {
        transactions.push({ txid: undefined, ops: [keyed] });
        continue;
      }
      let transaction = byTxid.get(op.txid);
      if (!transaction) {
        transaction = { txid: op.txid, ops: [] };
        byTxid.set(op.txid, transaction);
        transactions.push(transaction);
      }
      transaction.ops.push(keyed);
    }
  }
  return transactions;
}

/** Why `value`'s claims are refused for `scope` in `table`, if they are (`current`: the key's row). */
function refuseClaims(value: Value, scope: WriteScope, table: string, current: StoredRow | undefined): string | undefined {
  const realmId = value.realmId ?? current?.realmId ?? scope.userId;
  if (typeof realmId !== 'string') return 'realmId must be a string';
  if (current && realmId !== current.realmId) return 'realmId would move the row to another realm';
  if (!mayWriteRealm(scope, table, realmId)) return 'realmId names another realm';
  if (value.owner !== undefined && value.owner !== scope.userId) return 'owner names another user';
  return undefined;
}

/**
 * Why a change spec's effect on `realmId`/`owner` is refused for `writer`, if it is. `realmId` is
 * the row's realm: a spec may not move the row out of it.
 */
function refuseChangeSpec(spec: Value, writer: string, realmId: string): string | undefined {
  for (const [keyPath, next] of Object.entries(spec)) {
    for (const field of ['realmId', 'owner'] as const) {
      if (keyPath.startsWith(`${field}.`)) return `${field} cannot be changed by path`;
      if (keyPath !== field) continue;
      // Rows the writer may change are theirs: their owner is `writer` (refuseExisting).
      const currentValue = field === 'realmId' ? realmId : writer;
      const result = asPropModification(next)?.execute(currentValue) ?? next;
      if (result !== currentValue && !(field === 'owner' && result === undefined)) {
        return `${field} would name another ${field === 'owner' ? 'user' : 'realm'}`;
      }
    }
  }
  return undefined;
}

/** Why `scope` may not touch the existing row `current` of `table`, if it may not. */
function refuseExisting(current: StoredRow, scope: WriteScope, table: string): string | undefined {
  if (current.realmId === scope.userId) return undefined;
  if (!mayWriteRealm(scope, table, current.realmId)) return 'belongs to another realm';
  // In the open realm everyone adds rows, but only a row's owner changes or deletes it.
  return current.owner === scope.userId ? undefined : 'belongs to another user';
}

function refuseOperation(entry: KeyedOperation, scope: WriteScope, state: PushState): string | undefined {
  const { table, op, keys } = entry;
  const writer = scope.userId;
  for (const [index, key] of keys.entries()) {
    const current = state.row(table, key);
    const existing = current && refuseExisting(current, scope, table);
    if (existing) return `${table} ${key} ${existing}`;
    const realmId = current?.realmId ?? writer;
    let reason: string | undefined;
    switch (op.type) {
      case 'insert':
      case 'upsert': {
        reason = refuseClaims(op.values[index] as Value, scope, table, current);
        const spec = op.type === 'upsert' ? op.changeSpecs?.[index] : undefined;
        reason ??= spec ? refuseChangeSpec(spec, writer, realmId) : undefined;
        break;
      }
      case 'update':
        reason = refuseChangeSpec(op.changeSpecs[index] as Value, writer, realmId);
        break;
      case 'modify':
        reason = refuseChangeSpec(op.changeSpec, writer, realmId);
        break;
      case 'delete':
        break;
    }
    if (reason) return `${table} ${key}: ${reason}`;
  }
  return undefined;
}

/** Prepare the plan of a push by `scope` (undefined for an anonymous caller). */
export function preparePush(changes: DBOperationsSet, scope: WriteScope | undefined): PreparedPush {
  const transactions = groupByTransaction(changes);
  const keys = transactions.flatMap((t) => t.ops.flatMap(({ table, keys }) => keys.map((key) => ({ table, key }))));
  return { keys, plan: (state) => plan(transactions, scope, state) };
}

function plan(transactions: ClientTransaction[], scope: WriteScope | undefined, state: PushState): SyncPushPlan {
  const writer = scope?.userId;
  const rejections: SyncRejection[] = [];
  const rejectedKeys = new Map<string, RowKey>();
  const accepted: ClientTransaction[] = [];
  for (const transaction of transactions) {
    if (transaction.txid !== undefined && writer !== undefined && state.wasApplied(transaction.txid)) continue;
    const reason =
      writer === undefined
        ? 'Log in to write'
        : transaction.ops.map((entry) => refuseOperation(entry, scope!, state)).find(Boolean);
    if (reason === undefined) {
      accepted.push(transaction);
      continue;
    }
    rejections.push({ name: 'forbidden', message: reason, txid: transaction.txid ?? '' });
    for (const { table, keys } of transaction.ops) {
      for (const key of keys) rejectedKeys.set(rowId(table, key), { table, key });
    }
  }

  const working = new Map<string, WorkingRow>();
  const load = (table: string, key: string): WorkingRow => {
    const id = rowId(table, key);
    let row = working.get(id);
    if (!row) {
      const stored = state.row(table, key);
      row = {
        table,
        key,
        realmId: stored?.realmId ?? (writer as string),
        owner: stored?.owner ?? null,
        value: stored?.value ? (decodeTson(stored.value) as Value) : null,
        dirty: false,
        existed: stored !== undefined,
      };
      working.set(id, row);
    }
    return row;
  };
  const applied: ClientTransaction[] = [];
  for (const transaction of accepted) {
    const saved = saveRows(transaction, load);
    try {
      for (const entry of transaction.ops) applyOperation(entry, writer as string, load);
      for (const { row } of saved) row.encoded = row.value === null ? undefined : encodeRow(row, row.value);
      applied.push(transaction);
    } catch (error) {
      // A malformed change spec (a @@propmod term of the wrong type) is the client's bug whatever
      // is stored: it stays a 400 of the whole request.
      if (!(error instanceof DxcError) || !STATE_DEPENDENT_ERRORS.has(error.code)) throw error;
      for (const before of saved) restoreRow(before);
      rejections.push({ name: error.code, message: error.message, txid: transaction.txid ?? '' });
      for (const { row } of saved) rejectedKeys.set(rowId(row.table, row.key), { table: row.table, key: row.key });
    }
  }

  const writes: RowWrite[] = [];
  const encoded = new Map<string, RowWrite>();
  for (const [id, row] of working) {
    // A key created and deleted within this push needs no tombstone: no reader ever saw it.
    if (!row.dirty || (!row.existed && row.value === null)) continue;
    const write = toWrite(row);
    writes.push(write);
    encoded.set(id, write);
  }
  const rollback = [...rejectedKeys].map(([id, { table, key }]): RollbackRow => {
    const stored = state.row(table, key);
    return { table, key, state: encoded.get(id) ?? (stored ? toStateOf(stored) : undefined) };
  });
  const appliedTxids = applied.flatMap((t) => (t.txid === undefined ? [] : [t.txid]));
  return { writes, appliedTxids, rejections, rollback };
}

function toStateOf(row: RowWrite): RowWrite {
  return { table: row.table, key: row.key, realmId: row.realmId, owner: row.owner, value: row.value };
}

/**
 * The rows `transaction` touches as they are now. Values that operations patch in place are
 * cloned; the others are replaced whole, so keeping the reference is enough.
 */
function saveRows(transaction: ClientTransaction, load: (table: string, key: string) => WorkingRow): SavedRow[] {
  const saved = new Map<WorkingRow, SavedRow>();
  for (const { table, op, keys } of transaction.ops) {
    const patches = op.type === 'update' || op.type === 'modify' || (op.type === 'upsert' && op.changeSpecs !== undefined);
    for (const key of keys) {
      const row = load(table, key);
      if (saved.has(row)) continue;
      const value = row.value && patches ? (decodeTson(row.encoded ?? encodeTson(row.value)) as Value) : row.value;
      saved.set(row, { row, realmId: row.realmId, owner: row.owner, value, dirty: row.dirty, encoded: row.encoded });
    }
  }
  return [...saved.values()];
}

function restoreRow({ row, realmId, owner, value, dirty, encoded }: SavedRow): void {
  row.realmId = realmId;
  row.owner = owner;
  row.value = value;
  row.dirty = dirty;
  row.encoded = encoded;
}

/** The TSON of a live row, refused if it outgrew the row limit (or the depth limit, by encodeTson). */
function encodeRow(row: WorkingRow, live: Value): string {
  const value = encodeTson(live);
  if (value.length > MAX_ROW_BYTES) {
    throw new DxcError('row-too-large', `${row.table} ${row.key} would grow to ${value.length} bytes; the limit is ${MAX_ROW_BYTES}`);
  }
  return value;
}

function toWrite(row: WorkingRow): RowWrite {
  if (row.value === null) return { table: row.table, key: row.key, realmId: row.realmId, owner: row.owner, value: null };
  const value = row.encoded ?? encodeRow(row, row.value);
  const owner = typeof row.value.owner === 'string' ? row.value.owner : null;
  return { table: row.table, key: row.key, realmId: row.realmId, owner, value };
}

function applyOperation(
  { table, op, keys }: KeyedOperation,
  writer: string,
  load: (table: string, key: string) => WorkingRow,
): void {
  keys.forEach((key, index) => {
    const row = load(table, key);
    const patch = (spec: Value | null | undefined): boolean => {
      if (!spec || row.value === null) return false;
      try {
        applyChangeSpec(row.value, spec);
      } catch (error) {
        // A @@propmod whose term has the wrong type (Dexie throws TypeError for it).
        throw new DxcError('invalid-request', `${table} ${key}: ${(error as Error).message}`, { cause: error });
      }
      row.dirty = true;
      return true;
    };
    switch (op.type) {
      case 'insert':
      case 'upsert': {
        if (op.type === 'upsert' && patch(op.changeSpecs?.[index])) return;
        const value = { ...(op.values[index] as Value) };
        // A new key gets the writer's realm; an existing one keeps its own (refuseClaims checked it).
        value.realmId ??= row.realmId;
        value.owner ??= writer;
        row.value = value;
        row.realmId = value.realmId as string;
        row.dirty = true;
        return;
      }
      case 'update':
        patch(op.changeSpecs[index]);
        return;
      case 'modify':
        // One spec patches many rows: each gets its own deep copy, so no two rows share an object.
        patch(keys.length > 1 ? (decodeTson(encodeTson(op.changeSpec)) as Value) : op.changeSpec);
        return;
      case 'delete':
        if (row.value !== null) {
          row.value = null;
          row.dirty = true;
        }
        return;
    }
  });
}
