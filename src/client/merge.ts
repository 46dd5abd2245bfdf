/**
 * Merging server changes with local edits that the server has not seen yet (protocol §2.7).
 *
 * Both sides are reduced to one mutation per key, `ups` (whole row), `upd` (change spec) or `del`,
 * then the local ones are subtracted from the server's:
 * - a local `ups` or `del` wins over any server change, a server `del` included: the pending write
 *   is pushed next and commits after that delete, so the server will hold the local row (the addon
 *   keeps the delete, which leaves the device without a row the server has until some later pull);
 * - a local `upd` is patched into a server `ups`, removes its own props from a server `upd`, and
 *   leaves a server `del` alone.
 * The server answers the next push with the canonical row, so this only protects pending edits
 * until they have been pushed.
 *
 * Maps rather than objects hold keys, because a key is user data ("__proto__" is a valid key).
 */
import { applyChangeSpec, type DBOperation } from 'dxc/protocol';

export type KeyMutation =
  | { type: 'ups'; val: Record<string, unknown> }
  | { type: 'upd'; mod: Record<string, unknown> }
  | { type: 'del' };

/** table → wire key → the net mutation of that key. */
export type KeyMutationSet = Map<string, Map<string, KeyMutation>>;

/** Fold `op` (with keys already in wire form) into `set`, later operations refining earlier ones. */
export function addOperation(set: KeyMutationSet, table: string, op: DBOperation<string>): void {
  let rows = set.get(table);
  if (!rows) set.set(table, (rows = new Map()));
  op.keys.forEach((key, i) => {
    switch (op.type) {
      case 'insert':
      case 'upsert':
        // No copy: every caller passes values it owns (just decoded from the wire or just read from
        // the outbox), and a copy of a 100,000-row initial sync doubled its peak heap.
        rows.set(key, { type: 'ups', val: op.values[i] as Record<string, unknown> });
        break;
      case 'delete':
        rows.set(key, { type: 'del' });
        break;
      case 'update':
      case 'modify': {
        const mod = (op.type === 'update' ? op.changeSpecs[i] : op.changeSpec) ?? {};
        const prior = rows.get(key);
        if (!prior) rows.set(key, { type: 'upd', mod: { ...mod } });
        else if (prior.type === 'ups') applyChangeSpec(prior.val, mod);
        else if (prior.type === 'upd') Object.assign(prior.mod, mod);
        break;
      }
    }
  });
}

export function toKeyMutationSet(changes: { table: string; muts: DBOperation<string>[] }[]): KeyMutationSet {
  const set: KeyMutationSet = new Map();
  for (const { table, muts } of changes) for (const op of muts) addOperation(set, table, op);
  return set;
}

/** Remove from `server` what the pending `local` mutations must keep (rules above). In place. */
export function subtractLocal(server: KeyMutationSet, local: KeyMutationSet): void {
  for (const [table, localRows] of local) {
    const serverRows = server.get(table);
    if (!serverRows) continue;
    for (const [key, mine] of localRows) {
      const theirs = serverRows.get(key);
      if (!theirs) continue;
      if (mine.type === 'del' || mine.type === 'ups') {
        serverRows.delete(key);
      } else if (mine.type === 'upd') {
        if (theirs.type === 'ups') applyChangeSpec(theirs.val, mine.mod);
        else if (theirs.type === 'upd') for (const path of Object.keys(mine.mod)) delete theirs.mod[path];
      }
    }
  }
}
