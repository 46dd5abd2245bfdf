/**
 * Logging in through an auth webhook (research/reliability.md (a) row 26): signed calls, fail
 * closed on every kind of trouble, and a session that never outlives `expirationSeconds`.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  createDeviceKey,
  freshDataDir,
  logCapture,
  providerLogin,
  refresh,
  startAuthServer,
  startLocalHttpServer,
  writeProviders,
  type LocalHttpServer,
  type TestServer,
  type Tokens,
} from './helpers/auth-helpers.js';

const SECRET = 'webhook-secret-0123456789-abcdefghijklmnop';

describe('auth webhook', () => {
  let webhook: LocalHttpServer;
  let server: TestServer;
  const logs = logCapture();

  before(async () => {
    webhook = await startLocalHttpServer((request, response) => {
      const { token } = JSON.parse(request.body) as { token: string };
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      switch (request.url) {
        case '/ok':
          if (token === 'good-token') json(200, { authenticated: true, userID: 'ditto-user-1', expirationSeconds: 60, claims: { email: 'One@Example.com', name: 'One' } });
          else json(200, { authenticated: false });
          return;
        case '/error':
          return json(500, { authenticated: true, userID: 'x', expirationSeconds: 60 });
        case '/slow':
          return; // never answers
        case '/no-expiry':
          return json(200, { authenticated: true, userID: 'no-expiry-user' });
        case '/zero-expiry':
          return json(200, { authenticated: true, userID: 'zero-user', expirationSeconds: 0 });
        case '/huge':
          return json(200, { authenticated: true, userID: 'huge-user', expirationSeconds: 60, padding: 'x'.repeat(1024 * 1024) });
        case '/not-json':
          response.writeHead(200, { 'Content-Type': 'text/plain' });
          return response.end('yes');
        case '/redirect':
          response.writeHead(307, { Location: `${webhook.url}/ok` });
          return response.end();
        case '/bad-user':
          return json(200, { authenticated: true, userID: 'usr-forged', expirationSeconds: 60 });
        default:
          return json(404, {});
      }
    });
    const dataDir = freshDataDir();
    const hook = (path: string, extra: Record<string, unknown> = {}) => ({ type: 'webhook', url: `${webhook.url}${path}`, secret: SECRET, ...extra });
    writeProviders(dataDir, {
      acme: hook('/ok'),
      broken: hook('/error'),
      slow: hook('/slow', { timeoutMs: 300 }),
      'no-expiry': hook('/no-expiry'),
      'zero-expiry': hook('/zero-expiry'),
      huge: hook('/huge'),
      'not-json': hook('/not-json'),
      redirect: hook('/redirect'),
      'bad-user': hook('/bad-user'),
    });
    server = await startAuthServer({ dataDir }, { logger: logs.logger });
  });
  after(async () => {
    await server.close();
    await webhook.close();
  });

  test('logs a user in with a signed call, and the session never outlives expirationSeconds', async () => {
    const device = await createDeviceKey();
    const res = await providerLogin(server, 'acme', 'good-token', { public_key: device.publicKeyPem });
    assert.equal(res.status, 200);
    const tokens = (await res.json()) as Tokens;
    assert.deepEqual(tokens.claims, { sub: 'ditto-user-1', email: 'one@example.com', name: 'One', license: 'ok' });
    const now = server.clock.now();
    const { iat, exp } = decodeJwt(tokens.accessToken);
    assert.ok(exp! <= iat! + 60, 'access token exp <= iat + 60');
    assert.equal(tokens.refreshTokenExpiration, now + 60_000);

    const call = webhook.requests.at(-1)!;
    assert.equal(call.method, 'POST');
    const body = JSON.parse(call.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['databaseId', 'provider', 'token']);
    assert.equal(body.provider, 'acme');
    assert.equal(body.token, 'good-token');
    const timestamp = String(call.headers['x-dxc-timestamp']);
    assert.equal(timestamp, String(Math.floor(now / 1000)));
    const expected = 'sha256=' + createHmac('sha256', SECRET).update(`${timestamp}.${call.body}`).digest('hex');
    assert.equal(call.headers['x-dxc-signature'], expected);

    server.clock.advance(30_000);
    assert.equal((await refresh(server, tokens.refreshToken!, device, server.clock.now())).status, 200);
    server.clock.advance(31_000);
    assert.equal((await refresh(server, tokens.refreshToken!, device, server.clock.now())).status, 401, 'past expirationSeconds');
    await assert.rejects(server.authenticate(tokens.accessToken), { code: 'token-expired' });
  });

  test('without a device key the login gives an access token only', async () => {
    const tokens = (await (await providerLogin(server, 'acme', 'good-token')).json()) as Tokens;
    assert.equal(tokens.refreshToken, undefined);
    const principal = await server.authenticate(tokens.accessToken);
    assert.equal(principal.kind === 'user' && principal.userId, 'ditto-user-1');
  });

  test('denies the login when the webhook says no, answers 500, times out, omits or zeroes the expiry, answers 1 MiB, answers non-JSON or redirects', async () => {
    const cases: [string, string][] = [
      ['acme', 'bad-token'],
      ['broken', 'good-token'],
      ['slow', 'good-token'],
      ['no-expiry', 'good-token'],
      ['zero-expiry', 'good-token'],
      ['huge', 'good-token'],
      ['not-json', 'good-token'],
      ['redirect', 'good-token'],
      ['bad-user', 'good-token'],
    ];
    for (const [provider, token] of cases) {
      const res = await providerLogin(server, provider, token);
      const body = (await res.json()) as { error: string };
      assert.equal(`${res.status} ${body.error}`, '401 invalid-grant', provider);
    }
  });

  test('an unknown provider is a 400, and a webhook provider is listed for the dxc client only', async () => {
    const res = await providerLogin(server, 'nobody', 'good-token');
    assert.equal(res.status, 400);
    const providers = (await (await fetch(`${server.url}/auth-providers`)).json()) as {
      providers: unknown[];
      tokenProviders: { name: string; type: string }[];
    };
    assert.deepEqual(providers.providers, []);
    assert.ok(providers.tokenProviders.some((p) => p.name === 'acme' && p.type === 'webhook'));
  });

  test('no webhook token or secret reaches the log, and refusals are logged with their reason', () => {
    const text = logs.text();
    assert.ok(!text.includes('good-token') && !text.includes('bad-token'), 'no third-party token in logs');
    assert.ok(!text.includes(SECRET), 'no webhook secret in logs');
    for (const reason of [
      'webhook did not authenticate the token',
      'webhook answered 500',
      'webhook unreachable or too slow (TimeoutError)',
      'webhook answer has no positive integer expirationSeconds',
      'webhook answer too large',
      'webhook answer is not JSON',
      'webhook answered 307',
      'user id not allowed',
    ]) {
      assert.ok(text.includes(`"reason":"${reason}"`), `logged: ${reason}`);
    }
    assert.match(text, /"event":"auth\.provider_login"/);
  });
});

describe('auth providers file', () => {
  test('a webhook with a short secret, or an http URL in production, stops the server at start', async () => {
    const dataDir = freshDataDir();
    writeProviders(dataDir, { weak: { type: 'webhook', url: 'http://127.0.0.1:9/x', secret: 'short' } });
    await assert.rejects(startAuthServer({ dataDir }), /secret must have at least 32 characters/);
    const prodDir = freshDataDir();
    writeProviders(prodDir, { plain: { type: 'webhook', url: 'http://127.0.0.1:9/x', secret: SECRET } });
    await assert.rejects(startAuthServer({ dataDir: prodDir, production: true }), /must be https/);
  });
});
