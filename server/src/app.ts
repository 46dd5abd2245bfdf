/**
 * Assembles dxc-server: security headers, CORS, the protocol routes (`/token`, `/auth-providers`,
 * `/sync`, `/blob`, WebSocket `/changes`), the dev mailbox, health and static files, over one
 * storage and one mailer.
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
import { originCheck } from './http/origin-policy.js';
import { baseSecurityHeaders, securityHeaders } from './http/security-headers.js';
import { openBackend } from './storage/open.js';
import type { Storage } from './storage/storage.js';
import { createSync, type Sync } from './sync/index.js';
// issue 7 (starter): REST API for server-side clients and the weather job
import { loadSigningKey } from './auth/signing-key.js';
import { allRoutes, clientTokenGrant, createClientTokens } from './rest/index.js';
import { createWeatherJob, type WeatherJob } from './weather/index.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly context: ServerContext;
  readonly app: Hono;
  /** Token verification and session revocation (logout and admin paths, tests). */
  readonly auth: Auth;
  /** Verify a bearer token the way `/sync` does (used by the REST API and tests). */
  authenticate(token: string | undefined): Promise<Principal>;
  /** The weather job, when `weatherPlaces` are configured (issue 7). */
  readonly weather?: WeatherJob;
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
  // Listen first, so that with port 0 the token issuer (publicUrl) names the real port: tokens must
  // stay valid when the server restarts on that port.
  let handle: (request: Request) => Response | Promise<Response> = () =>
    new Response('{"error":"unavailable","message":"Starting"}', {
      status: 503,
      headers: { 'Content-Type': 'application/json', ...baseSecurityHeaders(config) },
    });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: (request) => handle(request), port: config.port, hostname: config.host }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  if (overrides.publicUrl === undefined) config.publicUrl = `http://localhost:${port}`;
  let storage: Storage | undefined;
  try {
    const logger = options.logger ?? createLogger(config.logLevel);
    const backend = await openBackend(config, logger);
    storage = backend.storage;
    const context: ServerContext = {
      config,
      logger,
      storage,
      mailer: createMailer(config, logger),
      changes: backend.changes,
      now: options.now ?? Date.now,
    };
    const auth: Auth = await createAuth(context);
    const sync = createSync(context, auth);
    const app = buildApp(context, auth, sync.routes);
    // issue 7: the weather job writes through the REST API, in-process.
    const weather = config.weatherPlaces.length > 0 ? createWeatherJob(context, (p, init) => app.request(p, init)) : undefined;
    handle = (request) => app.fetch(request);
    return serving({ server, port, context, auth, sync, app, weather });
  } catch (error) {
    // A bad configuration (providers file, database URL) must not leave the port or the database open.
    await new Promise((resolve) => server.close(resolve));
    await storage?.close();
    throw error;
  }
}

interface Parts {
  server: ServerType;
  port: number;
  context: ServerContext;
  auth: Auth;
  sync: Sync;
  app: Hono;
  weather: WeatherJob | undefined;
}

/** Attach the WebSocket, log, start the weather job, and hand out the running server. */
function serving({ server, port, context, auth, sync, app, weather }: Parts): RunningServer {
  const { config, logger, storage } = context;
  sync.attachWebSocket(server);
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  logger.info({ url, dataDir: path.resolve(config.dataDir), production: config.production }, 'dxc-server listening');
  weather?.refresh().catch((error: unknown) => logger.error({ err: error }, 'weather: first refresh failed'));

  return {
    url,
    port,
    context,
    app,
    auth,
    authenticate: (token) => auth.authenticate(token),
    ...(weather ? { weather } : {}),
    async close() {
      weather?.stop();
      // Stop listening and cut keep-alive connections first, so a stopped server stops answering at
      // once; then the sockets, then storage.
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await sync.close();
      await stopped;
      await storage.close();
    },
  };
}

function buildApp(context: ServerContext, auth: Auth, syncRoutes: Hono): Hono {
  const { config, logger } = context;
  const app = new Hono();
  // First, so every answer carries them: errors, preflights, the dev mailbox, static files.
  app.use('*', securityHeaders(config));
  // The same decision the WebSocket handshake makes (sync/changes-socket.ts), so they cannot differ.
  const originAllowed = originCheck(config);
  app.use(
    '*',
    cors({
      // The addon sends /sync with credentials:'include', so '*' is not allowed: reflect the origin.
      origin: (origin) => (originAllowed(origin) ? origin : null),
      credentials: true,
      allowHeaders: ['Authorization', 'Content-Type', 'Content-Encoding', 'DPoP'],
      allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      exposeHeaders: ['Retry-After', 'DPoP-Nonce', 'Ratelimit-Limit', 'Ratelimit-Remaining', 'Ratelimit-Reset'],
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
  // issue 7: client tokens (client_credentials without claims) and the `/all/…` REST API.
  const clientTokens = createClientTokens(loadSigningKey(config.dataDir), config.publicUrl, context.storage.auth);
  app.use('/token', clientTokenGrant(context, clientTokens));
  app.route('/', allRoutes(context, clientTokens));
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
