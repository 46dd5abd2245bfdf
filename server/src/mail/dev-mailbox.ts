/** GET /_dev/mailbox in dev mode. (Skeleton: the auth issue fills this in.) */
import { Hono } from 'hono';
import type { ServerContext } from '../context.js';

export function devMailboxRoutes(_context: ServerContext): Hono {
  return new Hono();
}
