/** The sync part of dxc-server: `POST /sync` and WebSocket `/changes` over one change bus. */
import type { ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Auth } from '../auth/index.js';
import type { ServerContext } from '../context.js';
import { createChangesSockets } from './changes-socket.js';
import { syncRoutes } from './sync-route.js';

export interface Sync {
  readonly routes: Hono;
  /** Handle WebSocket upgrades for `/changes` on the running Node server. */
  attachWebSocket(server: ServerType): void;
  /** Close every live socket (clients reconnect elsewhere or later). */
  close(): Promise<void>;
}

export function createSync(context: ServerContext, auth: Auth): Sync {
  const sockets = createChangesSockets(context, auth);
  return {
    routes: syncRoutes(context, auth),
    attachWebSocket: (server) => sockets.attach(server),
    close: () => sockets.close(),
  };
}
