/**
 * Authentication: `/token` grants, `/auth-providers`, access-token verification.
 * (Skeleton: the auth issue fills this in.)
 */
import { Hono } from 'hono';
import { ANONYMOUS, type Principal, type ServerContext } from '../context.js';
import { DxcHttpError } from '../errors.js';

export interface Auth {
  /** Routes: POST /token, GET /auth-providers. */
  readonly routes: Hono;
  /** Verify a bearer access token; undefined means anonymous. Throws DxcHttpError 401 when invalid. */
  authenticate(token: string | undefined): Promise<Principal>;
}

export async function createAuth(_context: ServerContext): Promise<Auth> {
  const routes = new Hono();
  return {
    routes,
    async authenticate(token) {
      if (token === undefined) return ANONYMOUS;
      throw new DxcHttpError('invalid-token', 'Token verification is not available yet', 401);
    },
  };
}
