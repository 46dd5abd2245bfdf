/**
 * `dxc-server migrate --from ./dxc-data --to postgres://…`: copies a SQLite store into an empty
 * PostgreSQL database — users, sessions, API clients, pending codes, replay and rate-limit state,
 * rows, applied txids, and the database id and revision — so clients keep their cursors and
 * sessions and go on syncing without a reset.
 *
 * The source is read in one read transaction (a consistent snapshot even if a server still runs on
 * it), and the target is written in one transaction that first locks the revision counter, so a
 * node already running on the target cannot push in between; a failure leaves the target empty.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { defaultConfig, splitFlag } from './config.js';
import { isPostgresUrl } from './storage/open.js';
import { AUTH_MIGRATIONS } from './storage/postgres/auth-store.js';
import { DATA_MIGRATIONS } from './storage/postgres/data-store.js';
import { createPgPool, inTransaction, migrate, type PgClient } from './storage/postgres/database.js';
import { SQLITE_FILE_NAME } from './storage/sqlite/database.js';

/**
 * Most bind parameters in one INSERT; PostgreSQL's protocol allows 65535.
 * @default 30000
 */
export const MIGRATE_MAX_PARAMS_PER_INSERT = 30_000;

/** Schema versions this command knows how to copy, per store. */
const KNOWN_VERSIONS: Readonly<Record<string, number>> = { auth: AUTH_MIGRATIONS.length, data: DATA_MIGRATIONS.length };

/** Tables copied before the others because those reference them. */
const COPIED_FIRST: readonly string[] = ['auth_users'];
/** Bookkeeping the target has its own of: migration versions and the one-row revision counter. */
const NOT_COPIED: ReadonlySet<string> = new Set(['schema_migrations', 'data_state']);

interface SourceTable {
  readonly name: string;
  readonly columns: readonly string[];
}

/**
 * Every table of the source with its columns. Both backends have the same tables and columns at
 * the same schema versions (checked first), so the list follows the schema without being kept here.
 */
function sourceTables(db: Database.Database): SourceTable[] {
  const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[])
    .map((row) => row.name)
    .filter((name) => !NOT_COPIED.has(name));
  const rank = (name: string) => (COPIED_FIRST.includes(name) ? 0 : 1);
  names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => ({
    name,
    columns: (db.pragma(`table_info("${name}")`) as { name: string }[]).map((column) => column.name),
  }));
}

export interface MigrateOptions {
  readonly output?: NodeJS.WritableStream;
  readonly env?: NodeJS.ProcessEnv;
}

export interface MigrateSummary {
  readonly dbId: string;
  readonly revision: number;
  /** Rows copied per table. */
  readonly copied: Readonly<Record<string, number>>;
}

function parseArgs(args: string[], env: NodeJS.ProcessEnv): { from: string; to: string } {
  let from = env.DXC_DATA_DIR ?? defaultConfig().dataDir;
  let to = env.DXC_DATABASE_URL;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = splitFlag(args[i]!);
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw new Error(`${flag} needs a value`);
    if (flag === '--from' || flag === '--data') from = value;
    else if (flag === '--to' || flag === '--db') to = value;
    else throw new Error(`Unknown option ${flag}. Usage: dxc-server migrate --from DIR --to postgres://...`);
  }
  // Never echo the URL: it may hold a password.
  if (!to || !isPostgresUrl(to)) throw new Error('migrate needs --to postgres://... (or DXC_DATABASE_URL)');
  return { from, to };
}

function openSource(dataDir: string): Database.Database {
  const file = path.join(dataDir, SQLITE_FILE_NAME);
  if (!fs.existsSync(file)) throw new Error(`No SQLite store at ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const versions = db.prepare('SELECT store, max(version) AS version FROM schema_migrations GROUP BY store').all() as {
    store: string;
    version: number;
  }[];
  for (const [store, known] of Object.entries(KNOWN_VERSIONS)) {
    const found = versions.find((v) => v.store === store)?.version ?? 0;
    if (found !== known) {
      db.close();
      throw new Error(
        `${file} has ${store} schema version ${found}; this dxc-server copies version ${known}. ` +
          'Start this dxc-server version once on the data directory (it upgrades it), then migrate.',
      );
    }
  }
  return db;
}

/** Insert rows in batches that stay under the bind-parameter limit. */
async function copyTable(
  source: Database.Database,
  target: PgClient,
  table: SourceTable,
): Promise<number> {
  const perBatch = Math.max(1, Math.floor(MIGRATE_MAX_PARAMS_PER_INSERT / table.columns.length));
  const columns = table.columns.map((column) => `"${column}"`).join(', ');
  const statement = source.prepare(`SELECT ${columns} FROM "${table.name}"`).raw(true);
  let batch: unknown[][] = [];
  let copied = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const placeholders = batch
      .map((_, r) => `(${table.columns.map((_, c) => `$${r * table.columns.length + c + 1}`).join(', ')})`)
      .join(', ');
    await target.query(`INSERT INTO "${table.name}" (${columns}) VALUES ${placeholders}`, batch.flat());
    copied += batch.length;
    batch = [];
  };
  for (const row of statement.iterate() as Iterable<unknown[]>) {
    batch.push(row);
    if (batch.length >= perBatch) await flush();
  }
  await flush();
  return copied;
}

/** Copy the SQLite store in `from` into the PostgreSQL database at `to`. */
export async function migrateSqliteToPostgres(from: string, to: string): Promise<MigrateSummary> {
  const source = openSource(from);
  const pool = createPgPool(to, 2);
  try {
    await migrate(pool, { auth: AUTH_MIGRATIONS, data: DATA_MIGRATIONS });
    // One read transaction on the source: every table from the same snapshot.
    source.exec('BEGIN');
    const state = source.prepare('SELECT db_id AS dbId, revision FROM data_state WHERE id = 1').get() as
      | { dbId: string; revision: number }
      | undefined;
    if (!state) throw new Error('The SQLite store has no data_state row; start dxc-server on it once first');
    return await inTransaction(pool, async (target) => {
      // Blocks pushes from nodes already running on the target until the copy commits.
      await target.query('LOCK TABLE data_state IN EXCLUSIVE MODE');
      const used = await target.query<{ used: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM data_state WHERE revision > 0) OR EXISTS (SELECT 1 FROM data_rows)
           OR EXISTS (SELECT 1 FROM auth_users) OR EXISTS (SELECT 1 FROM auth_api_clients) AS used`,
      );
      if (used.rows[0]!.used) throw new Error('The target PostgreSQL database already holds dxc data; migrate into an empty one');
      const copied: Record<string, number> = {};
      for (const table of sourceTables(source)) copied[table.name] = await copyTable(source, target, table);
      // Same database id and revision: clients' cursors (`dbID`, `serverRevision`) stay valid.
      await target.query(
        `INSERT INTO data_state (id, db_id, revision) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET db_id = excluded.db_id, revision = excluded.revision`,
        [state.dbId, state.revision],
      );
      return { dbId: state.dbId, revision: state.revision, copied };
    });
  } finally {
    if (source.inTransaction) source.exec('COMMIT');
    source.close();
    await pool.end();
  }
}

export async function migrateCommand(args: string[], options: MigrateOptions = {}): Promise<MigrateSummary> {
  const output = options.output ?? process.stdout;
  const { from, to } = parseArgs(args, options.env ?? process.env);
  const summary = await migrateSqliteToPostgres(from, to);
  const lines = Object.entries(summary.copied).map(([table, count]) => `  ${table.padEnd(20)} ${count}`);
  output.write(
    `Copied ${path.join(from, SQLITE_FILE_NAME)} to PostgreSQL (database id ${summary.dbId}, revision ${summary.revision}):\n` +
      `${lines.join('\n')}\n\n` +
      `Start every node with --db pointing at the same database and the signing key of ${from}\n` +
      `(${path.join(from, 'signing-key.json')}): with the same key, issued tokens stay valid.\n`,
  );
  return summary;
}
