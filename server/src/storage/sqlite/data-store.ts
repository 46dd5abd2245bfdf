/**
 * The DataStore on embedded SQLite. One row per (table, key) holds the latest state and the
 * revision that produced it, so "changes since r" is an index range scan on (realm_id, revision)
 * and no separate change log has to be trimmed. A push is one savepoint of prepared statements
 * inside an IMMEDIATE transaction: SQLite has a single writer, so the revision counter and the keys
 * are effectively locked for the whole read-plan-write cycle.
 *
 * Group commit: pushes that arrive while the event loop is busy (better-sqlite3 is synchronous,
 * and with synchronous=FULL each commit waits for fsync) are committed together, one savepoint
 * each, with one fsync for the group. A push that fails rolls back its own savepoint only; none is
 * acknowledged before the group's commit is durable.
 */
import { randomUUID } from 'node:crypto';
import type {
  DataStore,
  PushPlan,
  PushOutcome,
  PushRequest,
  PushState,
  PageQuery,
  RowKey,
  RowsAtRevision,
  StoredRow,
} from '../data-store.js';
import { migrate, type SqliteDatabase } from './database.js';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE data_state (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     db_id TEXT NOT NULL,
     revision INTEGER NOT NULL
   );
   CREATE TABLE data_rows (
     tbl TEXT NOT NULL,
     key TEXT NOT NULL,
     realm_id TEXT NOT NULL,
     owner TEXT,
     value TEXT,
     revision INTEGER NOT NULL,
     PRIMARY KEY (tbl, key)
   ) WITHOUT ROWID;
   CREATE INDEX data_rows_by_realm_revision ON data_rows (realm_id, revision);
   CREATE TABLE data_applied_txids (
     user_id TEXT NOT NULL,
     txid TEXT NOT NULL,
     revision INTEGER NOT NULL,
     applied_at INTEGER NOT NULL,
     PRIMARY KEY (user_id, txid)
   ) WITHOUT ROWID;`,
];

interface RowRecord {
  tbl: string;
  key: string;
  realm_id: string;
  owner: string | null;
  value: string | null;
  revision: number;
}

function toRow(record: RowRecord): StoredRow {
  return {
    table: record.tbl,
    key: record.key,
    realmId: record.realm_id,
    owner: record.owner,
    value: record.value,
    revision: record.revision,
  };
}

/** Pushes committed together at most, so one group's transaction stays short. @default 64 */
export const MAX_GROUP_COMMIT_PUSHES = 64;

interface QueuedPush {
  request: PushRequest<PushPlan>;
  resolve(outcome: PushOutcome<PushPlan>): void;
  reject(error: unknown): void;
}

function rowId(table: string, key: string): string {
  // A NUL separator cannot occur in validated table names or keys.
  return `${table}\u0000${key}`;
}

export function createSqliteDataStore(db: SqliteDatabase, now: () => number = Date.now): DataStore {
  migrate(db, 'data', MIGRATIONS);
  db.prepare('INSERT OR IGNORE INTO data_state (id, db_id, revision) VALUES (1, ?, 0)').run(randomUUID());

  const selectState = db.prepare('SELECT db_id AS dbId, revision FROM data_state WHERE id = 1');
  const setRevision = db.prepare('UPDATE data_state SET revision = ? WHERE id = 1');
  const selectRow = db.prepare('SELECT * FROM data_rows WHERE tbl = ? AND key = ?');
  const upsertRow = db.prepare(
    `INSERT INTO data_rows (tbl, key, realm_id, owner, value, revision) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (tbl, key) DO UPDATE SET realm_id = excluded.realm_id, owner = excluded.owner,
       value = excluded.value, revision = excluded.revision`,
  );
  const selectApplied = db.prepare('SELECT 1 FROM data_applied_txids WHERE user_id = ? AND txid = ?');
  const insertApplied = db.prepare(
    'INSERT INTO data_applied_txids (user_id, txid, revision, applied_at) VALUES (?, ?, ?, ?)',
  );
  const selectChanged = db.prepare(
    'SELECT * FROM data_rows WHERE realm_id = ? AND revision > ? ORDER BY revision, tbl, key',
  );
  const selectLive = db.prepare(
    'SELECT * FROM data_rows WHERE realm_id = ? AND value IS NOT NULL ORDER BY tbl, key',
  );

  // One realm at a time: the index on (realm_id, revision) holds the primary key (tbl, key) after
  // them (WITHOUT ROWID), so each query reads its rows in page order with no sort. Row values
  // compare in SQLite's BINARY order (UTF-8 bytes), which merging the realms below follows too.
  const PAGE_RANGE = 'realm_id = @realm AND revision > @cursor AND revision <= @head AND (revision, tbl, key) > (@revision, @tbl, @key)';
  const selectKnownPage = db.prepare(`SELECT * FROM data_rows WHERE ${PAGE_RANGE} ORDER BY revision, tbl, key LIMIT @limit`);
  const selectFreshPage = db.prepare(
    `SELECT * FROM data_rows WHERE ${PAGE_RANGE} AND value IS NOT NULL ORDER BY revision, tbl, key LIMIT @limit`,
  );
  // Tombstones of fresh realms count too: an index-only count, and an upper bound (progress only).
  const countPage = db.prepare(`SELECT count(*) AS n FROM data_rows WHERE ${PAGE_RANGE}`);
  const pageRealms = ({ head, cursor, known, fresh, after, limit }: PageQuery) => {
    const [revision, tbl, key] = after ?? [-1, '', ''];
    const base = { head, revision, tbl, key, limit };
    return [
      ...[...new Set(known)].map((realm) => ({ statement: selectKnownPage, parameters: { ...base, realm, cursor } })),
      ...[...new Set(fresh)].filter((realm) => !known.includes(realm)).map((realm) => ({ statement: selectFreshPage, parameters: { ...base, realm, cursor: -1 } })),
    ];
  };

  const state = () => selectState.get() as { dbId: string; revision: number };

  /** Rows of several realms, merged into the documented order (table, revision, key). */
  const readRealms = (realms: readonly string[], read: (realm: string) => RowRecord[]): RowsAtRevision =>
    db.transaction(() => {
      const rows = [...new Set(realms)].flatMap((realm) => read(realm).map(toRow));
      rows.sort((a, b) => compare(a.table, b.table) || a.revision - b.revision || compare(a.key, b.key));
      return { revision: state().revision, rows };
    })();

  const push = db.transaction(<P extends PushPlan>(request: PushRequest<P>) => {
    const current = new Map<string, StoredRow | undefined>();
    for (const { table, key } of request.keys) {
      const id = rowId(table, key);
      if (!current.has(id)) {
        const record = selectRow.get(table, key) as RowRecord | undefined;
        current.set(id, record && toRow(record));
      }
    }
    const view: PushState = {
      row: (table, key) => current.get(rowId(table, key)),
      wasApplied: (txid) => selectApplied.get(request.userId, txid) !== undefined,
    };
    const plan = request.plan(view);
    const committed = plan.writes.length > 0;
    // A push that only completes no-op transactions records their txids without taking a revision.
    const revision = state().revision + (committed ? 1 : 0);
    for (const write of plan.writes) {
      upsertRow.run(write.table, write.key, write.realmId, write.owner, write.value, revision);
    }
    const appliedAt = now();
    for (const txid of new Set(plan.appliedTxids)) insertApplied.run(request.userId, txid, revision, appliedAt);
    if (committed) setRevision.run(revision);
    return { plan, revision, committed };
  });

  // Called inside commitGroup's transaction, each push is a savepoint: a throw undoes that push only.
  const commitGroup = db.transaction((group: QueuedPush[]) =>
    group.map(({ request }) => {
      try {
        return { outcome: push(request) };
      } catch (error) {
        return { error };
      }
    }),
  );
  let queue: QueuedPush[] = [];
  const flush = () => {
    const group = queue.splice(0, MAX_GROUP_COMMIT_PUSHES);
    if (queue.length) setImmediate(flush);
    let results: ({ outcome: PushOutcome<PushPlan> } | { error: unknown })[];
    try {
      results = commitGroup.immediate(group);
    } catch (error) {
      for (const item of group) item.reject(error);
      return;
    }
    group.forEach((item, i) => {
      const result = results[i]!;
      if ('error' in result) item.reject(result.error);
      else item.resolve(result.outcome);
    });
  };

  return {
    async dbId() {
      return state().dbId;
    },
    async currentRevision() {
      return state().revision;
    },
    applyPush<P extends PushPlan>(request: PushRequest<P>) {
      return new Promise<PushOutcome<P>>((resolve, reject) => {
        // The first push of a group schedules its commit after this turn's I/O callbacks.
        if (queue.push({ request, resolve: resolve as QueuedPush['resolve'], reject }) === 1) setImmediate(flush);
      });
    },
    async changesSince(revision, realms) {
      return readRealms(realms, (realm) => selectChanged.all(realm, revision) as RowRecord[]);
    },
    async snapshot(realms) {
      return readRealms(realms, (realm) => selectLive.all(realm) as RowRecord[]);
    },
    async pageRows(query) {
      const rows = db.transaction(() =>
        pageRealms(query).flatMap(({ statement, parameters }) => (statement.all(parameters) as RowRecord[]).map(toRow)),
      )();
      rows.sort((a, b) => a.revision - b.revision || compareUtf8(a.table, b.table) || compareUtf8(a.key, b.key));
      return rows.slice(0, query.limit);
    },
    async countPageRows(query) {
      return db.transaction(() =>
        pageRealms(query).reduce((sum, { parameters: { limit: _, ...range } }) => sum + (countPage.get(range) as { n: number }).n, 0),
      )();
    },
    async readRows(keys: readonly RowKey[]) {
      return keys.flatMap(({ table, key }) => {
        const record = selectRow.get(table, key) as RowRecord | undefined;
        return record ? [toRow(record)] : [];
      });
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SQLite's BINARY order on text: UTF-8 bytes, i.e. code points (JavaScript's `<` compares UTF-16 units). */
function compareUtf8(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; ) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}
