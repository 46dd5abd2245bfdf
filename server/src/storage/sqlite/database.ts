/**
 * The embedded SQLite database: one file in the data directory, WAL journal (readers never block
 * the writer) and synchronous=FULL so an acknowledged push survives a power cut (DESIGN.md,
 * reliability baseline). Each store keeps its own ordered migration list.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

export type SqliteDatabase = Database.Database;

export const SQLITE_FILE_NAME = 'dxc.sqlite';

/**
 * How long a statement waits for another connection's write lock (ms) before failing with
 * SQLITE_BUSY, e.g. `create-client` writing while the server runs on the same file. @default 5000
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export function openSqlite(dataDir: string): SqliteDatabase {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, SQLITE_FILE_NAME));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    store TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (store, version))`);
  return db;
}

/** Run the migrations of `store` that have not run yet, each in its own transaction. */
export function migrate(db: SqliteDatabase, store: string, migrations: readonly string[]): void {
  const done = new Set(
    db
      .prepare('SELECT version FROM schema_migrations WHERE store = ?')
      .all(store)
      .map((row) => (row as { version: number }).version),
  );
  migrations.forEach((sql, index) => {
    const version = index + 1;
    if (done.has(version)) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (store, version) VALUES (?, ?)').run(store, version);
    })();
  });
}
