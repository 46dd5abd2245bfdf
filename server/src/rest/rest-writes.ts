/**
 * Writes of the REST API, with global authority: upsert objects into any realm, delete any row.
 * They go through the same DataStore push transaction as `/sync` (one revision per request, all
 * or nothing) and are published on the change bus, so WebSocket clients see them live.
 */
import { encodeTson, normalizeKey, validateRowValue, DxcError, MAX_PRIMARY_KEY_LENGTH } from 'dxc/protocol';
import type { ServerContext } from '../context.js';
import type { PushPlan, RowWrite } from '../storage/data-store.js';

/** Who writes, for the store's per-writer bookkeeping: API clients never collide with user ids. */
const writerOf = (clientId: string): string => `client:${clientId}`;

export interface UpsertResult {
  /** The primary keys written, in request order. */
  readonly keys: string[];
  readonly revision: number;
}

/** Turn posted objects into row writes; throws DxcError (400) on the first bad one, before any write. */
export function planUpserts(table: string, objects: readonly unknown[], primaryKey: string): RowWrite[] {
  const writes = new Map<string, RowWrite>();
  objects.forEach((object, index) => {
    validateRowValue(object);
    const value = object as Record<string, unknown>;
    const { realmId, owner } = value;
    if (typeof realmId !== 'string' || realmId.length === 0 || realmId.length > MAX_PRIMARY_KEY_LENGTH) {
      throw new DxcError('invalid-request', `Object ${index} needs a realmId (POST /all writes into any realm, so it must say which)`);
    }
    if (owner !== undefined && owner !== null && typeof owner !== 'string') {
      throw new DxcError('invalid-request', `Object ${index}: owner must be a string`);
    }
    const key = normalizeKey(value[primaryKey]);
    // The same key twice in one request: the later object wins, as two requests in a row would.
    writes.delete(key);
    writes.set(key, { table, key, realmId, owner: typeof owner === 'string' ? owner : null, value: encodeTson(value) });
  });
  return [...writes.values()];
}

export async function upsertRows(context: ServerContext, clientId: string, writes: readonly RowWrite[]): Promise<UpsertResult> {
  const plan: PushPlan = { writes, appliedTxids: [] };
  const outcome = await context.storage.data.applyPush({ userId: writerOf(clientId), keys: writes, plan: () => plan });
  if (outcome.committed) {
    context.changes.publish({ revision: String(outcome.revision), realms: [...new Set(writes.map((w) => w.realmId))] });
  }
  return { keys: writes.map((w) => w.key), revision: outcome.revision };
}

/** Delete one row (leaving a tombstone in its realm); false when there was no live row. */
export async function deleteRow(context: ServerContext, clientId: string, table: string, key: string): Promise<boolean> {
  const outcome = await context.storage.data.applyPush({
    userId: writerOf(clientId),
    keys: [{ table, key }],
    plan(state): PushPlan {
      const current = state.row(table, key);
      if (!current || current.value === null) return { writes: [], appliedTxids: [] };
      return { writes: [{ table, key, realmId: current.realmId, owner: current.owner, value: null }], appliedTxids: [] };
    },
  });
  if (outcome.committed) {
    context.changes.publish({ revision: String(outcome.revision), realms: outcome.plan.writes.map((w) => w.realmId) });
  }
  return outcome.committed;
}
