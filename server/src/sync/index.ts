/** `/sync` and WebSocket `/changes`. (Skeleton: the sync issue fills this in.) */
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Auth } from '../auth/index.js';
import type { ServerContext } from '../context.js';

export interface Sync {
  readonly routes: Hono;
  attachWebSocket(server: ServerType): void;
  close(): Promise<void>;
}

export function createSync(_context: ServerContext, _auth: Auth): Sync {
  return { routes: new Hono(), attachWebSocket() {}, async close() {} };
}
