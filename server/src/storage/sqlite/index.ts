/** The SQLite backend: both stores over one database file. */
import type { Storage } from '../storage.js';
import { createSqliteAuthStore } from './auth-store.js';
import { createSqliteDataStore } from './data-store.js';
import { openSqlite } from './database.js';

export function openSqliteStorage(dataDir: string): Storage {
  const db = openSqlite(dataDir);
  return {
    auth: createSqliteAuthStore(db),
    data: createSqliteDataStore(db),
    async close() {
      db.close();
    },
  };
}
