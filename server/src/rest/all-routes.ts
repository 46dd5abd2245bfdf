/**
 * The REST API for server-side clients, Dexie Cloud's `/all/…` endpoint: read and write any realm
 * with a client token (`POST /token`, client_credentials without claims, client-token-grant.ts).
 *
 *   GET    /all/:table?realmId=R[&prop=value…]  rows of `table` in realm R, filtered by equality
 *   GET    /all/:table/:key                     one row, or 404
 *   POST   /all/:table[?primaryKey=prop]        upsert a JSON array of objects (or one object);
 *                                               each needs `realmId`; the key is `id` by default
 *   DELETE /all/:table/:key                     delete one row
 *
 * GET needs the scope GLOBAL_READ, POST and DELETE GLOBAL_WRITE. Bodies and answers are JSON, with
 * Dates, Blobs and friends in the TSON `{"$t": type, "v": value}` form. Compound keys travel as
 * their JSON text (`["a",1]`, URL-encoded). Listing a table needs `realmId`: the storage reads by
 * realm, and dxc-server keeps no list of realms (docs/starter.md#rest-api).
 */
import { decodeTson, encodeTson, normalizeKey, validateTableName, DxcError } from 'dxc/protocol';
import { Hono, type Context } from 'hono';
import { BEARER_HEADER_PATTERN } from '../auth/auth-limits.js';
import type { ServerContext } from '../context.js';
import { DxcHttpError } from '../errors.js';
import { readBodyText } from '../http/read-body.js';
import type { ClientPrincipal, ClientTokens } from './client-token.js';
import { GLOBAL_READ, GLOBAL_WRITE, MAX_REST_BODY_BYTES, MAX_REST_GET_ROWS, MAX_REST_POST_OBJECTS } from './rest-limits.js';
import { deleteRow, planUpserts, upsertRows } from './rest-writes.js';

/** Query parameters with a meaning of their own, never used as property filters. */
const RESERVED_PARAMS = new Set(['realmId', 'primaryKey']);

function tsonJson(c: Context, value: unknown, status: 200 | 404 = 200): Response {
  return c.body(encodeTson(value), status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
}

/** A primary key from the URL: JSON array text for compound keys, the string itself otherwise. */
function keyFromPath(raw: string): string {
  if (raw.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new DxcError('invalid-key', 'A compound key must be JSON array text');
    }
    return normalizeKey(parsed);
  }
  return normalizeKey(raw);
}

function matches(value: Record<string, unknown>, filters: [string, string][]): boolean {
  return filters.every(([prop, expected]) => {
    const actual = value[prop];
    return (typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean') && String(actual) === expected;
  });
}

export function allRoutes(context: ServerContext, tokens: ClientTokens): Hono {
  const routes = new Hono();

  async function authorize(c: Context, scope: string): Promise<ClientPrincipal> {
    const header = c.req.header('Authorization');
    const match = header === undefined ? null : BEARER_HEADER_PATTERN.exec(header);
    if (!match) throw new DxcHttpError('unauthorized', 'Send Authorization: Bearer <client token from POST /token>', 401);
    const client = await tokens.verify(match[1]!, context.now());
    if (!client.scopes.has(scope)) throw new DxcHttpError('forbidden', `This token lacks the ${scope} scope`, 403);
    return client;
  }

  routes.get('/all/:table', async (c) => {
    await authorize(c, GLOBAL_READ);
    const table = validateTableName(c.req.param('table'));
    const query = c.req.query();
    const realmId = query.realmId;
    if (!realmId) {
      throw new DxcHttpError('invalid-request', 'Name the realm: GET /all/:table?realmId=… (this server lists one realm at a time)', 400);
    }
    const filters = Object.entries(query).filter(([name]) => !RESERVED_PARAMS.has(name));
    const { rows } = await context.storage.data.snapshot([realmId]);
    const values: unknown[] = [];
    for (const row of rows) {
      if (row.table !== table || row.value === null) continue;
      const value = decodeTson(row.value) as Record<string, unknown>;
      if (!matches(value, filters)) continue;
      if (values.length === MAX_REST_GET_ROWS) {
        throw new DxcHttpError('payload-too-large', `More than ${MAX_REST_GET_ROWS} rows match; narrow the query`, 413);
      }
      values.push(value);
    }
    return tsonJson(c, values);
  });

  routes.get('/all/:table/:key', async (c) => {
    await authorize(c, GLOBAL_READ);
    const table = validateTableName(c.req.param('table'));
    const key = keyFromPath(c.req.param('key'));
    const [row] = await context.storage.data.readRows([{ table, key }]);
    if (!row || row.value === null) return c.json({ error: 'not-found', message: `No ${table} row with that key` }, 404);
    return tsonJson(c, decodeTson(row.value));
  });

  routes.post('/all/:table', async (c) => {
    const client = await authorize(c, GLOBAL_WRITE);
    const table = validateTableName(c.req.param('table'));
    const primaryKey = c.req.query('primaryKey') ?? 'id';
    if (!/^[A-Za-z_$][A-Za-z0-9_$]{0,62}$/.test(primaryKey)) throw new DxcError('invalid-request', 'primaryKey must name a property');
    if (!/^application\/json\s*(;|$)/i.test(c.req.header('Content-Type') ?? '')) {
      throw new DxcHttpError('invalid-request', 'POST /all needs Content-Type: application/json', 415);
    }
    const body = decodeTson(await readBodyText(c.req.raw, MAX_REST_BODY_BYTES));
    const objects = Array.isArray(body) ? body : [body];
    if (objects.length > MAX_REST_POST_OBJECTS) {
      throw new DxcHttpError('payload-too-large', `At most ${MAX_REST_POST_OBJECTS} objects per request`, 413);
    }
    const writes = planUpserts(table, objects, primaryKey);
    const result = await upsertRows(context, client.clientId, writes);
    context.logger.info({ event: 'rest.upsert', clientId: client.clientId, table, rows: writes.length }, 'rest upsert');
    return c.json(result);
  });

  routes.delete('/all/:table/:key', async (c) => {
    const client = await authorize(c, GLOBAL_WRITE);
    const table = validateTableName(c.req.param('table'));
    const key = keyFromPath(c.req.param('key'));
    const deleted = await deleteRow(context, client.clientId, table, key);
    context.logger.info({ event: 'rest.delete', clientId: client.clientId, table, deleted }, 'rest delete');
    return c.json({ deleted });
  });

  return routes;
}
