/**
 * The names page and worker agree on: the Background Sync / Periodic Sync tag of a database and
 * the `postMessage` a page sends when it cannot register a tag. One constant each, so a page of
 * one dxc version and a worker of another still understand each other.
 */

/** Prefix of every dxc sync tag: `dxc:<IndexedDB name>`. */
export const SYNC_TAG_PREFIX = 'dxc:';

/** `type` of the message a page posts to the worker to ask for a sync (the fallback path). */
export const SYNC_MESSAGE_TYPE = 'dxc-sync';

/**
 * `type` of the message a page posts to ask whether the worker runs the sync bundle. Only the
 * bundle's listener answers it (with `{type: 'dxc-sync-probe', ok: true}` on the message's port),
 * so a worker that never loaded the bundle stays silent.
 */
export const SYNC_PROBE_TYPE = 'dxc-sync-probe';

/** Longest database name a tag or message may carry, in characters. @default 256 */
export const MAX_DB_NAME_LENGTH = 256;

export type SyncPurpose = 'push' | 'pull';

/** What a page posts to the worker: `{type: 'dxc-sync', dbName, purpose}`. */
export interface SyncMessage {
  type: typeof SYNC_MESSAGE_TYPE;
  dbName: string;
  purpose: SyncPurpose;
}

/** The worker's answer on the message's port, when the page passed one. */
export type SyncMessageReply = { ok: true } | { ok: false; code: string; message: string };

/** The worker's answer to a probe. */
export interface SyncProbeReply {
  type: typeof SYNC_PROBE_TYPE;
  ok: true;
}

export function isSyncProbe(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === SYNC_PROBE_TYPE;
}

export function syncTag(dbName: string): string {
  return SYNC_TAG_PREFIX + dbName;
}

/** The database a tag names, or undefined for tags that are not dxc's (another library's). */
export function dbNameOfTag(tag: unknown): string | undefined {
  if (typeof tag !== 'string' || !tag.startsWith(SYNC_TAG_PREFIX)) return undefined;
  const name = tag.slice(SYNC_TAG_PREFIX.length);
  return isDbName(name) ? name : undefined;
}

/** The message as a SyncMessage, or undefined for anything else posted to the worker. */
export function parseSyncMessage(data: unknown): SyncMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { type, dbName, purpose } = data as Record<string, unknown>;
  if (type !== SYNC_MESSAGE_TYPE || !isDbName(dbName)) return undefined;
  return { type, dbName, purpose: purpose === 'push' ? 'push' : 'pull' };
}

function isDbName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= MAX_DB_NAME_LENGTH;
}
