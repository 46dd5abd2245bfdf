/** The refresh grant: the addon's device signature over `refresh_token + time_stamp`. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  createDeviceKey,
  loginWithCode,
  refresh,
  rejectionCode,
  signRefresh,
  startAuthServer,
  type TestServer,
  type Tokens,
} from './helpers/auth-helpers.js';

describe('refreshing an access token', () => {
  let server: TestServer;
  before(async () => {
    server = await startAuthServer();
  });
  after(() => server.close());
  beforeEach(() => server.clock.advance(3_600_000));

  test('returns a new access token for a valid signature and keeps the refresh token', async () => {
    const { tokens, device } = await loginWithCode(server, 'refresh@example.com');
    server.clock.advance(3_000_000);
    const res = await refresh(server, tokens.refreshToken!, device, server.clock.now());
    assert.equal(res.status, 200);
    const renewed = (await res.json()) as Tokens;
    assert.equal(renewed.type, 'tokens');
    assert.equal(renewed.accessTokenExpiration, server.clock.now() + 3_600_000);
    assert.notEqual(renewed.accessToken, tokens.accessToken);
    assert.equal(renewed.refreshToken, tokens.refreshToken);
    assert.equal(renewed.refreshTokenExpiration, tokens.refreshTokenExpiration);
    assert.deepEqual(renewed.claims, tokens.claims);
    const principal = await server.authenticate(renewed.accessToken);
    assert.equal(principal.kind === 'user' && principal.userId, tokens.claims.sub);
  });

  test('accepts a time stamp up to 60 s off the server clock, either way', async () => {
    const { tokens, device } = await loginWithCode(server, 'skew-ok@example.com');
    const now = server.clock.now();
    assert.equal((await refresh(server, tokens.refreshToken!, device, now - 60_000)).status, 200);
    assert.equal((await refresh(server, tokens.refreshToken!, device, now + 60_000)).status, 200);
  });

  test('refuses a time stamp more than 60 s off the server clock', async () => {
    const { tokens, device } = await loginWithCode(server, 'skew@example.com');
    const now = server.clock.now();
    assert.equal((await refresh(server, tokens.refreshToken!, device, now - 61_000)).status, 401);
    assert.equal((await refresh(server, tokens.refreshToken!, device, now + 61_000)).status, 401);
  });

  test('refuses a replayed refresh signature', async () => {
    const { tokens, device } = await loginWithCode(server, 'replay@example.com');
    const ts = server.clock.now();
    const signature = await signRefresh(device, tokens.refreshToken!, ts);
    assert.equal((await refresh(server, tokens.refreshToken!, device, ts, signature)).status, 200);
    server.clock.advance(1_000);
    const replayed = await refresh(server, tokens.refreshToken!, device, ts, signature);
    assert.equal(replayed.status, 401);
    assert.equal(((await replayed.json()) as { error: string }).error, 'invalid-grant');
  });

  test('refuses concurrent replays: exactly one of them succeeds', async () => {
    const { tokens, device } = await loginWithCode(server, 'race@example.com');
    const ts = server.clock.now();
    const signature = await signRefresh(device, tokens.refreshToken!, ts);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => refresh(server, tokens.refreshToken!, device, ts, signature)),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401, 401, 401, 401, 401, 401]);
  });

  test('refuses a refresh token signed by another key', async () => {
    const { tokens } = await loginWithCode(server, 'stolen@example.com');
    const attacker = await createDeviceKey();
    assert.equal((await refresh(server, tokens.refreshToken!, attacker, server.clock.now())).status, 401);
  });

  test('refuses a signature over another time stamp and a malformed signature', async () => {
    const { tokens, device } = await loginWithCode(server, 'tamper@example.com');
    const ts = server.clock.now();
    const other = await signRefresh(device, tokens.refreshToken!, ts - 1);
    assert.equal((await refresh(server, tokens.refreshToken!, device, ts, other)).status, 401);
    assert.equal((await refresh(server, tokens.refreshToken!, device, ts, '!!not base64!!')).status, 401);
    assert.equal((await refresh(server, tokens.refreshToken!, device, ts)).status, 200);
  });

  test('refuses an unknown refresh token', async () => {
    const device = await createDeviceKey();
    assert.equal((await refresh(server, 'made-up-token', device, server.clock.now())).status, 401);
  });

  test('refuses a revoked session, and its access tokens stop working at once', async () => {
    const { tokens, device } = await loginWithCode(server, 'revoked@example.com');
    const { sid } = decodeJwt(tokens.accessToken) as { sid: string };
    assert.equal(await server.context.storage.auth.revokeSession(sid, server.clock.now()), true);
    assert.equal((await refresh(server, tokens.refreshToken!, device, server.clock.now())).status, 401);
    assert.equal(await rejectionCode(server.authenticate(tokens.accessToken)), '401 invalid-token');
    // Another device of the same user is not affected.
    const other = await loginWithCode(server, 'revoked@example.com');
    assert.equal((await refresh(server, other.tokens.refreshToken!, other.device, server.clock.now())).status, 200);
  });

  test('refuses a refresh after the refresh token expired (90 days), even when used every 29 days', async () => {
    const { tokens, device } = await loginWithCode(server, 'old@example.com');
    const day = 24 * 3600_000;
    for (let used = 29; used <= 87; used += 29) {
      server.clock.advance(29 * day);
      assert.equal((await refresh(server, tokens.refreshToken!, device, server.clock.now())).status, 200);
    }
    server.clock.advance(3 * day - 1_000);
    assert.equal((await refresh(server, tokens.refreshToken!, device, server.clock.now())).status, 200);
    server.clock.advance(1_000);
    assert.equal((await refresh(server, tokens.refreshToken!, device, server.clock.now())).status, 401);
  });

  test('refreshes at most 360 times per session per hour', async () => {
    const { tokens, device } = await loginWithCode(server, 'busy@example.com');
    server.clock.set(Math.ceil(server.clock.now() / 3_600_000) * 3_600_000);
    for (let i = 0; i < 360; i++) {
      const res = await refresh(server, tokens.refreshToken!, device, server.clock.now() + i);
      assert.equal(res.status, 200, `refresh ${i}`);
    }
    const refused = await refresh(server, tokens.refreshToken!, device, server.clock.now() + 360);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '3600');
  });
});
