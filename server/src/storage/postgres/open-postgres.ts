/**
 * Opens the PostgreSQL backend for one node: a pool, the migrations (once across nodes), both
 * stores, and, for a serving node, the change bus that LISTENs for other nodes' commits.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger.js';
import type { Storage } from '../storage.js';
import { AUTH_MIGRATIONS, createPgAuthStore } from './auth-store.js';
import { CHANGES_CHANNEL, createPgChangeBus, type PgChangeBus } from './change-bus.js';
import { createPgDataStore, DATA_MIGRATIONS } from './data-store.js';
import { createPgPool, migrate } from './database.js';

export interface PostgresBackend {
  readonly storage: Storage;
  /** Present when opened with `listen: true`; closed by `storage.close()`. */
  readonly changes: PgChangeBus | undefined;
}

export interface OpenPostgresOptions {
  readonly logger: Logger;
  /** Start the LISTEN connection (a serving node); commands such as `migrate` do not need it. */
  readonly listen: boolean;
}

export async function openPostgresBackend(connectionString: string, options: OpenPostgresOptions): Promise<PostgresBackend> {
  const pool = createPgPool(connectionString);
  try {
    await migrate(pool, { auth: AUTH_MIGRATIONS, data: DATA_MIGRATIONS });
    // Each process is its own node: it skips its own notifications, which it delivered in-process.
    const nodeId = randomUUID();
    const data = await createPgDataStore(pool, { channel: CHANGES_CHANNEL, nodeId });
    const changes = options.listen
      ? createPgChangeBus({ connectionString, pool, nodeId, logger: options.logger, channel: CHANGES_CHANNEL })
      : undefined;
    await changes?.start();
    return {
      storage: {
        auth: createPgAuthStore(pool),
        data,
        async close() {
          await changes?.close();
          await pool.end();
        },
      },
      changes,
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
