/**
 * The change bus across nodes: every push transaction NOTIFYs its revision and realms (see
 * data-store.ts), and each node LISTENs on one dedicated connection and hands what other nodes
 * committed to its own sockets. The node's own commits are delivered in-process at once by
 * `publish`, without the round trip through PostgreSQL.
 *
 * Notifications sent while the LISTEN connection was down are lost, so after reconnecting the bus
 * asks the database which realms changed since the last revision it saw and announces those.
 */
import type { Logger } from '../../logger.js';
import type { ChangeBus, CommittedChange } from '../../sync/change-bus.js';
import { createPgClient, type PgPool } from './database.js';
import { parseNotification } from './notifications.js';

/** The LISTEN/NOTIFY channel dxc-server uses. */
export const CHANGES_CHANNEL = 'dxc_changes';

/** `application_name` of the LISTEN connection, so operators can tell it apart in pg_stat_activity. */
export const LISTEN_APPLICATION_NAME = 'dxc-server-listen';

/** Delay before reconnecting a lost LISTEN connection, in ms; doubles up to the maximum. @default 250 */
export const LISTEN_RECONNECT_MIN_MS = 250;
/** Longest delay between reconnection attempts, in ms. @default 10000 */
export const LISTEN_RECONNECT_MAX_MS = 10_000;

export interface PgChangeBus extends ChangeBus {
  /** Connect and LISTEN; resolves once notifications flow. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface PgChangeBusOptions {
  readonly connectionString: string;
  readonly pool: PgPool;
  readonly nodeId: string;
  readonly logger: Logger;
  readonly channel?: string;
}

export function createPgChangeBus(options: PgChangeBusOptions): PgChangeBus {
  const { connectionString, pool, nodeId, logger } = options;
  const channel = options.channel ?? CHANGES_CHANNEL;
  const listeners = new Set<(change: CommittedChange) => void>();
  let client: ReturnType<typeof createPgClient> | undefined;
  let closed = false;
  let lastRevision = 0;
  let retryDelay = LISTEN_RECONNECT_MIN_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  function deliver(change: CommittedChange): void {
    for (const listener of listeners) listener(change);
  }

  async function connect(): Promise<void> {
    const next = createPgClient(connectionString, LISTEN_APPLICATION_NAME);
    next.on('notification', (message) => {
      if (message.channel !== channel) return;
      const notice = parseNotification(message.payload);
      if (!notice) return;
      // Notifications arrive in commit order, so everything up to this revision has been announced.
      lastRevision = Math.max(lastRevision, notice.revision);
      if (notice.nodeId === nodeId) return;
      deliver({ revision: String(notice.revision), realms: notice.realms });
    });
    next.on('error', (error) => {
      logger.warn({ err: { message: error.message } }, 'change bus: LISTEN connection lost');
      lost(next);
    });
    next.on('end', () => lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      // close() ran while this connection was being made.
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    retryDelay = LISTEN_RECONNECT_MIN_MS;
  }

  function lost(which: ReturnType<typeof createPgClient>): void {
    if (client !== which || closed) return;
    client = undefined;
    which.end().catch(() => undefined);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      reconnect().catch((error: unknown) => {
        logger.warn({ err: { message: (error as Error).message } }, 'change bus: reconnect failed');
        retryDelay = Math.min(retryDelay * 2, LISTEN_RECONNECT_MAX_MS);
        scheduleReconnect();
      });
    }, retryDelay);
    retryTimer.unref();
  }

  /** Listen again, then announce whatever committed while no notification could arrive. */
  async function reconnect(): Promise<void> {
    await connect();
    const since = lastRevision;
    let rows: { realm_id: string; revision: number }[];
    try {
      ({ rows } = await pool.query<{ realm_id: string; revision: number }>(
        'SELECT realm_id, max(revision) AS revision FROM data_rows WHERE revision > $1 GROUP BY realm_id',
        [since],
      ));
    } catch (error) {
      // Without the catch-up the new connection is no use: drop it, and the retry redoes both.
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
      throw error;
    }
    if (rows.length === 0) return;
    const revision = Math.max(...rows.map((row) => row.revision));
    logger.info({ since, revision }, 'change bus: caught up after reconnecting');
    lastRevision = Math.max(lastRevision, revision);
    deliver({ revision: String(revision), realms: rows.map((row) => row.realm_id) });
  }

  return {
    async start() {
      // LISTEN before reading the revision: a commit in between is announced, never skipped.
      await connect();
      const { rows } = await pool.query<{ revision: number }>('SELECT revision FROM data_state WHERE id = 1');
      lastRevision = Math.max(lastRevision, rows[0]!.revision);
    },
    publish(change) {
      deliver(change);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const current = client;
      client = undefined;
      listeners.clear();
      await current?.end().catch(() => undefined);
    },
  };
}
