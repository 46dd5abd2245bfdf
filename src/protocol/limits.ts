/**
 * Limits on what dxc accepts from the wire. Each one is shared by client and server so that both
 * sides agree on what is too big; servers may lower the configurable ones, never raise the hard ones.
 * See docs/protocol.md#limits.
 */

/** Bytes of a request body (after decompression) accepted without authentication. */
export const MAX_UNAUTHENTICATED_BODY_BYTES = 1024 * 1024;

/**
 * Default bytes of an authenticated `/sync` body (after decompression). The official addon pushes
 * its whole outbox in one request, so this must hold at least 10,000 typical rows; configurable.
 */
export const DEFAULT_MAX_SYNC_BODY_BYTES = 64 * 1024 * 1024;

/** Bytes of one row value, measured as its TSON text. */
export const MAX_ROW_BYTES = 1024 * 1024;

/** Nesting depth of any JSON document on the wire (objects and arrays). */
export const MAX_DEPTH = 32;

/** Characters of a primary key once encoded for the wire (a string, or a JSON array string). */
export const MAX_PRIMARY_KEY_LENGTH = 512;

/** Table names: what IndexedDB, SQLite and PostgreSQL all accept as an identifier, plus Dexie's `$`. */
export const TABLE_NAME_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]{0,62}$/;

/** Keys that would pollute prototypes if a naive merge ever wrote them. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Rows a client may ask for in one page of a paged pull (`dxcPageRows`). @default 50000 */
export const MAX_PULL_PAGE_ROWS = 50_000;

/**
 * Bytes of row values (TSON text) in one page of a paged pull; a page holds at least one row
 * however large. Matches the client's push parts, so pages and pushes cost alike. @default 4194304 (4 MiB)
 */
export const MAX_PULL_PAGE_BYTES = 4 * 1024 * 1024;

/** Realms a `dxcPage` may name (known and fresh together). @default 10000 */
export const MAX_PAGE_REALMS = 10_000;

/** Bytes of one WebSocket message from a client; larger frames close the socket with 1009. */
export const MAX_WS_MESSAGE_BYTES = 1024 * 1024;

/** Characters of an email address (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;

/** Characters of a submitted one-time code. */
export const MAX_OTP_LENGTH = 16;

/** Characters of a token or signature field in a `/token` request. */
export const MAX_TOKEN_FIELD_LENGTH = 8192;

/** Characters of a short name field in a `/token` request (`provider`, `subject_token_type`, `dpop_jkt`). @default 128 */
export const MAX_PROVIDER_NAME_LENGTH = 128;
