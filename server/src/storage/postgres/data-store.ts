/**
 * The DataStore on PostgreSQL, shared by several nodes. Same tables as SQLite: one row per
 * (table, key) with the revision that last changed it, and one counter row.
 *
 * A push is one READ COMMITTED transaction of four round trips:
 * 1. BEGIN with transaction-scoped advisory locks on every touched key and on the pushing user's
 *    txid set, taken in ascending order (so two pushes never deadlock), keys without a row included;
 * 2. the current rows and applied txids, read under those locks; the synchronous planner runs;
 * 3. one statement: `UPDATE data_state SET revision = revision + 1` takes the counter row lock,
 *    held to COMMIT, so revisions are gap-free and commit in revision order (a reader that sees
 *    revision N also sees every write of revisions ≤ N) while pushes on disjoint keys overlap in
 *    steps 1–2; the rows, the txids (primary key (user_id, txid): a re-sent push cannot apply twice
 *    even if the locks were bypassed) and the NOTIFY for other nodes go in the same statement;
 * 4. COMMIT. NOTIFY is transactional: it is sent iff the push commits, even if the node then dies.
 */
import { createHash, randomUUID } from 'node:crypto';
import type {
  DataStore,
  PageQuery,
  PushPlan,
  PushOutcome,
  PushRequest,
  PushState,
  RowKey,
  RowsAtRevision,
  RowWrite,
  StoredRow,
} from '../data-store.js';
import { inTransaction, query, type PgClient, type PgPool } from './database.js';
import { notificationSuffixes } from './notifications.js';

export const DATA_MIGRATIONS: readonly string[] = [
  `CREATE TABLE data_state (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     db_id TEXT NOT NULL,
     revision BIGINT NOT NULL
   );
   CREATE TABLE data_rows (
     tbl TEXT NOT NULL,
     key TEXT NOT NULL,
     realm_id TEXT NOT NULL,
     owner TEXT,
     value TEXT,
     revision BIGINT NOT NULL,
     PRIMARY KEY (tbl, key)
   );
   CREATE INDEX data_rows_by_realm_revision ON data_rows (realm_id, revision);
   CREATE TABLE data_applied_txids (
     user_id TEXT NOT NULL,
     txid TEXT NOT NULL,
     revision BIGINT NOT NULL,
     applied_at BIGINT NOT NULL,
     PRIMARY KEY (user_id, txid)
   );`,
];

interface RowRecord {
  tbl: string;
  key: string;
  realm_id: string;
  owner: string | null;
  value: string | null;
  revision: number;
}

const toRow = (record: RowRecord): StoredRow => ({
  table: record.tbl,
  key: record.key,
  realmId: record.realm_id,
  owner: record.owner,
  value: record.value,
  revision: record.revision,
});

// A NUL separator cannot occur in validated table names or keys.
const rowId = (table: string, key: string): string => `${table}\u0000${key}`;

/** A signed 64-bit advisory-lock id for `parts`; a collision only makes two pushes wait in turn. */
function lockId(...parts: string[]): bigint {
  return createHash('sha256').update(parts.join('\u0000')).digest().readBigInt64BE(0);
}

const ROW_COLUMNS = 'tbl, key, realm_id, owner, value, revision';

export interface PgDataStoreOptions {
  /** LISTEN/NOTIFY channel that carries committed revisions to every node. */
  readonly channel: string;
  /** This node's id, carried in notifications so the node skips its own (it publishes locally). */
  readonly nodeId: string;
}

export async function createPgDataStore(pool: PgPool, options: PgDataStoreOptions): Promise<DataStore> {
  await query(pool, 'INSERT INTO data_state (id, db_id, revision) VALUES (1, $1, 0) ON CONFLICT (id) DO NOTHING', [
    randomUUID(),
  ]);
  const { rows } = await query<{ db_id: string }>(pool, 'SELECT db_id FROM data_state WHERE id = 1');
  // The id never changes once made, so every node may cache it.
  const dbId = rows[0]!.db_id;

  const currentRevision = async (client: PgPool | PgClient): Promise<number> =>
    (await client.query<{ revision: number }>('SELECT revision FROM data_state WHERE id = 1')).rows[0]!.revision;

  async function readKeys(client: PgPool | PgClient, keys: readonly RowKey[]): Promise<RowRecord[]> {
    if (keys.length === 0) return [];
    const result = await client.query<RowRecord>(
      `SELECT ${ROW_COLUMNS} FROM data_rows JOIN unnest($1::text[], $2::text[]) AS k (tbl, key) USING (tbl, key)`,
      [keys.map((k) => k.table), keys.map((k) => k.key)],
    );
    return result.rows;
  }

  /** Which of `txids` this user already applied. */
  async function appliedAmong(client: PgClient, userId: string, txids: readonly string[]): Promise<Set<string>> {
    if (txids.length === 0) return new Set();
    const result = await client.query<{ txid: string }>(
      'SELECT txid FROM data_applied_txids WHERE user_id = $1 AND txid = ANY($2::text[])',
      [userId, txids],
    );
    return new Set(result.rows.map((row) => row.txid));
  }

  /** The current rows of `keys` and which of `txids` were applied, in one round trip. */
  async function readUnderLock(
    client: PgClient,
    keys: readonly RowKey[],
    userId: string,
    txids: readonly string[],
  ): Promise<{ rows: Map<string, StoredRow>; applied: Set<string> }> {
    const result = await client.query<RowRecord & { applied_txid: string | null }>(
      `SELECT ${ROW_COLUMNS}, NULL AS applied_txid
         FROM data_rows JOIN unnest($1::text[], $2::text[]) AS k (tbl, key) USING (tbl, key)
       UNION ALL
       SELECT NULL, NULL, NULL, NULL, NULL, NULL, txid
         FROM data_applied_txids WHERE user_id = $3 AND txid = ANY($4::text[])`,
      [keys.map((k) => k.table), keys.map((k) => k.key), userId, txids],
    );
    const rows = new Map<string, StoredRow>();
    const applied = new Set<string>();
    for (const record of result.rows) {
      if (record.applied_txid !== null) applied.add(record.applied_txid);
      else rows.set(rowId(record.tbl, record.key), toRow(record));
    }
    return { rows, applied };
  }

  /**
   * Run the synchronous planner with `answers` for wasApplied. Returns the plan, or the txids it
   * asked about that `answers` does not know (the plan is then discarded; the planner is pure, so
   * running it again is safe).
   */
  function tryPlan<P extends PushPlan>(
    request: PushRequest<P>,
    rows: ReadonlyMap<string, StoredRow>,
    answers: ReadonlyMap<string, boolean>,
  ): { plan: P } | { missing: string[] } {
    const missing = new Set<string>();
    const state: PushState = {
      row: (table, key) => rows.get(rowId(table, key)),
      wasApplied: (txid) => {
        const answer = answers.get(txid);
        if (answer === undefined) missing.add(txid);
        return answer ?? false;
      },
    };
    let plan: P | undefined;
    let failure: unknown;
    try {
      plan = request.plan(state);
    } catch (error) {
      failure = error;
    }
    if (missing.size > 0) return { missing: [...missing] };
    if (plan === undefined) throw failure;
    return { plan };
  }

  /**
   * Take the next revision and write rows, txids and notifications in one statement (one round
   * trip): the counter UPDATE's row lock is held from here to COMMIT.
   */
  async function commitWrites(client: PgClient, userId: string, plan: PushPlan): Promise<number> {
    // One statement cannot upsert the same key twice: the last write of a key wins, as in SQLite.
    const last = new Map<string, RowWrite>();
    for (const write of plan.writes) last.set(rowId(write.table, write.key), write);
    const rows = [...last.values()];
    const realms = [...new Set(rows.map((write) => write.realmId))];
    const result = await client.query<{ revision: number }>(
      `WITH rev AS (UPDATE data_state SET revision = revision + 1 WHERE id = 1 RETURNING revision),
       written AS (
         INSERT INTO data_rows (${ROW_COLUMNS})
         SELECT w.tbl, w.key, w.realm_id, w.owner, w.value, rev.revision
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS w (tbl, key, realm_id, owner, value), rev
         ON CONFLICT (tbl, key) DO UPDATE SET realm_id = excluded.realm_id, owner = excluded.owner,
           value = excluded.value, revision = excluded.revision
       ),
       applied AS (
         INSERT INTO data_applied_txids (user_id, txid, revision, applied_at)
         SELECT $6, t.txid, rev.revision, $7 FROM unnest($8::text[]) AS t (txid), rev
       ),
       notified AS (
         SELECT pg_notify($9, '{"r":' || rev.revision || suffix) FROM rev, unnest($10::text[]) AS suffix
       )
       SELECT revision, (SELECT count(*) FROM notified) AS notices FROM rev`,
      [
        rows.map((w) => w.table),
        rows.map((w) => w.key),
        rows.map((w) => w.realmId),
        rows.map((w) => w.owner),
        rows.map((w) => w.value),
        userId,
        Date.now(),
        [...new Set(plan.appliedTxids)],
        options.channel,
        notificationSuffixes(options.nodeId, realms),
      ],
    );
    return result.rows[0]!.revision;
  }

  /** The txids the planner asks about when every answer is "not applied" and no row exists. */
  function askedTxids(request: PushRequest<PushPlan>): string[] {
    const asked = new Set<string>();
    try {
      request.plan({ row: () => undefined, wasApplied: (txid) => (asked.add(txid), false) });
    } catch {
      // Only the questions matter here; the real run decides.
    }
    return [...asked];
  }

  /** Advisory-lock ids for a push, ascending, so every push takes its locks in the same order. */
  function pushLocks(keys: Iterable<RowKey>, userId: string): string[] {
    const ids = new Set<bigint>([lockId('txids', userId)]);
    for (const { table, key } of keys) ids.add(lockId('row', table, key));
    return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
  }

  async function push<P extends PushPlan>(
    client: PgClient,
    request: PushRequest<P>,
    keys: readonly RowKey[],
    expectedTxids: readonly string[],
  ): Promise<PushOutcome<P>> {
    const { rows, applied } = await readUnderLock(client, keys, request.userId, expectedTxids);
    const answers = new Map<string, boolean>(expectedTxids.map((txid) => [txid, applied.has(txid)]));
    let attempt = tryPlan(request, rows, answers);
    while ('missing' in attempt) {
      // The answers changed which txids the planner asks about: fetch those too.
      const more = await appliedAmong(client, request.userId, attempt.missing);
      for (const txid of attempt.missing) answers.set(txid, more.has(txid));
      attempt = tryPlan(request, rows, answers);
    }
    const { plan } = attempt;

    if (plan.writes.length > 0) {
      return { plan, revision: await commitWrites(client, request.userId, plan), committed: true };
    }
    // A push that only completes no-op transactions records their txids without taking a revision.
    const revision = await currentRevision(client);
    const txids = [...new Set(plan.appliedTxids)];
    if (txids.length > 0) {
      await client.query(
        `INSERT INTO data_applied_txids (user_id, txid, revision, applied_at)
         SELECT $1, txid, $3, $4 FROM unnest($2::text[]) AS t (txid)`,
        [request.userId, txids, revision, Date.now()],
      );
    }
    return { plan, revision, committed: false };
  }

  /**
   * Rows and the revision they correspond to. One statement sees one snapshot, so joining the
   * counter to the rows reads both at the same point without a transaction; the LEFT JOIN keeps
   * the counter when no row matches.
   */
  async function readAtOneSnapshot(where: string, values: unknown[]): Promise<RowsAtRevision> {
    const { rows } = await query<RowRecord & { at_revision: number }>(
      pool,
      `SELECT s.revision AS at_revision, r.* FROM data_state s
       LEFT JOIN LATERAL (SELECT ${ROW_COLUMNS} FROM data_rows WHERE ${where}) r ON true
       WHERE s.id = 1`,
      values,
    );
    const revision = rows[0]!.at_revision;
    // Sorted here, not in SQL, so the order is JavaScript's string order on both backends.
    const sorted = rows
      .filter((record) => record.tbl !== null)
      .map(toRow)
      .sort((a, b) => compare(a.table, b.table) || a.revision - b.revision || compare(a.key, b.key));
    return { revision, rows: sorted };
  }

  // "C" collation: byte order, the same for the row comparison and the ORDER BY, on any database locale.
  const PAGE_WHERE = `revision <= $1
      AND ((realm_id = ANY($2::text[]) AND revision > $3) OR (realm_id = ANY($4::text[]) AND value IS NOT NULL))
      AND (revision, tbl COLLATE "C", key COLLATE "C") > ($5::bigint, $6::text COLLATE "C", $7::text COLLATE "C")`;
  const pageValues = ({ head, cursor, known, fresh, after }: PageQuery): unknown[] => {
    const [revision, tbl, key] = after ?? [-1, '', ''];
    return [head, [...known], cursor, [...fresh], revision, tbl, key];
  };

  return {
    async dbId() {
      return dbId;
    },
    async pageRows(page) {
      const { rows } = await query<RowRecord>(
        pool,
        `SELECT ${ROW_COLUMNS} FROM data_rows WHERE ${PAGE_WHERE}
         ORDER BY revision, tbl COLLATE "C", key COLLATE "C" LIMIT $8`,
        [...pageValues(page), page.limit],
      );
      return rows.map(toRow);
    },
    async countPageRows(page) {
      const { rows } = await query<{ n: number }>(pool, `SELECT count(*)::int AS n FROM data_rows WHERE ${PAGE_WHERE}`, pageValues(page));
      return rows[0]!.n;
    },
    async currentRevision() {
      return currentRevision(pool);
    },
    applyPush(request) {
      const unique = new Map<string, RowKey>();
      for (const key of request.keys) unique.set(rowId(key.table, key.key), key);
      const keys = [...unique.values()];
      // A dry run over no rows names the txids the planner will ask about (in practice all of
      // them), so they are read together with the rows; any it asks about later are read then.
      const expectedTxids = askedTxids(request);
      // The locks go out with BEGIN (simple protocol, one round trip; the ids are our own integers).
      // unnest keeps the array order, so the locks are taken in ascending order: no deadlock.
      const begin = `BEGIN; SELECT pg_advisory_xact_lock(id) FROM unnest('{${pushLocks(keys, request.userId).join(',')}}'::bigint[]) AS id`;
      return inTransaction(pool, (client) => push(client, request, keys, expectedTxids), begin);
    },
    changesSince(revision, realms) {
      return readAtOneSnapshot('realm_id = ANY($1::text[]) AND revision > $2', [[...new Set(realms)], revision]);
    },
    snapshot(realms) {
      return readAtOneSnapshot('realm_id = ANY($1::text[]) AND value IS NOT NULL', [[...new Set(realms)]]);
    },
    async readRows(keys) {
      const found = new Map<string, StoredRow>();
      for (const record of await readKeys(pool, keys)) found.set(rowId(record.tbl, record.key), toRow(record));
      // In the order asked, like the SQLite backend; a key asked twice appears twice there too.
      return keys.flatMap(({ table, key }) => {
        const row = found.get(rowId(table, key));
        return row ? [row] : [];
      });
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
