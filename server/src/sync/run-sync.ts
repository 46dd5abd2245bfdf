/**
 * One `/sync` round trip after the request is authenticated, decoded and validated: apply the
 * pushed changes (or refuse them per client transaction), publish the commit, and answer with the
 * changes the client has not seen, the rollback state of refused transactions and the realms.
 */
import type { SyncRequest } from 'dxc/protocol';
import type { Principal, ServerContext } from '../context.js';
import type { DataStore, PushState, RowKey, RowWrite } from '../storage/data-store.js';
import { clientCursor, readPull, readPullPage } from './pull.js';
import { preparePush, type SyncPushPlan } from './push-plan.js';
import { openRealmOf, readableRealms, writeScope } from './realms.js';
import { encodeChanges, encodeWithChanges, type WireRow } from './wire-changes.js';

/** Run a sync for `principal` and return the response as TSON text. */
export async function runSync(context: ServerContext, principal: Principal, request: SyncRequest): Promise<string> {
  const store = context.storage.data;
  const readable = readableRealms(principal, openRealmOf(context.config));
  const pushed = request.changes.some((set) => set.muts.length > 0) ? await push(context, principal, request) : undefined;

  const [dbId, current] = await Promise.all([store.dbId(), store.currentRevision()]);
  const paged =
    request.dxcPageRows === undefined
      ? undefined
      : await readPullPage(store, request, dbId, current, readable, request.dxcPageRows);
  const pulled = paged ?? (await readPull(store, clientCursor(request, dbId, current), request.lastPull?.realms ?? [], readable));

  // Rows the pull already holds are newer than (or equal to) the rollback state, so they win.
  const rollback: WireRow[] = (pushed?.rollback ?? []).map(
    ({ table, key, state }): WireRow => state ?? { table, key, realmId: '', value: null },
  );
  const changes = encodeChanges([...pulled.rows, ...rollback], new Set(readable));
  return encodeWithChanges(
    {
      serverRevision: String(pulled.revision),
      dbId,
      realms: paged?.realms ?? readable,
      inviteRealms: [],
      schema: request.schema,
      rejections: pushed?.rejections ?? [],
      ...(paged ? { dxcRemaining: paged.remaining, ...(paged.next ? { dxcPage: paged.next } : {}) } : {}),
    },
    changes,
  );
}

async function push(context: ServerContext, principal: Principal, request: SyncRequest): Promise<SyncPushPlan> {
  const store = context.storage.data;
  const scope = writeScope(principal, openRealmOf(context.config));
  const writer = scope?.userId;
  const prepared = preparePush(request.changes, scope);
  // An anonymous push is refused whole; planning it over a plain read keeps anonymous callers from
  // ever taking the write lock.
  const outcome =
    writer === undefined
      ? { plan: prepared.plan(await readOnlyState(store, prepared.keys)), committed: false, revision: 0 }
      : await store.applyPush({ userId: writer, keys: prepared.keys, plan: prepared.plan });
  const { plan } = outcome;
  if (outcome.committed) {
    context.changes.publish({ revision: String(outcome.revision), realms: realmsOf(plan.writes) });
  }
  for (const rejection of plan.rejections) {
    context.logger.info(
      { userId: writer ?? null, txid: rejection.txid, reason: rejection.message },
      'sync: client transaction refused',
    );
  }
  return plan;
}

async function readOnlyState(store: DataStore, keys: readonly RowKey[]): Promise<PushState> {
  const rows = new Map((await store.readRows(keys)).map((row) => [`${row.table}\u0000${row.key}`, row]));
  return { row: (table, key) => rows.get(`${table}\u0000${key}`), wasApplied: () => false };
}

function realmsOf(writes: readonly RowWrite[]): string[] {
  return [...new Set(writes.map((write) => write.realmId))];
}
