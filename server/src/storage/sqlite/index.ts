/** The SQLite backend: both stores over one database file. */
import type { Storage } from '../storage.js';
import { openSqlite } from './database.js';

export function openSqliteStorage(dataDir: string): Storage {
  const db = openSqlite(dataDir);
  return {
    auth: { kind: 'auth' },
    data: { kind: 'data' },
    async close() {
      db.close();
    },
  };
}
