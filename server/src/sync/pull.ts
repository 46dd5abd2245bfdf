/**
 * What a client receives: the changes of the realms it already holds since its cursor, and the full
 * state of any realm it could not read at its last pull (a first sync, an anonymous client that
 * just logged in, a new device of an account with data).
 */
import type { SyncRequest } from 'dxc/protocol';
import type { DataStore, RowsAtRevision, StoredRow } from '../storage/data-store.js';

/**
 * A revision this server could have issued, as a client echoes it (`lastPull.serverRevision`, a
 * `ready` message's `rev`): decimal, 1 to 15 digits; longer strings cannot be revisions of this
 * server (2^53 has 16 digits).
 */
export const REVISION_PATTERN = /^\d{1,15}$/;

/**
 * The client's cursor, or undefined when it has none this server can honour: no `lastPull`, a
 * revision of another database (`dbID` differs) or another format, or one from the future (the
 * data directory was replaced). Without a cursor the client gets a full snapshot.
 */
export function clientCursor(request: SyncRequest, dbId: string, currentRevision: number): number | undefined {
  const lastPull = request.lastPull;
  if (!lastPull) return undefined;
  if (request.dbID !== undefined && request.dbID !== dbId) return undefined;
  const text = String(lastPull.serverRevision);
  if (!REVISION_PATTERN.test(text)) return undefined;
  const revision = Number(text);
  return revision <= currentRevision ? revision : undefined;
}

/**
 * Rows to send and the revision they bring the client to. Changes are read before the snapshot so
 * that, on a backend where a commit can land between the two reads, the reported revision is the
 * older one: the client then receives the newer rows once more, which is harmless, and misses none.
 */
export async function readPull(
  store: DataStore,
  cursor: number | undefined,
  knownRealms: readonly string[],
  readable: readonly string[],
): Promise<RowsAtRevision> {
  const known = cursor === undefined ? [] : readable.filter((realm) => knownRealms.includes(realm));
  const fresh = readable.filter((realm) => !known.includes(realm));
  const rows: StoredRow[] = [];
  let revision: number | undefined;
  if (known.length > 0) {
    const changes = await store.changesSince(cursor as number, known);
    revision = changes.revision;
    rows.push(...changes.rows);
  }
  if (fresh.length > 0) {
    const snapshot = await store.snapshot(fresh);
    revision ??= snapshot.revision;
    rows.push(...snapshot.rows);
  }
  return { revision: revision ?? (await store.currentRevision()), rows };
}
