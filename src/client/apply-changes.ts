/**
 * Writing server changes into the local tables, inside the caller's (untracked) transaction, after
 * merge.ts has removed what pending local edits must keep. Also the shared helpers that turn
 * outbox rows into wire operations.
 */
import { Dexie } from 'dexie';
import { applyChangeSpec, type DBOperation } from 'dxc/protocol';
import { decodeKeyFromServer, encodeKeyForServer } from './ids.js';
import { addOperation, type KeyMutationSet } from './merge.js';
import type { OutboxEntry } from './outbox-middleware.js';

/** Outbox rows as wire operations: keys encoded (`#` ids get the user suffix, arrays become JSON). */
export function toWireOperation(db: Dexie, table: string, entry: OutboxEntry, userId: string): DBOperation<string> {
  const keys = entry.keys.map((key) => encodeKeyForServer(key, userId));
  const op = { ...entry, keys } as DBOperation<string>;
  const keyPath = db.table(table).schema.primKey.keyPath;
  if ((op.type === 'insert' || op.type === 'upsert') && typeof keyPath === 'string') {
    // A private id's row carries the encoded key too, as the server stores it.
    op.values = op.values.map((value, i) => {
      if (keys[i] === entry.keys[i] || typeof value !== 'object' || value === null) return value;
      const copy = structuredClone(value) as Record<string, unknown>;
      Dexie.setByKeyPath(copy, keyPath, keys[i]);
      return copy;
    });
  }
  return op;
}

/** Pending local mutations per table, keyed like the server's. */
export function localKeyMutations(
  db: Dexie,
  pending: Record<string, OutboxEntry[]>,
  userId: string,
): KeyMutationSet {
  const set: KeyMutationSet = new Map();
  for (const [table, entries] of Object.entries(pending)) {
    for (const entry of entries) addOperation(set, table, toWireOperation(db, table, entry, userId));
  }
  return set;
}

/** Apply the net server mutations. Tables this client does not have are skipped. */
export async function applyKeyMutations(db: Dexie, set: KeyMutationSet, userId: string): Promise<void> {
  for (const [tableName, rows] of set) {
    if (!db.tables.some((t) => t.name === tableName) || tableName.startsWith('$')) continue;
    const table = db.table(tableName);
    const keyPath = table.schema.primKey.keyPath;
    const outbound = !keyPath;
    const putValues: unknown[] = [];
    const putKeys: unknown[] = [];
    const deleteKeys: unknown[] = [];
    for (const [wireKey, mutation] of rows) {
      const key = decodeKeyFromServer(wireKey, userId);
      if (mutation.type === 'del') {
        deleteKeys.push(key);
      } else if (mutation.type === 'ups') {
        if (keyPath) Dexie.setByKeyPath(mutation.val, keyPath, key);
        putValues.push(mutation.val);
        putKeys.push(key);
      } else {
        const row = (await table.get(key as never)) as Record<string, unknown> | undefined;
        if (!row) continue; // an update of a row we never had: the next full pull brings it
        const spec = { ...mutation.mod };
        if (typeof keyPath === 'string') delete spec[keyPath];
        applyChangeSpec(row, spec);
        await (outbound ? table.put(row, key as never) : table.put(row));
      }
    }
    if (putValues.length) await (outbound ? table.bulkPut(putValues, putKeys as never) : table.bulkPut(putValues));
    if (deleteKeys.length) await table.bulkDelete(deleteKeys as never);
  }
}
