/**
 * WebSocket `/changes`: takes over HTTP upgrades on the Node server, refuses an `Origin` that CORS
 * would refuse (403, before any upgrade), authenticates with the `?token=` query parameter (the
 * only way the official addon sends it), and fans committed changes from the change bus out to the
 * sessions whose realms they touched.
 *
 * The addon builds the URL as `${databaseUrl}/changes`, which for a root URL becomes `//changes`,
 * so repeated leading slashes are folded. Query strings are never logged: they hold the token.
 */
import type { ServerType } from '@hono/node-server';
import { isDxcError, MAX_WS_MESSAGE_BYTES } from 'dxc/protocol';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Auth } from '../auth/index.js';
import { ANONYMOUS, type Principal, type ServerContext } from '../context.js';
import { errorBody, statusOf } from '../errors.js';
import { originCheck } from '../http/origin-policy.js';
import { baseSecurityHeaders } from '../http/security-headers.js';
import { pathOnly } from '../logger.js';
import { ChangeSession } from './change-session.js';

/** How long `close()` waits for clients to acknowledge the close frame before cutting them off (ms). */
const CLOSE_GRACE_MS = 1000;

export interface ChangesSockets {
  attach(server: ServerType): void;
  close(): Promise<void>;
}

/** The request path with repeated leading slashes folded (`//changes` is `/changes`). */
function socketPath(rawUrl: string): string {
  return pathOnly(rawUrl).replace(/^\/+/, '/');
}

function tokenOf(rawUrl: string): string | undefined {
  const query = rawUrl.indexOf('?');
  if (query === -1) return undefined;
  return new URLSearchParams(rawUrl.slice(query + 1)).get('token') || undefined;
}

/** Longest piece of a refused `Origin` header that goes into the log. */
const MAX_LOGGED_ORIGIN_CHARS = 200;

/** Answer an upgrade with a plain HTTP error (and the security headers) and drop the connection. */
function refuseUpgrade(socket: Duplex, status: number, body: unknown, headers: Record<string, string>): void {
  const text = JSON.stringify(body);
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
      `Connection: close\r\nContent-Type: application/json\r\n${extra}` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

export function createChangesSockets(context: ServerContext, auth: Auth): ChangesSockets {
  const { logger } = context;
  // maxPayload makes ws close oversized frames with 1009 before buffering them.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
  const sessions = new Map<WebSocket, ChangeSession>();
  const unsubscribe = context.changes.subscribe((change) => {
    for (const session of sessions.values()) session.notify(change);
  });

  let shuttingDown = false;
  // Created when the server attaches, once publicUrl names the real port.
  let originAllowed: (origin: string) => boolean = () => false;
  let headers: Record<string, string> = {};
  const refuse = (socket: Duplex, status: number, body: unknown) => refuseUpgrade(socket, status, body, headers);

  async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    if (shuttingDown) {
      refuse(socket, 503, { error: 'unavailable', message: 'The server is shutting down' });
      return;
    }
    const rawUrl = request.url ?? '/';
    const path = socketPath(rawUrl);
    if (path !== '/changes') {
      refuse(socket, 404, { error: 'not-found', message: `No WebSocket at ${path}` });
      return;
    }
    // ASVS 5.0 4.4.2: a browser always sends Origin on a WebSocket handshake (RFC 6455 §4.1, §10.2)
    // and CORS does not apply to WebSockets, so this is what stops a foreign page from opening
    // the socket. The same check as CORS (http/origin-policy.ts). No Origin means no browser (the
    // addon under Node, a server-side client), which no cross-site page can produce: allowed.
    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(origin)) {
      logger.warn({ event: 'ws.origin_refused', origin: origin.slice(0, MAX_LOGGED_ORIGIN_CHARS) }, 'changes socket: origin not allowed');
      refuse(socket, 403, { error: 'forbidden', message: 'This origin may not open /changes' });
      return;
    }
    let principal: Principal = ANONYMOUS;
    let tokenExpired = false;
    try {
      principal = await auth.authenticate(tokenOf(rawUrl));
    } catch (error) {
      if (isDxcError(error, 'token-expired')) {
        // Let it in to be told: the addon refreshes its token on `token-expired` and reconnects.
        tokenExpired = true;
      } else {
        refuse(socket, statusOf(error) >= 500 ? 400 : statusOf(error), errorBody(error));
        return;
      }
    }
    if (shuttingDown) {
      // close() began while the token was being checked: it would not see this socket.
      refuse(socket, 503, { error: 'unavailable', message: 'The server is shutting down' });
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const session = new ChangeSession(ws, principal, context, tokenExpired);
      sessions.set(ws, session);
      auth.closeOnRevocation(principal, ws);
      logger.debug({ path, userId: principal.kind === 'user' ? principal.userId : null }, 'changes socket open');
      ws.on('message', (data, isBinary) => {
        // A failure handling one frame must not become an unhandled rejection, which ends the process.
        session.receive(data, isBinary).catch((error: unknown) => {
          logger.error({ err: error }, 'changes socket: message handling failed');
          if (ws.readyState === ws.OPEN) ws.close(1011, 'Internal error');
        });
      });
      ws.on('error', (error) => logger.debug({ err: error }, 'changes socket error'));
      ws.on('close', () => {
        session.dispose();
        sessions.delete(ws);
      });
    });
  }

  return {
    attach(server) {
      originAllowed = originCheck(context.config);
      headers = baseSecurityHeaders(context.config);
      (server as Server).on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        onUpgrade(request, socket, head).catch((error: unknown) => {
          logger.error({ err: error, path: pathOnly(request.url ?? '') }, 'changes socket upgrade failed');
          socket.destroy();
        });
      });
    },
    async close() {
      shuttingDown = true;
      unsubscribe();
      const closing = [...sessions.keys()].map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            ws.close(1001, 'Server shutting down');
            setTimeout(() => {
              ws.terminate();
              resolve();
            }, CLOSE_GRACE_MS).unref();
          }),
      );
      await Promise.all(closing);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
