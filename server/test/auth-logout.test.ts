/**
 * Logout and revocation (research/reliability.md (a) rows 17 and 28): `POST /logout` ends the
 * session server-side, disabling a user ends every session, live sockets close, and no secret
 * reaches a log line.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  closeCode,
  latestCode,
  loginWithCode,
  loginWithProof,
  logCapture,
  openChangesSocket,
  refresh,
  refreshWithProof,
  requestCode,
  startAuthServer,
  submitCode,
  createDeviceKey,
  type TestServer,
  type Tokens,
} from './helpers/auth-helpers.js';

function logout(server: TestServer, init: { accessToken?: string; refreshToken?: string }): Promise<Response> {
  return fetch(`${server.url}/logout`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(init.accessToken ? { Authorization: `Bearer ${init.accessToken}` } : {}),
    },
    body: init.refreshToken ? JSON.stringify({ refresh_token: init.refreshToken }) : '{}',
  });
}

describe('logout and revocation', () => {
  let server: TestServer;
  const logs = logCapture();
  const secrets: string[] = [];
  before(async () => {
    server = await startAuthServer({}, { logger: logs.logger });
  });
  after(() => server.close());
  beforeEach(() => server.clock.advance(3_600_000));

  function remember(tokens: Tokens): Tokens {
    secrets.push(tokens.accessToken, ...(tokens.refreshToken ? [tokens.refreshToken] : []));
    return tokens;
  }

  test('logout with the access token revokes the session, its refresh token and its socket', async () => {
    const { tokens, device } = await loginWithCode(server, 'leaver@example.com');
    remember(tokens);
    const other = await loginWithCode(server, 'leaver@example.com');
    remember(other.tokens);
    const socket = await openChangesSocket(server, tokens.accessToken);
    const otherSocket = await openChangesSocket(server, other.tokens.accessToken);
    const closed = closeCode(socket);

    const res = await logout(server, { accessToken: tokens.accessToken });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(await closed, 1008);
    assert.equal((await refresh(server, tokens.refreshToken!, device, server.clock.now())).status, 401);
    await assert.rejects(server.authenticate(tokens.accessToken), { code: 'invalid-token' });
    // The same user's other device is not logged out.
    assert.equal(otherSocket.readyState, otherSocket.OPEN);
    assert.equal((await refresh(server, other.tokens.refreshToken!, other.device, server.clock.now())).status, 200);
    otherSocket.close();
  });

  test('logout with the refresh token works after the access token expired, for a rotated token too', async () => {
    const { tokens, key } = await loginWithProof(server, 'late-leaver@example.com');
    remember(tokens);
    const rotated = remember((await (await refreshWithProof(server, tokens.refreshToken!, key)).json()) as Tokens);
    server.clock.advance(2 * 3_600_000);
    assert.equal((await logout(server, { accessToken: rotated.accessToken })).status, 401, 'the expired access token is refused');
    assert.equal((await logout(server, { refreshToken: rotated.refreshToken! })).status, 200);
    assert.equal((await refreshWithProof(server, rotated.refreshToken!, key)).status, 401);
  });

  test('an unknown refresh token gets the same answer, and logging out twice is harmless', async () => {
    const unknown = await logout(server, { refreshToken: 'no-such-token' });
    assert.deepEqual([unknown.status, await unknown.json()], [200, { ok: true }]);
    const { tokens } = await loginWithCode(server, 'twice@example.com');
    remember(tokens);
    assert.equal((await logout(server, { accessToken: tokens.accessToken })).status, 200);
    assert.equal((await logout(server, { refreshToken: tokens.refreshToken! })).status, 200);
    assert.equal((await logout(server, {})).status, 400);
  });

  test('disabling a user closes their sockets, ends every session and refuses new logins until enabled', async () => {
    const a = await loginWithCode(server, 'disabled@example.com');
    const b = await loginWithCode(server, 'disabled@example.com');
    remember(a.tokens);
    remember(b.tokens);
    const sockets = await Promise.all([openChangesSocket(server, a.tokens.accessToken), openChangesSocket(server, b.tokens.accessToken)]);
    const codes = Promise.all(sockets.map(closeCode));

    assert.equal(await server.auth.disableUser(a.tokens.claims.sub), true);
    assert.deepEqual(await codes, [1008, 1008]);
    assert.equal((await refresh(server, a.tokens.refreshToken!, a.device, server.clock.now())).status, 401);
    await assert.rejects(server.authenticate(b.tokens.accessToken), { code: 'invalid-token' });
    await assert.rejects(openChangesSocket(server, b.tokens.accessToken), /401/);

    const device = await createDeviceKey();
    const otpId = await requestCode(server, 'disabled@example.com');
    const refused = await submitCode(server, 'disabled@example.com', otpId, await latestCode(server, 'disabled@example.com'), device);
    assert.equal(refused.status, 403);

    assert.equal(await server.auth.enableUser(a.tokens.claims.sub), true);
    remember((await loginWithCode(server, 'disabled@example.com')).tokens);
  });

  test('no access token, refresh token or login code appears in any log line', async () => {
    const codes = (await (await fetch(`${server.url}/_dev/mailbox`)).json()) as { otp: string | null }[];
    const text = logs.text();
    assert.ok(secrets.length >= 10);
    for (const secret of secrets) assert.ok(!text.includes(secret), 'a token was logged');
    for (const { otp } of codes) if (otp) assert.ok(!text.includes(`"${otp}"`) && !text.includes(` ${otp}`), 'a code was logged');
    for (const event of ['auth.session_revoked', 'auth.user_sessions_revoked']) assert.ok(text.includes(`"event":"${event}"`), event);
  });
});
