/**
 * What a client receives: the changes of the realms it already holds since its cursor, and the full
 * state of any realm it could not read at its last pull (a first sync, an anonymous client that
 * just logged in, a new device of an account with data).
 */
import { MAX_PULL_PAGE_BYTES, type PullPage, type SyncRequest } from 'dxc/protocol';
import type { DataStore, PageQuery, RowsAtRevision, StoredRow } from '../storage/data-store.js';

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

/** A page of a paged pull (dxc extension, docs/protocol.md#paged-pulls). */
export interface PulledPage extends RowsAtRevision {
  /** Realms the answer reports: those the client holds once it has applied this page. */
  readonly realms: readonly string[];
  /** Where the pull goes on, or undefined on its last page. */
  readonly next: PullPage | undefined;
  /** Rows left after this page. */
  readonly remaining: number;
}

/**
 * The next page of a pull for a client that asked for pages. A first page fixes the pull's head
 * (the current revision) and which realms are known (changes after the cursor) or fresh (live
 * rows); later pages go on from the client's `dxcPage`, for the realms it names that the user may
 * still read. A row changed after the head is left out of every page and arrives with the next
 * pull, so pages never hold a row twice and the last one brings the client to the head.
 * Until then the answer reports the client's old revision and realms: a client that loses its
 * place starts again and misses nothing.
 */
export async function readPullPage(
  store: DataStore,
  request: SyncRequest,
  dbId: string,
  currentRevision: number,
  readable: readonly string[],
  limit: number,
): Promise<PulledPage> {
  const page = request.dxcPage;
  const sameDb = request.dbID === undefined || request.dbID === dbId;
  let query: PageQuery;
  if (page && sameDb && page.head <= currentRevision) {
    query = {
      head: page.head,
      cursor: page.cursor ?? 0,
      known: page.cursor === null ? [] : page.known.filter((realm) => readable.includes(realm)),
      fresh: page.fresh.filter((realm) => readable.includes(realm)),
      after: page.after,
      limit,
    };
  } else {
    const cursor = clientCursor(request, dbId, currentRevision);
    const lastRealms = request.lastPull?.realms ?? [];
    const known = cursor === undefined ? [] : readable.filter((realm) => lastRealms.includes(realm));
    query = { head: currentRevision, cursor: cursor ?? 0, known, fresh: readable.filter((realm) => !known.includes(realm)), after: undefined, limit };
  }
  const fetched = await store.pageRows(query);
  const rows = withinBytes(fetched);
  const last = rows.at(-1);
  const after: [number, string, string] | undefined = last && [last.revision, last.table, last.key];
  const full = rows.length < fetched.length || fetched.length === limit;
  const remaining = after && full ? await store.countPageRows({ ...query, after }) : 0;
  if (remaining === 0) {
    const realms = readable.filter((realm) => query.known.includes(realm) || query.fresh.includes(realm));
    return { revision: query.head, rows, realms, next: undefined, remaining };
  }
  const cursor = query.known.length > 0 ? query.cursor : null;
  const next: PullPage = { head: query.head, cursor, known: [...query.known], fresh: [...query.fresh], after: after! };
  return { revision: cursor ?? 0, rows, realms: query.known, next, remaining };
}

/** The leading rows whose values fit MAX_PULL_PAGE_BYTES (at least one, however large). */
function withinBytes(rows: StoredRow[]): StoredRow[] {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += rows[i]!.value?.length ?? 0;
    if (bytes > MAX_PULL_PAGE_BYTES && i > 0) return rows.slice(0, i);
  }
  return rows;
}
