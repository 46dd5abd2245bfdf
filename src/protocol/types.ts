/**
 * Wire types of the Dexie Cloud sync protocol v3 as dxc speaks it. Shapes follow what the official
 * `dexie-cloud-addon@4.4.14` sends and expects (see docs/protocol.md); dxc-only fields are marked.
 */

/** Per-table flags the client declares and the server echoes back (the echo replaces the client's). */
export interface DexieCloudSchemaEntry {
  generatedGlobalId?: boolean;
  idPrefix?: string;
  deleted?: boolean;
  markedForSync?: boolean;
  initiallySynced?: boolean;
  primaryKey?: string;
}
export type DexieCloudSchema = Record<string, DexieCloudSchemaEntry>;

/** Dexie's DBCoreKeyRange as sent in where-clause criteria. 1 Equal, 2 Range, 3 Any, 4 Never. */
export interface WireKeyRange {
  type: 1 | 2 | 3 | 4;
  lower?: unknown;
  upper?: unknown;
  lowerOpen?: boolean;
  upperOpen?: boolean;
}
export interface WireCriteria {
  index: string | null;
  range: WireKeyRange;
}

interface OperationCommon<K> {
  /** Client outbox revision. */
  rev?: number;
  /** Client time of the write, ms since epoch. Informational only: ordering is the server's. */
  ts?: number;
  keys: K[];
  txid?: string;
  userId?: string;
  opNo?: number;
  isAdditionalChunk?: boolean;
}
export interface InsertOperation<K = WireKey> extends OperationCommon<K> {
  type: 'insert';
  values: unknown[];
}
export interface UpsertOperation<K = WireKey> extends OperationCommon<K> {
  type: 'upsert';
  values: unknown[];
  changeSpecs?: (Record<string, unknown> | null)[];
}
export interface UpdateOperation<K = WireKey> extends OperationCommon<K> {
  type: 'update';
  changeSpecs: Record<string, unknown>[];
}
export interface ModifyOperation<K = WireKey> extends OperationCommon<K> {
  type: 'modify';
  criteria: WireCriteria;
  changeSpec: Record<string, unknown>;
}
export interface DeleteOperation<K = WireKey> extends OperationCommon<K> {
  type: 'delete';
  criteria?: WireCriteria | false;
}
export type DBOperation<K = WireKey> =
  | InsertOperation<K>
  | UpsertOperation<K>
  | UpdateOperation<K>
  | ModifyOperation<K>
  | DeleteOperation<K>;
export type DBOperationType = DBOperation['type'];
export const OPERATION_TYPES: readonly DBOperationType[] = ['insert', 'upsert', 'update', 'modify', 'delete'];

/** A primary key on the wire: a string, or (from clients) an array of strings and numbers. */
export type WireKey = string | (string | number)[];

export interface TableChanges<K = WireKey> {
  table: string;
  muts: DBOperation<K>[];
}
export type DBOperationsSet<K = WireKey> = TableChanges<K>[];

export interface BaseRevision {
  tableName: string;
  clientRev: number;
  serverRev: unknown;
}

export interface SyncRequest {
  /** Protocol version; 3 means the client understands BlobRefs. */
  v?: number;
  dbID?: string;
  clientIdentity?: string;
  schema: DexieCloudSchema;
  lastPull?: {
    serverRevision: string | bigint;
    yServerRevision?: string;
    realms: string[];
    inviteRealms: string[];
  };
  baseRevs: BaseRevision[];
  changes: DBOperationsSet;
  y?: unknown[];
  /** Client version string. */
  dxcv?: string;
  /**
   * dxc extension: pull in pages of at most this many rows (1 to MAX_PULL_PAGE_ROWS). Without it
   * the answer holds every change, as the official addon expects.
   */
  dxcPageRows?: number;
  /** dxc extension: the `dxcPage` of the previous answer, to go on with a paged pull. */
  dxcPage?: PullPage;
}

/**
 * dxc extension: where a paged pull goes on. The server makes it and the client sends it back
 * unchanged; the server checks it (and the realms the user may read) again on every request.
 */
export interface PullPage {
  /** The revision the whole pull brings the client to: the server's revision when it began. */
  head: number;
  /** The client's cursor for the `known` realms (null: it had none). */
  cursor: number | null;
  /** Realms the client held at `cursor`: their changes after it. */
  known: string[];
  /** Realms new to the client: their live rows. */
  fresh: string[];
  /** The last row sent so far, as `[revision, table, key]`: rows go in this order. */
  after: [number, string, string];
}

export interface SyncRejection {
  name: string;
  message: string;
  txid: string;
}

export interface SyncResponse {
  serverRevision: string;
  dbId: string;
  realms: string[];
  inviteRealms: string[];
  schema: DexieCloudSchema;
  /** Server changes since `lastPull`, as `upsert` and `delete` only (keys are strings). */
  changes: DBOperationsSet<string>;
  rejections: SyncRejection[];
  /**
   * dxc extension, on a paged pull with more to come: send it back as `SyncRequest.dxcPage`. Until
   * the last page, `serverRevision` and `realms` are still the client's old ones.
   */
  dxcPage?: PullPage;
  /** dxc extension, on a paged pull: rows left after this page (0 on the last one). */
  dxcRemaining?: number;
}

// ---------------------------------------------------------------------------------------------
// POST /token

export type TokenScope = 'ACCESS_DB' | 'IMPERSONATE' | 'MANAGE_DB' | 'GLOBAL_READ' | 'GLOBAL_WRITE' | 'DELETE_DB';

export interface OtpTokenRequest {
  grant_type: 'otp';
  email: string;
  scopes: TokenScope[];
  otp?: string;
  otp_id?: string;
  public_key?: string;
  intent?: 'login' | 'register';
  /** dxc extension: a `dpop+jwt` proof binding the session to the proof's key. */
  proof?: string;
}

/**
 * A refresh request. The official addon proves key possession with `signature` over
 * `refresh_token + time_stamp` (the legacy proof); the dxc client sends a DPoP-shaped `proof`
 * instead (or the same JWS in a `DPoP` header) and gets a rotated refresh token back.
 */
export interface RefreshTokenRequest {
  grant_type: 'refresh_token';
  refresh_token: string;
  scopes: TokenScope[];
  time_stamp?: number;
  signing_algorithm?: 'RSASSA-PKCS1-v1_5';
  /** Standard base64 of the signature over the UTF-8 bytes of `refresh_token + time_stamp`. */
  signature?: string;
  /** dxc extension: a `dpop+jwt` proof (RFC 9449 shape) instead of `signature`. */
  proof?: string;
  public_key?: string;
}

/** RFC 8693's grant type, used by dxc for logging in with a third-party token through a provider. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/**
 * dxc extension: log in with a token from a third-party identity system. The server hands
 * `subject_token` to the operator-configured `provider` (an auth webhook, or a JWKS it verifies
 * JWTs against) and opens a session that never outlives what the provider allowed.
 */
export interface ProviderTokenRequest {
  grant_type: typeof TOKEN_EXCHANGE_GRANT;
  /** Name of a provider configured on the server. */
  provider: string;
  /** The third-party token, passed on as is. */
  subject_token: string;
  /** RFC 8693 token type; informational. */
  subject_token_type?: string;
  scopes: TokenScope[];
  /** Device key (PEM SPKI RSA) for the legacy refresh signature; omit with `proof`. */
  public_key?: string;
  /** A `dpop+jwt` proof binding the session to its key (dxc client). */
  proof?: string;
}

export interface ClientCredentialsTokenRequest {
  grant_type: 'client_credentials';
  client_id: string;
  client_secret: string;
  scopes: TokenScope[];
  public_key?: string;
  claims?: { sub: string; email?: string; name?: string; [claim: string]: unknown };
  /** Requested access-token lifetime in seconds. */
  expires_in?: number;
  /** dxc extension (RFC 9449 §10): the browser key's JWK SHA-256 thumbprint, binding its DPoP proofs. */
  dpop_jkt?: string;
}

export type TokenRequest = OtpTokenRequest | RefreshTokenRequest | ClientCredentialsTokenRequest | ProviderTokenRequest;

export interface TokenClaims {
  sub: string;
  email?: string;
  name?: string;
  license?: 'ok' | 'expired' | 'deactivated';
  [claim: string]: unknown;
}

export interface OtpSentResponse {
  type: 'otp-sent';
  otp_id: string;
}

export interface TokenFinalResponse {
  type: 'tokens';
  claims: TokenClaims;
  accessToken: string;
  /** ms since epoch */
  accessTokenExpiration: number;
  refreshToken?: string;
  /** ms since epoch */
  refreshTokenExpiration?: number | null;
  userType: 'demo' | 'eval' | 'prod' | 'client';
  /**
   * dxc extension: true when the session is bound to a DPoP-shaped proof key, so the client must
   * refresh with proofs and store the rotated refresh token of every answer.
   */
  dpopBound?: boolean;
  alerts?: { type: 'error' | 'warning' | 'info'; messageCode: string; message: string; messageParams?: Record<string, string> }[];
}

export interface TokenErrorResponse {
  type: 'error';
  title: string;
  messageCode: 'INVALID_OTP' | 'INVALID_EMAIL' | 'LICENSE_LIMIT_REACHED' | 'GENERIC_ERROR';
  message: string;
  messageParams?: Record<string, string>;
}

export type TokenResponse = OtpSentResponse | TokenFinalResponse | TokenErrorResponse;

export interface AuthProvidersResponse {
  providers: { type: string; name: string; displayName: string; iconUrl?: string }[];
  otpEnabled: boolean;
  /** dxc extension: webhook and JWKS providers for the token-exchange grant. */
  tokenProviders?: { name: string; type: 'webhook' | 'jwks' }[];
  /** dxc extension: proof formats the server accepts at login and refresh (`'dpop+jwt'`). */
  proofs?: string[];
}

// ---------------------------------------------------------------------------------------------
// WebSocket /changes

export type ClientSocketMessage =
  | { type: 'ready'; rev: string; realmSetHash: string }
  | { type: 'ping' };

export type ServerSocketMessage =
  | { type: 'changes'; baseRev: string; newRev: string; realmSetHash: string; changes: DBOperationsSet<string> }
  | { type: 'realms-changed'; realmsHash: string }
  | { type: 'token-expired' }
  | { type: 'pong' }
  | { type: 'error'; error: string };

/** The error body of every 4xx/5xx JSON answer from dxc-server (dxc's own format). */
export interface ErrorBody {
  error: string;
  message: string;
}

/** The public realm: readable by everyone, anonymous callers included. */
export const PUBLIC_REALM = 'rlm-public';
/** The user id of a caller with no token, as the addon writes it into `owner`/`realmId`. */
export const UNAUTHORIZED_USER_ID = 'unauthorized';
