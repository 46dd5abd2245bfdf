/** The PostgreSQL backend: both stores over one pool, and the LISTEN/NOTIFY change bus. */
export { createPgAuthStore, AUTH_MIGRATIONS } from './auth-store.js';
export { CHANGES_CHANNEL, createPgChangeBus, type PgChangeBus } from './change-bus.js';
export { createPgDataStore, DATA_MIGRATIONS } from './data-store.js';
export { createPgPool, migrate, PG_POOL_SIZE, type PgPool } from './database.js';
export { openPostgresBackend, type PostgresBackend } from './open-postgres.js';
