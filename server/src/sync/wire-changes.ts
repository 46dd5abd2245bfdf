/**
 * Server changes on the wire: the final state of each changed key, grouped per table, as `upsert`
 * (live rows the reader may see) and `delete` (tombstones, and rows the reader may not see). Never
 * `insert`: the client applies inserts with `bulkAdd`, which aborts its whole sync transaction when
 * the key already exists (protocol.md §2.7).
 *
 * Rows are stored as TSON text, and TSON is compositional, so the stored text is spliced into the
 * message as is rather than decoded and encoded again for every pull.
 */
import { encodeTson } from 'dxc/protocol';
import type { RowWrite } from '../storage/data-store.js';

/** What the wire needs of a row. */
export type WireRow = Pick<RowWrite, 'table' | 'key' | 'realmId' | 'value'>;

interface TableGroup {
  upsertKeys: string[];
  upsertValues: string[];
  deleteKeys: string[];
}

/**
 * The TSON text of a `DBOperationsSet<string>` holding the final state of `rows`. A key that
 * appears twice keeps its first occurrence.
 */
export function encodeChanges(rows: Iterable<WireRow>, readableRealms: ReadonlySet<string>): string {
  const tables = new Map<string, TableGroup>();
  const seen = new Set<string>();
  for (const row of rows) {
    const id = `${row.table}\u0000${row.key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    let group = tables.get(row.table);
    if (!group) {
      group = { upsertKeys: [], upsertValues: [], deleteKeys: [] };
      tables.set(row.table, group);
    }
    if (row.value !== null && readableRealms.has(row.realmId)) {
      group.upsertKeys.push(row.key);
      group.upsertValues.push(row.value);
    } else {
      group.deleteKeys.push(row.key);
    }
  }
  const sets: string[] = [];
  for (const [table, group] of tables) {
    const muts: string[] = [];
    if (group.upsertKeys.length > 0) {
      muts.push(
        `{"type":"upsert","keys":${JSON.stringify(group.upsertKeys)},"values":[${group.upsertValues.join(',')}]}`,
      );
    }
    if (group.deleteKeys.length > 0) muts.push(`{"type":"delete","keys":${JSON.stringify(group.deleteKeys)}}`);
    sets.push(`{"table":${JSON.stringify(table)},"muts":[${muts.join(',')}]}`);
  }
  return `[${sets.join(',')}]`;
}

/** TSON text of `envelope` with a `changes` field whose TSON text is already made. */
export function encodeWithChanges(envelope: Record<string, unknown>, changesText: string): string {
  const head = encodeTson(envelope);
  return head === '{}' ? `{"changes":${changesText}}` : `${head.slice(0, -1)},"changes":${changesText}}`;
}
