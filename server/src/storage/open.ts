/**
 * Chooses the storage backend from the configuration: PostgreSQL when `database` is set (several
 * nodes may share it, with LISTEN/NOTIFY fan-out), otherwise embedded SQLite in the data directory
 * (one node, in-process fan-out).
 */
import type { ServerConfig } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { createChangeBus, type ChangeBus } from '../sync/change-bus.js';
import { openPostgresBackend } from './postgres/open-postgres.js';
import { openSqliteStorage } from './sqlite/index.js';
import type { Storage } from './storage.js';

export interface Backend {
  readonly storage: Storage;
  /** Committed changes for this node's live sockets, whichever node committed them. */
  readonly changes: ChangeBus;
}

/** True for a `postgres://` or `postgresql://` URL. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** Storage and change bus for a serving node. `storage.close()` also stops the bus. */
export async function openBackend(config: ServerConfig, logger: Logger): Promise<Backend> {
  if (config.database) {
    const backend = await openPostgresBackend(checkedUrl(config.database), { logger, listen: true });
    return { storage: backend.storage, changes: backend.changes! };
  }
  return { storage: openSqliteStorage(config.dataDir), changes: createChangeBus() };
}

/** Storage alone, for commands that do not serve sockets (create-client, migrate). */
export async function openStorage(config: ServerConfig): Promise<Storage> {
  if (config.database) {
    const logger = createLogger(config.logLevel);
    return (await openPostgresBackend(checkedUrl(config.database), { logger, listen: false })).storage;
  }
  return openSqliteStorage(config.dataDir);
}

function checkedUrl(url: string): string {
  // Never echo the URL: it may hold a password.
  if (!isPostgresUrl(url)) throw new Error('--db / DXC_DATABASE_URL must be a postgres:// URL');
  return url;
}
