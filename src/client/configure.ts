/**
 * `db.cloud.configure(options)`: validation, defaults and the database naming rule. Misuse fails
 * early with DxcError `config-invalid` (or `insecure-context`) instead of at the first sync.
 */
import type { Dexie } from 'dexie';
import { dxcError } from './errors.js';
import type { DxcOptions } from './options.js';
import { assertWebCrypto } from './tokens.js';

/**
 * The database's short name in its URL: the first hostname label for a root URL
 * (`https://mydb.example.com` → `mydb`), otherwise the first path segment (`https://h/db1` → `db1`).
 */
export function getDbNameFromDbUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return url.pathname === '/' ? url.hostname.split('.')[0]! : url.pathname.split('/')[1]!;
}

/** Merge `options` into `current`, validated; `databaseUrl` loses any trailing slash. */
export function validateOptions(db: Dexie, current: DxcOptions | null, options: DxcOptions): DxcOptions {
  if (db.isOpen() || (db as unknown as { _state?: { isBeingOpened?: boolean } })._state?.isBeingOpened) {
    throw dxcError('config-invalid', 'Call db.cloud.configure() before the first query opens the database');
  }
  if (typeof options !== 'object' || options === null) throw dxcError('config-invalid', 'configure() needs an options object');
  const merged: DxcOptions = { nameSuffix: true, ...current, ...options };
  let url: URL;
  try {
    url = new URL(merged.databaseUrl);
  } catch {
    throw dxcError('config-invalid', `databaseUrl is not a URL: ${JSON.stringify(merged.databaseUrl)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw dxcError('config-invalid', `databaseUrl must be http(s), got ${url.protocol}`);
  }
  if (url.search || url.hash) throw dxcError('config-invalid', 'databaseUrl must not have a query or fragment');
  merged.databaseUrl = merged.databaseUrl.replace(/\/+$/, '');
  if (merged.unsyncedTables !== undefined && !(Array.isArray(merged.unsyncedTables) && merged.unsyncedTables.every((t) => typeof t === 'string'))) {
    throw dxcError('config-invalid', 'unsyncedTables must be an array of table names');
  }
  for (const name of ['fetchTokens', 'authenticationRequired', 'authenticationExpiringSoon'] as const) {
    if (merged[name] !== undefined && typeof merged[name] !== 'function') throw dxcError('config-invalid', `${name} must be a function`);
  }
  const interval = merged.periodicSync?.minInterval;
  if (interval !== undefined && !(Number.isFinite(interval) && interval >= 0)) {
    throw dxcError('config-invalid', 'periodicSync.minInterval must be a non-negative number of ms');
  }
  assertWebCrypto();
  return merged;
}

type Callbacks = 'fetchTokens' | 'authenticationRequired' | 'authenticationExpiringSoon';

/** Options as persisted for a service worker: without functions, which cannot be stored. */
export function persistableOptions(options: DxcOptions): Omit<DxcOptions, Callbacks> {
  const { fetchTokens: _f, authenticationRequired: _r, authenticationExpiringSoon: _e, ...rest } = options;
  return rest;
}
