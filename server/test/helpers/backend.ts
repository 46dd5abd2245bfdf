/**
 * Chooses the storage backend for the whole server suite. With `DXC_TEST_BACKEND=postgres` and
 * `DXC_TEST_PG_URL` set, every data directory a test uses gets a PostgreSQL database of its own
 * (`CREATE DATABASE dxc_t_<pid>_<random>`), so a server restarted on the same directory finds the
 * same data, and tests never see each other's rows or notifications. The databases are dropped
 * when the test process exits; `scripts/ensure-postgres.mjs` drops those of processes that died.
 *
 * Usage, one line where a test starts a server:
 *   startServer({ ...(await backendConfig(dataDir)), ...overrides, dataDir })
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { ServerConfig } from '../../src/config.js';

export type TestBackend = 'sqlite' | 'postgres';

/** The admin URL of the test PostgreSQL server, if the environment names one. */
export const TEST_PG_URL: string | undefined = process.env.DXC_TEST_PG_URL || undefined;

/** The backend the suite runs on. */
export const TEST_BACKEND: TestBackend = process.env.DXC_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

if (TEST_BACKEND === 'postgres' && !TEST_PG_URL) {
  throw new Error('DXC_TEST_BACKEND=postgres needs DXC_TEST_PG_URL (run scripts/ensure-postgres.mjs)');
}

/** Prefix of every database the tests create; ensure-postgres.mjs cleans up by it. */
export const TEST_DATABASE_PREFIX = 'dxc_t_';

const databaseByDataDir = new Map<string, string>();
const created: string[] = [];

/** `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A connection to the test server outside any test database (for CREATE/ALTER/DROP DATABASE). */
export async function connectAdmin(): Promise<pg.Client> {
  if (!TEST_PG_URL) throw new Error('DXC_TEST_PG_URL is not set');
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  try {
    await client.connect();
    return client;
  } catch (error) {
    // A URL naming a database that does not exist (e.g. `/test` on a fresh cluster): every
    // cluster has `postgres`, and creating databases does not depend on which one we are in.
    if ((error as { code?: string }).code !== '3D000') throw error;
    const fallback = new pg.Client({ connectionString: withDatabase(TEST_PG_URL, 'postgres') });
    await fallback.connect();
    return fallback;
  }
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectAdmin();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new empty PostgreSQL database; returns its URL. Dropped when this process exits. */
export async function createTestDatabase(): Promise<string> {
  if (!TEST_PG_URL) throw new Error('DXC_TEST_PG_URL is not set');
  const name = `${TEST_DATABASE_PREFIX}${process.pid}_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  created.push(name);
  return withDatabase(TEST_PG_URL, name);
}

/** Config overrides that put the storage of `dataDir` on the suite's backend. */
export async function backendConfig(dataDir: string): Promise<Partial<ServerConfig>> {
  if (TEST_BACKEND === 'sqlite') return {};
  const key = path.resolve(dataDir);
  let url = databaseByDataDir.get(key);
  if (!url) {
    url = await createTestDatabase();
    databaseByDataDir.set(key, url);
  }
  return { database: url };
}

/** Drop every database this process created (also runs when the process is about to exit). */
/** `dxc-server` command-line arguments that select the same backend as `backendConfig(dataDir)`. */
export async function backendArgs(dataDir: string): Promise<string[]> {
  const { database } = await backendConfig(dataDir);
  return database ? ['--db', database] : [];
}

export async function dropTestDatabases(): Promise<void> {
  const names = created.splice(0);
  if (names.length === 0 || !TEST_PG_URL) return;
  await admin(async (client) => {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

let dropping = false;
// beforeExit fires once the event loop is empty (servers closed), when async work is still allowed.
process.on('beforeExit', () => {
  if (dropping || created.length === 0) return;
  dropping = true;
  dropTestDatabases().catch((error: unknown) => process.stderr.write(`dropping test databases: ${String(error)}\n`));
});

/**
 * Every stored row of every table, whichever backend holds them, as plain JSON values: lets a test
 * check what is (or is not) at rest without knowing the backend.
 */
export async function storedTables(config: { dataDir: string; database?: string | undefined }): Promise<Record<string, unknown[]>> {
  const tables: Record<string, unknown[]> = {};
  if (config.database) {
    const client = new pg.Client({ connectionString: config.database });
    await client.connect();
    try {
      const { rows } = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
      for (const { tablename } of rows) tables[tablename] = (await client.query(`SELECT * FROM "${tablename}"`)).rows;
    } finally {
      await client.end();
    }
    return tables;
  }
  const db = new Database(path.join(config.dataDir, 'dxc.sqlite'), { readonly: true });
  try {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    for (const { name } of names) tables[name] = db.prepare(`SELECT * FROM "${name}"`).all();
  } finally {
    db.close();
  }
  return tables;
}
