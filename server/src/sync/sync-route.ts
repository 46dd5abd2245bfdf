/**
 * `POST /sync`: refuse a Content-Type a cross-site simple request could carry, authenticate (the
 * body limit depends on who is calling), read the body with the limit applied after decompression,
 * decode TSON strictly and validate the shape, all before anything touches storage, so a bad
 * request is a typed 4xx that changes nothing.
 */
import { Hono } from 'hono';
import {
  decodeTson,
  DxcError,
  MAX_UNAUTHENTICATED_BODY_BYTES,
  validateSyncRequest,
  type SyncRequest,
} from 'dxc/protocol';
import type { Auth } from '../auth/index.js';
import type { ServerContext } from '../context.js';
import { DxcHttpError } from '../errors.js';
import { requireContentType, SYNC_CONTENT_TYPES } from '../http/media-type.js';
import { readBodyText } from '../http/read-body.js';
import { runSync } from './run-sync.js';

/** The token of an `Authorization: Bearer` header; undefined without the header. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) throw new DxcHttpError('invalid-token', 'The Authorization header must be "Bearer <token>"', 401);
  return match[1];
}

/**
 * Changes may only name tables the request's schema declares and that are synced: `$` tables are
 * the client's local state and never leave it.
 */
function checkChangedTables(request: SyncRequest): void {
  for (const { table } of request.changes) {
    if (table.startsWith('$') || !Object.hasOwn(request.schema, table)) {
      throw new DxcError('invalid-table', `Changes to table ${JSON.stringify(table)}, which the schema does not sync`);
    }
  }
}

export function syncRoutes(context: ServerContext, auth: Auth): Hono {
  const routes = new Hono();
  routes.post('/sync', async (c) => {
    // First of all: a cross-site simple request (text/plain, a form, no type) is refused before it
    // is authenticated, read or run (http/media-type.ts).
    requireContentType(c.req.raw, SYNC_CONTENT_TYPES, 'POST /sync');
    const principal = await auth.authenticate(bearerToken(c.req.header('authorization')));
    const limit = principal.kind === 'user' ? context.config.maxSyncBodyBytes : MAX_UNAUTHENTICATED_BODY_BYTES;
    const request = validateSyncRequest(decodeTson(await readBodyText(c.req.raw, limit)));
    checkChangedTables(request);
    const body = await runSync(context, principal, request);
    return c.body(body, 200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  });
  return routes;
}
