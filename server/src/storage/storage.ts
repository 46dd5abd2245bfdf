/**
 * The storage boundary. Everything the server persists goes through these two interfaces, which
 * both backends implement (SQLite embedded, PostgreSQL for several nodes). Methods are async even
 * on SQLite so the PostgreSQL backend fits without changing callers.
 */
import type { AuthStore } from './auth-store.js';
import type { DataStore } from './data-store.js';

export interface Storage {
  readonly auth: AuthStore;
  readonly data: DataStore;
  close(): Promise<void>;
}
