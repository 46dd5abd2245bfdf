/**
 * One `/sync` round trip: push the outbox, pull what changed since `lastPull`, and merge the answer
 * in one IndexedDB transaction. Acknowledged outbox rows are deleted in that same transaction, so
 * a crash either keeps both the rows and their outbox entries or neither; rows written during the
 * round trip stay queued and are protected by merge.ts, then go out with the next round trip.
 */
import type { Dexie } from 'dexie';
import { encodeTson, UNAUTHORIZED_USER_ID, type SyncRequest, type SyncResponse } from 'dxc/protocol';
import { applyKeyMutations, localKeyMutations, toWireOperation } from './apply-changes.js';
import type { Engine } from './engine.js';
import { DXC_VERSION } from './engine.js';
import { dropEchoes } from './echo-filter.js';
import { randomId } from './ids.js';
import { DxcHttpError, dxcError } from './errors.js';
import { postTson } from './http.js';
import { subtractLocal, toKeyMutationSet } from './merge.js';
import { markUntracked, type OutboxEntry } from './outbox-middleware.js';
import { applyUnsyncedTables, outboxTable } from './schema.js';
import type { PersistedSyncState } from './types.js';

/**
 * `done`: nothing more to do; `again`: entries are left in the outbox (written meanwhile, or past
 * this push's limits); `more`: the server has more pages of this pull.
 */
export type SyncOutcome = 'done' | 'again' | 'more' | 'skipped';

/**
 * Rows the client asks for per page of a pull (dxc-server's `dxcPageRows`; the server also caps a
 * page at MAX_PULL_PAGE_BYTES), so a first sync of a large account streams with progress in
 * bounded memory. Dexie Cloud ignores it and answers in one. @default 10000
 */
export const PULL_PAGE_ROWS = 10_000;

/** The protocol version dxc speaks: 2 means "no BlobRefs" (large values stay inline). */
const PROTOCOL_VERSION = 2;

export async function readOutbox(db: Dexie, tables: string[]): Promise<Record<string, OutboxEntry[]>> {
  const out: Record<string, OutboxEntry[]> = {};
  for (const table of tables) {
    const entries = (await db.table(outboxTable(table)).toArray()) as OutboxEntry[];
    if (entries.length) out[table] = entries;
  }
  return out;
}

/**
 * What this round trip pushes: the outbox as cut by the splitter, under `MAX_PUSH_BYTES`
 * (push-batch.ts, loaded on the first push; an empty outbox never loads it). If the splitter
 * cannot load (an app offline with a stale cache), push everything: the server's limit is far
 * above what one transaction writes.
 */
const pushBatch = (outbox: Record<string, OutboxEntry[]>): Record<string, OutboxEntry[]> | Promise<Record<string, OutboxEntry[]>> =>
  Object.keys(outbox).length
    ? import('./push-batch.js').then(({ selectPush }) => selectPush(outbox, (entry) => encodeTson(entry).length), () => outbox)
    : outbox;

export async function syncOnce(engine: Engine, purpose: 'push' | 'pull'): Promise<SyncOutcome> {
  const db = engine.vip;
  const tables = engine.syncedTables();
  const loggedIn = engine.isLoggedIn();
  const userId = engine.currentUserId();
  // One read transaction for what the request needs: each IndexedDB transaction costs a few ms on
  // the path from a local write to the other devices.
  const [state, queued, baseRevs] = await db.transaction('r', ['$syncState', '$baseRevs', ...tables.map(outboxTable)], async () => [
    await engine.loadSyncState(),
    loggedIn ? await readOutbox(db, tables) : {},
    (await db.table('$baseRevs').toArray()) as SyncRequest['baseRevs'],
  ] as const);
  const sameUser = state?.userId === (loggedIn ? userId : UNAUTHORIZED_USER_ID);
  const outbox = await pushBatch(queued);
  const pushing = Object.keys(outbox).length > 0;
  if (purpose === 'push' && !pushing && state?.initiallySynced && sameUser) return 'skipped';
  // A paged pull goes on where it was, for the same user; a page lost with the tab starts it over.
  const owner = loggedIn ? userId : UNAUTHORIZED_USER_ID;
  const paging = engine.pullPage?.userId === owner && sameUser ? engine.pullPage : undefined;
  const latest: Record<string, number> = {};
  for (const [table, entries] of Object.entries(outbox)) latest[table] = entries[entries.length - 1]!.rev!;

  const request: SyncRequest = {
    v: PROTOCOL_VERSION,
    ...(state?.remoteDbId ? { dbID: state.remoteDbId } : {}),
    clientIdentity: state?.clientIdentity ?? randomId(),
    schema: engine.schema,
    lastPull:
      state?.serverRevision && sameUser
        ? { serverRevision: state.serverRevision, realms: state.realms, inviteRealms: state.inviteRealms }
        : undefined,
    baseRevs,
    changes: Object.entries(outbox).map(([table, entries]) => ({
      table,
      muts: entries.map((entry) => toWireOperation(db, table, entry, userId)),
    })),
    y: [],
    dxcv: DXC_VERSION,
    dxcPageRows: PULL_PAGE_ROWS,
    ...(paging ? { dxcPage: paging.page } : {}),
  };
  engine.setPhase(paging && !pushing ? 'pulling' : 'pushing');
  const res = await post(engine, request, loggedIn);
  engine.setPhase('pulling');
  validateResponse(res);
  const again = await applyResponse(engine, res, request, latest, state, owner);
  const next = res.dxcPage;
  if (next && typeof next === 'object') {
    const pulled = (paging?.pulled ?? 0) + res.changes.reduce((n, set) => n + set.muts.reduce((m, mut) => m + mut.keys.length, 0), 0);
    engine.pullPage = { userId: owner, page: next, pulled };
    engine.progress = Math.floor((100 * pulled) / (pulled + Math.max(0, Number(res.dxcRemaining) || 0)));
    engine.setPhase('pulling');
    return 'more';
  }
  engine.pullPage = engine.progress = undefined;
  return again ? 'again' : 'done';
}

async function post(engine: Engine, request: SyncRequest, loggedIn: boolean): Promise<SyncResponse> {
  const url = `${engine.databaseUrl}/sync`;
  const token = loggedIn ? await engine.accessToken() : undefined;
  try {
    return await postTson<SyncResponse>(url, request, token);
  } catch (error) {
    // The server's clock decides expiry: a token we still trust may be stale there. Refresh once.
    if (!(loggedIn && error instanceof DxcHttpError && error.status === 401)) throw error;
    return postTson<SyncResponse>(url, request, await engine.accessToken(true));
  }
}

function validateResponse(res: SyncResponse): void {
  const ok =
    typeof res?.serverRevision === 'string' &&
    res.serverRevision !== '' &&
    Array.isArray(res.realms) &&
    Array.isArray(res.changes) &&
    res.schema instanceof Object;
  if (!ok) throw dxcError('sync-failed', 'Invalid /sync response');
}

async function applyResponse(
  engine: Engine,
  res: SyncResponse,
  request: SyncRequest,
  latest: Record<string, number>,
  previous: PersistedSyncState | undefined,
  userId: string,
): Promise<boolean> {
  const db = engine.vip;
  const tables = engine.syncedTables();
  let addedMeanwhile = false;
  let state!: PersistedSyncState;
  await db.transaction('rw', [...tables, ...tables.map(outboxTable), '$syncState', '$baseRevs'], async (tx) => {
    markUntracked(tx.idbtrans);
    // The server's schema entries replace ours (it decides id prefixes); local-only stays local.
    for (const [table, entry] of Object.entries(res.schema)) {
      if (engine.schema[table] && entry && typeof entry === 'object') engine.schema[table] = { ...entry };
    }
    applyUnsyncedTables(engine.schema, engine.options?.unsyncedTables);
    await tx.table('$syncState').put(engine.schema, 'schema');
    engine.schemaConfirmed = true;

    const pending: Record<string, OutboxEntry[]> = {};
    for (const table of tables) {
      const outbox = tx.table(outboxTable(table));
      const acked = latest[table] ?? 0;
      if (acked) await outbox.where('rev').belowOrEqual(acked).delete();
      const added = (await outbox.where('rev').above(acked).toArray()) as OutboxEntry[];
      if (added.length) pending[table] = added;
    }
    addedMeanwhile = Object.keys(pending).length > 0;
    const server = toKeyMutationSet(res.changes);
    dropEchoes(server, request.changes, (res.rejections?.length ?? 0) > 0);
    subtractLocal(server, localKeyMutations(db, pending, userId));
    await applyKeyMutations(db, server, userId);
    // A page's realms are only those the client knew: realms are settled with the last page.
    if (!res.dxcPage) await deleteRowsOfLostRealms(db, tables, previous, res);

    await tx.table('$baseRevs').clear();
    await tx.table('$baseRevs').bulkPut(
      tables.map((tableName) => ({ tableName, clientRev: (latest[tableName] ?? 0) + 1, serverRev: res.serverRevision })),
    );
    // Until a paged pull's last page, the client's place stays where it was (protocol.md#paged-pulls).
    const kept = previous?.userId === userId ? previous : undefined;
    const place = res.dxcPage
      ? { serverRevision: kept?.serverRevision, realms: kept?.realms ?? [], inviteRealms: kept?.inviteRealms ?? [], initiallySynced: !!kept?.initiallySynced }
      : { serverRevision: res.serverRevision, realms: res.realms, inviteRealms: res.inviteRealms ?? [], initiallySynced: true };
    state = {
      ...place,
      latestRevisions: { ...previous?.latestRevisions, ...latest },
      clientIdentity: request.clientIdentity!,
      remoteDbId: res.dbId,
      syncedTables: tables,
      timestamp: new Date(),
      userId,
    };
    await tx.table('$syncState').put(state, 'syncState');
  });
  engine.persistedSyncState.next(state);
  return addedMeanwhile;
}

/** Rows of realms we may no longer read (a realm left, or another user) are removed locally. */
async function deleteRowsOfLostRealms(
  db: Dexie,
  tables: string[],
  previous: PersistedSyncState | undefined,
  res: SyncResponse,
): Promise<void> {
  const now = new Set([...res.realms, ...(res.inviteRealms ?? [])]);
  const lost = new Set((previous?.realms ?? []).filter((realm) => !now.has(realm)));
  if (!lost.size) return;
  for (const table of tables) {
    await db
      .table(table)
      .filter((row: { realmId?: string }) => row.realmId !== undefined && lost.has(row.realmId))
      .delete();
  }
}
