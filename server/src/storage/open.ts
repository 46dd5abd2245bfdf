/** Chooses the storage backend from the configuration. */
import type { ServerConfig } from '../config.js';
import { openSqliteStorage } from './sqlite/index.js';
import type { Storage } from './storage.js';

export async function openStorage(config: ServerConfig): Promise<Storage> {
  return openSqliteStorage(config.dataDir);
}
