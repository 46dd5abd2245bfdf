/**
 * Which outbox entries go in one push. A large outbox (weeks offline, a bulk import) goes out in
 * several `/sync` requests, each under the server's body limit, instead of one request the server
 * refuses with 413 on every retry. The cut keeps two rules: each table sends a prefix of its
 * outbox (acknowledgement deletes by revision), and a transaction is never split between requests
 * (the server applies a txid once, so a second part would be skipped as a duplicate).
 *
 * Loaded on demand (sync.ts) by the first push; it imports nothing at run time, so that bundlers
 * give it a chunk of its own. `sizeOf` is the wire size of an entry.
 */
import type { OutboxEntry } from './outbox-middleware.js';

/**
 * Bytes of one push, counted as the TSON text of its operations; a push ends with the transaction
 * that crosses it. Far below the server's 64 MiB default. @default 4 MiB
 */
export const MAX_PUSH_BYTES = 4 * 1024 * 1024;

export function selectPush(
  outbox: Record<string, OutboxEntry[]>,
  sizeOf: (entry: OutboxEntry) => number,
  budget = MAX_PUSH_BYTES,
): Record<string, OutboxEntry[]> {
  const tables = Object.entries(outbox);
  let room = budget;
  const cut = tables.map(([, entries]) => {
    let n = 0;
    while (n < entries.length && room > 0) room -= sizeOf(entries[n++]!);
    return n;
  });
  // Shrink each prefix to end before any transaction that has an entry left out, until stable.
  for (let shrunk = true; shrunk; ) {
    shrunk = false;
    const left = new Set(tables.flatMap(([, entries], t) => entries.slice(cut[t]).map((e) => e.txid)));
    tables.forEach(([, entries], t) => {
      const n = entries.findIndex((e, i) => i < cut[t]! && left.has(e.txid));
      if (n >= 0) (cut[t] = n), (shrunk = true);
    });
  }
  const batch = Object.fromEntries(tables.map(([table, entries], t) => [table, entries.slice(0, cut[t])]).filter(([, e]) => e!.length));
  // The first transactions reach past the budget: allow more until they fit (at worst, everything).
  return Object.keys(batch).length || !tables.length ? batch : selectPush(outbox, sizeOf, budget * 2);
}
