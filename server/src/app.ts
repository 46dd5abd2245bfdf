/**
 * Assembles dxc-server: CORS, the protocol routes (`/token`, `/auth-providers`, `/sync`, `/blob`,
 * WebSocket `/changes`), the dev mailbox, health and static files, over one storage and one mailer.
 */
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAuth, type Auth } from './auth/index.js';
import { defaultConfig, type ServerConfig } from './config.js';
import type { Principal, ServerContext } from './context.js';
import { errorBody, statusOf } from './errors.js';
import { createLogger, pathOnly, type Logger } from './logger.js';
import { createMailer } from './mail/mailer.js';
import { devMailboxRoutes } from './mail/dev-mailbox.js';
import { openBackend } from './storage/open.js';
import { createSync } from './sync/index.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly context: ServerContext;
  readonly app: Hono;
  /** Token verification and session revocation (logout and admin paths, tests). */
  readonly auth: Auth;
  /** Verify a bearer token the way `/sync` does (used by the REST API and tests). */
  authenticate(token: string | undefined): Promise<Principal>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Replace the clock (ms since epoch). */
  now?: () => number;
  logger?: Logger;
}

export async function startServer(
  overrides: Partial<ServerConfig> | ServerConfig = {},
  options: StartOptions = {},
): Promise<RunningServer> {
  const config = defaultConfig(overrides);
  const logger = options.logger ?? createLogger(config.logLevel);
  const { storage, changes } = await openBackend(config, logger);
  const context: ServerContext = {
    config,
    logger,
    storage,
    mailer: createMailer(config, logger),
    changes,
    now: options.now ?? Date.now,
  };
  const auth: Auth = await createAuth(context);
  const sync = createSync(context, auth);
  const app = buildApp(context, auth, sync.routes);

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  sync.attachWebSocket(server);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  logger.info({ url, dataDir: path.resolve(config.dataDir), production: config.production }, 'dxc-server listening');

  return {
    url,
    port,
    context,
    app,
    auth,
    authenticate: (token) => auth.authenticate(token),
    async close() {
      await sync.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Node keeps idle keep-alive sockets open past close(); end them so tests and restarts exit.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await storage.close();
    },
  };
}

function buildApp(context: ServerContext, auth: Auth, syncRoutes: Hono): Hono {
  const { config, logger } = context;
  const app = new Hono();
  const anyOrigin = config.allowedOrigins.includes('*');
  app.use(
    '*',
    cors({
      // The addon sends /sync with credentials:'include', so '*' is not allowed: reflect the origin.
      origin: (origin) => (anyOrigin || config.allowedOrigins.includes(origin) ? origin : null),
      credentials: true,
      allowHeaders: ['Authorization', 'Content-Type', 'Content-Encoding'],
      allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      exposeHeaders: ['Retry-After', 'Ratelimit-Limit', 'Ratelimit-Remaining', 'Ratelimit-Reset'],
      maxAge: 600,
    }),
  );
  app.onError((error, c) => {
    const status = statusOf(error);
    if (status >= 500) logger.error({ err: error, path: pathOnly(c.req.url) }, 'request failed');
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter !== undefined) c.header('Retry-After', String(retryAfter));
    return c.json(errorBody(error), status as 400);
  });
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.route('/', auth.routes);
  app.route('/', syncRoutes);
  // No blob store yet: 404 makes the addon keep large values inline (protocol.md §2.1).
  app.all('/blob/*', (c) => c.json({ error: 'not-found', message: 'Blob storage is not enabled' }, 404));
  if (!config.production) app.route('/', devMailboxRoutes(context));
  if (config.staticDir) {
    const root = path.relative(process.cwd(), path.resolve(config.staticDir)) || '.';
    app.use('/*', serveStatic({ root }));
    app.get('*', serveStatic({ root, path: 'index.html' }));
  }
  app.notFound((c) => c.json({ error: 'not-found', message: `No route for ${c.req.method} ${pathOnly(c.req.path)}` }, 404));
  return app;
}
