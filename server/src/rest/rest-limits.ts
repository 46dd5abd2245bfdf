/**
 * Limits and names of the REST API for server-side clients (`/all/:table`), docs/starter.md#rest-api.
 */

/** Bytes of a `POST /all/:table` body after decompression. @default 4194304 (4 MiB) */
export const MAX_REST_BODY_BYTES = 4 * 1024 * 1024;

/** Objects in one `POST /all/:table` body. @default 1000 */
export const MAX_REST_POST_OBJECTS = 1000;

/** Rows one `GET /all/:table` answers with; more is a 413 asking for a narrower query. @default 10000 */
export const MAX_REST_GET_ROWS = 10_000;

/** Entries of `scopes` in a client-token request; the three known scopes fit with room to spare. @default 10 */
export const MAX_CLIENT_TOKEN_SCOPES = 10;

/** Scope that lets a client token read every realm. */
export const GLOBAL_READ = 'GLOBAL_READ';
/** Scope that lets a client token write every realm. */
export const GLOBAL_WRITE = 'GLOBAL_WRITE';
/** Scopes a client token may carry; `ACCESS_DB` is accepted (Dexie Cloud asks for it) and grants nothing more. */
export const CLIENT_TOKEN_SCOPES: readonly string[] = ['ACCESS_DB', GLOBAL_READ, GLOBAL_WRITE];

/** JOSE `typ` of client tokens: never accepted where a user's `at+jwt` is expected, nor the reverse. */
export const CLIENT_TOKEN_TYPE = 'dxc-client+jwt';
/** The `aud` of client tokens. */
export const CLIENT_TOKEN_AUDIENCE = 'dxc-rest';
