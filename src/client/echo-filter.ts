/**
 * The server answers a push with the canonical state of every key it touched (protocol §2.7), so
 * a client that pushed 10,000 rows gets the same 10,000 rows back. Writing them again costs as much
 * IndexedDB time as the app's own write (bench/sync-throughput.ts: about a quarter of the page's
 * work). When the server's row is exactly what this request pushed, the local row already is that
 * value: applying it would change nothing, so the echo is dropped.
 *
 * Conservative by construction: only keys pushed once in the request, by a whole-row insert or
 * upsert, in a request the server refused nothing of; any difference keeps the server's row.
 */
import type { DBOperationsSet } from 'dxc/protocol';
import type { KeyMutationSet } from './merge.js';

/** Remove from `server` the `ups` rows equal to what `pushed` sent for the same key. In place. */
export function dropEchoes(server: KeyMutationSet, pushed: DBOperationsSet<unknown>, refusedAny: boolean): void {
  if (refusedAny) return;
  for (const { table, muts } of pushed) {
    const serverRows = server.get(table);
    if (!serverRows) continue;
    const sent = new Map<unknown, unknown>();
    const touchedTwice = new Set<unknown>();
    for (const op of muts) {
      op.keys.forEach((key, i) => {
        if (sent.has(key) || touchedTwice.has(key)) {
          sent.delete(key);
          touchedTwice.add(key);
        } else if (op.type === 'insert' || op.type === 'upsert') {
          if (op.type === 'upsert' && op.changeSpecs) touchedTwice.add(key);
          else sent.set(key, op.values[i]);
        } else {
          touchedTwice.add(key);
        }
      });
    }
    for (const [key, value] of sent) {
      const theirs = serverRows.get(key as string);
      if (theirs?.type === 'ups' && sameValue(theirs.val, value)) serverRows.delete(key as string);
    }
  }
}

/** Structural equality of TSON-able values; anything unusual (binary, class instances) is "different". */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  // Plain objects only; decoded rows may have a null prototype, local ones Object.prototype.
  if (!isPlain(a) || !isPlain(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  for (const key of keysA) {
    if (!Object.hasOwn(b, key) || !sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
