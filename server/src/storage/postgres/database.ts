/**
 * The PostgreSQL connection pool shared by both stores, a transaction helper, and the migration
 * runner. Several nodes may start at once against one database: migrations run under a session
 * advisory lock, so exactly one node applies each and the others wait, then find it done.
 */
import { DxcError } from 'dxc/protocol';
import pg from 'pg';

/**
 * Connections each node keeps open to PostgreSQL (pushes, reads and auth share them; the LISTEN
 * connection of the change bus is extra). Size the server's `max_connections` to nodes × (this + 1).
 * @default 10
 */
export const PG_POOL_SIZE = 10;

/** How long a pooled request waits for a free connection before failing, in ms. @default 10000 */
export const PG_CONNECT_TIMEOUT_MS = 10_000;

/** Key of the advisory lock that serializes migrations across nodes (two-int4 key space). */
const MIGRATION_LOCK = [0x64786300, 1];

const INT8_OID = 20;

/**
 * BIGINT columns hold ms timestamps and revisions, far below 2^53: read them as numbers. The
 * parser is set on our pools only, never on pg's global type table.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

export function createPgPool(connectionString: string, max = PG_POOL_SIZE): PgPool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    types,
    application_name: 'dxc-server',
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool
  // drops it and opens a new one for the next query.
  pool.on('error', () => undefined);
  return pool;
}

/** A connection of its own (not pooled) with the same type parsing, for LISTEN. */
export function createPgClient(connectionString: string, applicationName: string): pg.Client {
  return new pg.Client({ connectionString, types, application_name: applicationName });
}

/**
 * Input PostgreSQL cannot store as text (a NUL character) is bad input, not a server fault. The
 * protocol validators already refuse NUL in keys and values; this covers any other string field.
 */
export function translatePgError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === '22021' || code === '22P05') {
    return new DxcError('invalid-request', 'Text must not contain NUL characters', { cause: error });
  }
  return error;
}

/** Run `work` in one transaction on one pooled connection: COMMIT if it resolves, else ROLLBACK. */
export async function inTransaction<T>(
  pool: PgPool,
  work: (client: PgClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      // The connection itself failed: do not return it to the pool.
      broken = true;
    }
    throw translatePgError(error);
  } finally {
    client.release(broken);
  }
}

/** One statement outside a transaction, with the same error translation. */
export async function query<R extends pg.QueryResultRow>(
  pool: PgPool,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values);
  } catch (error) {
    throw translatePgError(error);
  }
}

/** An ordered migration list per store; version N is the N-th entry. */
export type Migrations = Readonly<Record<string, readonly string[]>>;

/** Apply every store's pending migrations, each in its own transaction, once across all nodes. */
export async function migrate(pool: PgPool, migrations: Migrations): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', MIGRATION_LOCK);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        store TEXT NOT NULL, version INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (store, version))`);
      for (const [store, list] of Object.entries(migrations)) {
        const done = await client.query<{ version: number }>('SELECT version FROM schema_migrations WHERE store = $1', [store]);
        const applied = new Set(done.rows.map((row) => row.version));
        for (const [index, sql] of list.entries()) {
          const version = index + 1;
          if (applied.has(version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(sql);
            await client.query('INSERT INTO schema_migrations (store, version) VALUES ($1, $2)', [store, version]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', MIGRATION_LOCK);
    }
  } finally {
    client.release();
  }
}
