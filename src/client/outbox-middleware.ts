/**
 * The DBCore middleware that makes local writes syncable. In the same IndexedDB transaction as the
 * app's write it (1) mints `@` keys, (2) fills in implicit `owner`/`realmId`, and (3) appends one
 * operation per write to the table's outbox `$<table>_mutations`, so a write and its outbox entry
 * commit or fail together. After such a transaction commits it asks for an eager push.
 *
 * Writes are recorded only while a user is logged in (as the addon does): anonymous rows are
 * uploaded at login instead (see auth.ts), when they move into the user's realm.
 */
import type {
  DBCore,
  DBCoreMutateRequest,
  DBCoreMutateResponse,
  DBCorePutRequest,
  DBCoreTable,
  DBCoreTransaction,
  Middleware,
} from 'dexie';
import { setByKeyPath, UNAUTHORIZED_USER_ID, type DBOperation, type DexieCloudSchema } from 'dxc/protocol';
import { dxcError } from './errors.js';
import { generateKey, isSyncableKey, randomId, isValidGlobalKey, shardOf } from './ids.js';
import { isSynced, outboxTable } from './schema.js';

/** What the middleware needs from the running client. */
export interface OutboxHost {
  readonly schema: DexieCloudSchema;
  currentUserId(): string;
  /** False while a database URL is set and no sync has ever succeeded (prefixes unconfirmed). */
  canMintIds(): boolean;
  /** Called after a transaction that recorded outbox entries has committed. */
  onLocalCommit(): void;
}

/** An outbox row: the wire operation with the raw (un-encoded) keys and the outbox revision. */
export type OutboxEntry = DBOperation<unknown> & { rev?: number };

const UNTRACKED = Symbol.for('dxc.untracked');
type Trans = DBCoreTransaction & { mode?: IDBTransactionMode; [UNTRACKED]?: boolean } & Partial<EventTarget>;

/** Exempt an IndexedDB transaction (Dexie's `tx.idbtrans`) from tracking: sync applies server data. */
export function markUntracked(idbtrans: object): void {
  (idbtrans as Trans)[UNTRACKED] = true;
}

interface TxMeta {
  txid: string;
  opNo: number;
}
const txMeta = new WeakMap<object, TxMeta>();

export function createOutboxMiddleware(host: OutboxHost): Middleware<DBCore> {
  return {
    stack: 'dbcore',
    name: 'dxc-outbox',
    level: 1,
    create(down) {
      const stores = new Set(down.schema.tables.map((t) => t.name));
      return {
        ...down,
        transaction(tables, mode, options) {
          if (mode === 'readwrite') {
            const outboxes = tables
              .filter((t) => isSynced(host.schema, t))
              .map(outboxTable)
              .filter((o) => stores.has(o) && !tables.includes(o));
            if (outboxes.length) tables = [...tables, ...outboxes];
          }
          return down.transaction(tables, mode, options);
        },
        table(name) {
          const table = down.table(name);
          if (name.startsWith('$')) return table;
          return { ...table, mutate: (req) => mutate(host, down, table, req) };
        },
      };
    },
  };
}

async function mutate(
  host: OutboxHost,
  down: DBCore,
  table: DBCoreTable,
  req: DBCoreMutateRequest,
): Promise<DBCoreMutateResponse> {
  const trans = req.trans as Trans;
  if (trans.mode === 'versionchange' || trans[UNTRACKED]) return table.mutate(req);
  const synced = isSynced(host.schema, table.name);
  const userId = host.currentUserId();
  if (req.type === 'add' || req.type === 'put') req = prepareValues(host, table, req, synced, userId);
  const track = synced && userId !== UNAUTHORIZED_USER_ID;
  let rangeKeys: unknown[] | undefined;
  if (track && req.type === 'deleteRange') {
    const found = await table.query({ trans, values: false, query: { index: table.schema.primaryKey, range: req.range } });
    rangeKeys = found.result;
  }
  const res = await table.mutate(req);
  if (!track) return res;
  const op = toOperation(table, req, res, rangeKeys);
  if (!op) return res;
  let meta = txMeta.get(trans);
  if (!meta) {
    meta = { txid: randomId(), opNo: 0 };
    txMeta.set(trans, meta);
    trans.addEventListener?.('complete', () => host.onLocalCommit());
  }
  const entry = { ...op, txid: meta.txid, opNo: ++meta.opNo, ts: Date.now(), userId } as OutboxEntry;
  const logged = await down.table(outboxTable(table.name)).mutate({ type: 'add', trans, values: [entry] });
  if (logged.numFailures) throw logged.failures[0];
  return res;
}

/** Mint or check keys and set implicit props, on copies of the app's values. */
function prepareValues<R extends DBCoreMutateRequest & { type: 'add' | 'put' }>(
  host: OutboxHost,
  table: DBCoreTable,
  req: R,
  synced: boolean,
  userId: string,
): R {
  const { primaryKey } = table.schema;
  const cloud = host.schema[table.name];
  const keys = req.keys?.slice() ?? req.values.map((v) => primaryKey.extractKey?.(v));
  let values: unknown[] | undefined;
  const copied = new Set<number>();
  // structuredClone keeps Dates and nested objects intact and leaves the app's object untouched.
  const copy = (i: number): Record<string, unknown> => {
    values ??= req.values.slice();
    if (!copied.has(i)) {
      values[i] = structuredClone(values[i]);
      copied.add(i);
    }
    return values[i] as Record<string, unknown>;
  };
  keys.forEach((key, i) => {
    if (cloud?.generatedGlobalId && cloud.idPrefix) {
      if (key === undefined) {
        if (!host.canMintIds()) {
          throw dxcError(
            'not-synced',
            `Cannot create rows in ${table.name} before the first successful sync: its id prefix comes from the server`,
          );
        }
        const value = req.values[i] as { realmId?: unknown } | undefined;
        const realm = typeof value?.realmId === 'string' ? value.realmId : userId;
        keys[i] = generateKey(cloud.idPrefix, shardOf(realm));
        if (!primaryKey.outbound && primaryKey.keyPath) setByKeyPath(copy(i), primaryKey.keyPath as string, keys[i]);
      } else if (!isValidGlobalKey(key, cloud.idPrefix)) {
        throw dxcError('invalid-key', `The id ${JSON.stringify(key)} of ${table.name} must start with "${cloud.idPrefix}"`);
      }
    } else if (synced && !isSyncableKey(key)) {
      throw dxcError('invalid-key', `Synced table ${table.name} needs string or [string|number] keys`);
    }
    if (!synced) return;
    const value = (values?.[i] ?? req.values[i]) as Record<string, unknown> | null;
    if (typeof value !== 'object' || value === null) return;
    if (value.owner === undefined || value.realmId === undefined) {
      const row = copy(i);
      row.owner ??= userId;
      row.realmId ??= userId;
    }
    if (table.name === 'members' && typeof value.email === 'string') copy(i).email = value.email.trim().toLowerCase();
  });
  return { ...req, keys: primaryKey.outbound ? keys : req.keys, values: values ?? req.values };
}

function isPrimaryCriteria(table: DBCoreTable, index: string | null): boolean {
  return !index || index === ':id' || index === table.schema.primaryKey.name;
}

/** The wire operation a successful write stands for, or undefined when nothing changed. */
function toOperation(
  table: DBCoreTable,
  req: DBCoreMutateRequest,
  res: DBCoreMutateResponse,
  rangeKeys?: unknown[],
): DBOperation<unknown> | undefined {
  const ok = (_: unknown, i: number) => !res.failures[i];
  switch (req.type) {
    case 'add': {
      const keys = (res.results ?? []).filter(ok);
      return keys.length ? { type: 'insert', keys, values: req.values.filter(ok) } : undefined;
    }
    case 'put':
      return putOperation(table, req, res);
    case 'delete':
      return req.keys.length
        ? { type: 'delete', keys: req.keys.filter(ok), ...(req.criteria ? { criteria: req.criteria } : {}) }
        : undefined;
    case 'deleteRange':
      return rangeKeys?.length ? { type: 'delete', keys: rangeKeys, criteria: { index: null, range: req.range } } : undefined;
  }
}

function putOperation(table: DBCoreTable, req: DBCorePutRequest, res: DBCoreMutateResponse): DBOperation<unknown> | undefined {
  const ok = (_: unknown, i: number) => !res.failures[i];
  const keys = (req.keys ?? res.results ?? []).filter(ok);
  if (!keys.length) return undefined;
  const values = req.values.filter(ok);
  if (req.updates) {
    const specs = keys.map((key) => {
      const at = req.updates!.keys.findIndex((k) => indexedDB.cmp(k, key) === 0);
      return req.updates!.changeSpecs[at] ?? {};
    });
    return req.upsert
      ? { type: 'upsert', keys, values, changeSpecs: specs }
      : { type: 'update', keys, changeSpecs: specs };
  }
  if (req.changeSpec && req.criteria) {
    return isPrimaryCriteria(table, req.criteria.index)
      ? { type: 'update', keys, changeSpecs: keys.map(() => req.changeSpec!) }
      : { type: 'modify', keys, criteria: req.criteria as never, changeSpec: req.changeSpec };
  }
  return { type: 'upsert', keys, values };
}
