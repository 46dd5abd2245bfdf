/**
 * Structural validation of decoded wire messages. Runs before anything touches storage or merge
 * logic, so every malformed request ends as one typed DxcError (a 400 on the server) and nothing
 * half-applied. TSON decoding has already refused excessive depth and prototype keys.
 */
import { DxcError } from './errors.js';
import {
  MAX_EMAIL_LENGTH,
  MAX_OTP_LENGTH,
  MAX_PAGE_REALMS,
  MAX_PRIMARY_KEY_LENGTH,
  MAX_PROVIDER_NAME_LENGTH,
  MAX_PULL_PAGE_ROWS,
  MAX_ROW_BYTES,
  MAX_TOKEN_FIELD_LENGTH,
  TABLE_NAME_PATTERN,
} from './limits.js';
import { encodeTson } from './tson.js';
import {
  OPERATION_TYPES,
  TOKEN_EXCHANGE_GRANT,
  type DBOperation,
  type SyncRequest,
  type TokenRequest,
  type WireCriteria,
  type WireKey,
} from './types.js';

/** A lone UTF-16 surrogate: databases store it as U+FFFD, so two different strings would collide. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * JSON.stringify writes lone surrogates (and only them) as `\udxxx` escapes; the backslash must not
 * itself be escaped (a user's literal text `\ud800` is written `\\ud800`).
 */
const ESCAPED_LONE_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i;

function fail(message: string): never {
  throw new DxcError('invalid-request', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    fail(`${what} must be an array of strings`);
  }
  return value as string[];
}

export function validateTableName(table: unknown): string {
  if (typeof table !== 'string' || !TABLE_NAME_PATTERN.test(table)) {
    throw new DxcError('invalid-table', `Invalid table name ${JSON.stringify(table)}`);
  }
  return table;
}

/** A primary key as a string: array keys travel as their JSON text, as the addon sends them. */
export function normalizeKey(key: unknown): string {
  let text: string;
  if (typeof key === 'string') text = key;
  else if (Array.isArray(key) && key.length > 0 && key.every((p) => typeof p === 'string' || Number.isFinite(p))) {
    text = JSON.stringify(key);
  } else throw new DxcError('invalid-key', `Invalid primary key ${safePreview(key)}`);
  if (text.length === 0 || text.length > MAX_PRIMARY_KEY_LENGTH) {
    throw new DxcError('invalid-key', `Primary keys must have 1 to ${MAX_PRIMARY_KEY_LENGTH} characters`);
  }
  if (text.includes('\u0000')) throw new DxcError('invalid-key', 'Primary keys must not contain NUL');
  if (LONE_SURROGATE.test(text)) throw new DxcError('invalid-key', 'Primary keys must be well-formed Unicode');
  return text;
}

function safePreview(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 80);
  } catch {
    return typeof value;
  }
}

/** Row values must be objects, at most MAX_ROW_BYTES as TSON, and free of NUL characters. */
export function validateRowValue(value: unknown): void {
  if (!isRecord(value)) fail('Row values must be objects');
  const text = encodeTson(value);
  if (text.length > MAX_ROW_BYTES) {
    throw new DxcError('row-too-large', `A row is ${text.length} bytes; the limit is ${MAX_ROW_BYTES}`);
  }
  // PostgreSQL's jsonb refuses NUL; refusing it everywhere keeps both backends equivalent.
  if (text.includes('\\u0000')) fail('Strings must not contain NUL characters');
  if (ESCAPED_LONE_SURROGATE.test(text)) fail('Strings must be well-formed Unicode (no lone surrogates)');
}

function validateChangeSpec(spec: unknown, what: string): Record<string, unknown> {
  if (!isRecord(spec)) fail(`${what} must be an object`);
  validateRowValue(spec);
  return spec;
}

function validateCriteria(criteria: unknown): WireCriteria {
  if (!isRecord(criteria) || !isRecord(criteria.range)) fail('criteria must be {index, range}');
  if (criteria.index !== null && typeof criteria.index !== 'string') fail('criteria.index must be a string or null');
  const type = criteria.range.type;
  if (type !== 1 && type !== 2 && type !== 3 && type !== 4) fail('criteria.range.type must be 1, 2, 3 or 4');
  return criteria as unknown as WireCriteria;
}

function validateOperation(op: unknown): DBOperation {
  if (!isRecord(op)) fail('Each mutation must be an object');
  if (!OPERATION_TYPES.includes(op.type as DBOperation['type'])) {
    throw new DxcError('unsupported-operation', `Unknown operation type ${safePreview(op.type)}`);
  }
  if (!Array.isArray(op.keys)) fail('Each mutation needs a keys array');
  const keys = op.keys as WireKey[];
  keys.forEach(normalizeKey);
  switch (op.type) {
    case 'insert':
    case 'upsert':
      if (!Array.isArray(op.values) || op.values.length !== keys.length) fail(`${op.type} needs one value per key`);
      op.values.forEach(validateRowValue);
      if (op.changeSpecs !== undefined) {
        if (!Array.isArray(op.changeSpecs) || op.changeSpecs.length !== keys.length) fail('changeSpecs must match keys');
        op.changeSpecs.forEach((spec) => spec === null || validateChangeSpec(spec, 'changeSpec'));
      }
      break;
    case 'update':
      if (!Array.isArray(op.changeSpecs) || op.changeSpecs.length !== keys.length) {
        fail('update needs one changeSpec per key');
      }
      op.changeSpecs.forEach((spec) => validateChangeSpec(spec, 'changeSpec'));
      break;
    case 'modify':
      validateCriteria(op.criteria);
      validateChangeSpec(op.changeSpec, 'modify changeSpec');
      break;
    case 'delete':
      if (op.criteria !== undefined && op.criteria !== false) validateCriteria(op.criteria);
      break;
  }
  if (op.txid !== undefined && (typeof op.txid !== 'string' || LONE_SURROGATE.test(op.txid) || op.txid.includes('\u0000'))) {
    fail('txid must be a well-formed string');
  }
  return op as unknown as DBOperation;
}

/** Validate a decoded `/sync` body. Throws DxcError with a precise code on the first problem. */
export function validateSyncRequest(body: unknown): SyncRequest {
  if (!isRecord(body)) fail('The sync request must be an object');
  if (!isRecord(body.schema)) fail('schema must be an object');
  for (const [table, entry] of Object.entries(body.schema)) {
    validateTableName(table);
    if (!isRecord(entry)) fail(`schema.${table} must be an object`);
  }
  if (body.lastPull !== undefined) {
    const lastPull = body.lastPull;
    if (!isRecord(lastPull)) fail('lastPull must be an object');
    const rev = lastPull.serverRevision;
    if (typeof rev !== 'string' && typeof rev !== 'bigint') fail('lastPull.serverRevision must be a string');
    stringArray(lastPull.realms ?? [], 'lastPull.realms');
    stringArray(lastPull.inviteRealms ?? [], 'lastPull.inviteRealms');
  }
  if (body.baseRevs !== undefined && !Array.isArray(body.baseRevs)) fail('baseRevs must be an array');
  if (!Array.isArray(body.changes)) fail('changes must be an array');
  for (const tableChanges of body.changes) {
    if (!isRecord(tableChanges)) fail('Each change set must be {table, muts}');
    validateTableName(tableChanges.table);
    if (!Array.isArray(tableChanges.muts)) fail('muts must be an array');
    tableChanges.muts.forEach(validateOperation);
  }
  for (const field of ['dbID', 'clientIdentity', 'dxcv'] as const) {
    if (body[field] !== undefined && typeof body[field] !== 'string') fail(`${field} must be a string`);
  }
  if (body.dxcPageRows !== undefined) {
    const rows = body.dxcPageRows;
    if (!Number.isSafeInteger(rows) || (rows as number) < 1 || (rows as number) > MAX_PULL_PAGE_ROWS) {
      fail(`dxcPageRows must be an integer from 1 to ${MAX_PULL_PAGE_ROWS}`);
    }
  }
  if (body.dxcPage !== undefined) validatePullPage(body.dxcPage);
  return {
    ...body,
    baseRevs: (body.baseRevs as SyncRequest['baseRevs'] | undefined) ?? [],
  } as SyncRequest;
}

const isRevision = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function validatePullPage(page: unknown): void {
  if (!isRecord(page)) fail('dxcPage must be an object');
  if (!isRevision(page.head)) fail('dxcPage.head must be a revision');
  if (page.cursor !== null && !(isRevision(page.cursor) && page.cursor <= page.head)) fail('dxcPage.cursor must be null or a revision up to head');
  stringArray(page.known, 'dxcPage.known');
  stringArray(page.fresh, 'dxcPage.fresh');
  if ((page.known as string[]).length + (page.fresh as string[]).length > MAX_PAGE_REALMS) {
    throw new DxcError('payload-too-large', `dxcPage names more than ${MAX_PAGE_REALMS} realms`);
  }
  const after = page.after;
  if (!Array.isArray(after) || after.length !== 3 || !isRevision(after[0]) || (after[0] as number) > (page.head as number)) {
    fail('dxcPage.after must be [revision, table, key]');
  }
  validateTableName(after[1]);
  const key = after[2];
  if (typeof key !== 'string' || key.length > MAX_PRIMARY_KEY_LENGTH || LONE_SURROGATE.test(key) || key.includes('\u0000')) {
    fail('dxcPage.after[2] must be a key');
  }
}

function boundedString(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0) fail(`${field} must be a non-empty string`);
  if (value.length > max) throw new DxcError('payload-too-large', `${field} is longer than ${max} characters`);
  return value;
}

/** Validate a decoded `/token` body (the grants dxc-server implements). */
export function validateTokenRequest(body: unknown): TokenRequest {
  if (!isRecord(body)) fail('The token request must be a JSON object');
  switch (body.grant_type) {
    case 'otp':
      boundedString(body.email, 'email', MAX_EMAIL_LENGTH);
      if (body.otp !== undefined) boundedString(body.otp, 'otp', MAX_OTP_LENGTH);
      if (body.otp_id !== undefined) boundedString(body.otp_id, 'otp_id', MAX_TOKEN_FIELD_LENGTH);
      if (body.public_key !== undefined) boundedString(body.public_key, 'public_key', MAX_TOKEN_FIELD_LENGTH);
      if (body.proof !== undefined) boundedString(body.proof, 'proof', MAX_TOKEN_FIELD_LENGTH);
      break;
    case 'refresh_token':
      boundedString(body.refresh_token, 'refresh_token', MAX_TOKEN_FIELD_LENGTH);
      // Either the dxc client's proof or the official addon's legacy signature.
      if (body.proof !== undefined) {
        boundedString(body.proof, 'proof', MAX_TOKEN_FIELD_LENGTH);
        break;
      }
      boundedString(body.signature, 'signature', MAX_TOKEN_FIELD_LENGTH);
      if (!Number.isSafeInteger(body.time_stamp)) fail('time_stamp must be an integer (ms since epoch)');
      if (body.signing_algorithm !== 'RSASSA-PKCS1-v1_5') fail('signing_algorithm must be RSASSA-PKCS1-v1_5');
      break;
    case TOKEN_EXCHANGE_GRANT:
      boundedString(body.provider, 'provider', MAX_PROVIDER_NAME_LENGTH);
      boundedString(body.subject_token, 'subject_token', MAX_TOKEN_FIELD_LENGTH);
      if (body.subject_token_type !== undefined) {
        boundedString(body.subject_token_type, 'subject_token_type', MAX_PROVIDER_NAME_LENGTH);
      }
      if (body.public_key !== undefined) boundedString(body.public_key, 'public_key', MAX_TOKEN_FIELD_LENGTH);
      if (body.proof !== undefined) boundedString(body.proof, 'proof', MAX_TOKEN_FIELD_LENGTH);
      break;
    case 'client_credentials':
      boundedString(body.client_id, 'client_id', MAX_TOKEN_FIELD_LENGTH);
      boundedString(body.client_secret, 'client_secret', MAX_TOKEN_FIELD_LENGTH);
      if (body.public_key !== undefined) boundedString(body.public_key, 'public_key', MAX_TOKEN_FIELD_LENGTH);
      if (body.claims !== undefined) {
        if (!isRecord(body.claims)) fail('claims must be an object');
        boundedString(body.claims.sub, 'claims.sub', MAX_PRIMARY_KEY_LENGTH);
      }
      if (body.dpop_jkt !== undefined) boundedString(body.dpop_jkt, 'dpop_jkt', MAX_PROVIDER_NAME_LENGTH);
      if (body.expires_in !== undefined && !(Number.isSafeInteger(body.expires_in) && (body.expires_in as number) > 0)) {
        fail('expires_in must be a positive integer (seconds)');
      }
      break;
    default:
      throw new DxcError('unsupported-operation', `Unsupported grant_type ${safePreview(body.grant_type)}`);
  }
  if (body.scopes !== undefined) stringArray(body.scopes, 'scopes');
  return body as unknown as TokenRequest;
}
