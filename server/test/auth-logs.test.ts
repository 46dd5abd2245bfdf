/** Authentication events are logged, and no code, token or secret ever reaches the log. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createClientCommand } from '../src/auth/create-client-command.js';
import { backendArgs } from './helpers/backend.js';
import {
  createDeviceKey,
  freshDataDir,
  latestCode,
  logCapture,
  loginWithCode,
  postToken,
  refresh,
  requestCode,
  signRefresh,
  startAuthServer,
  submitCode,
  type Tokens,
} from './helpers/auth-helpers.js';

test('logs auth events without codes, tokens, signatures or client secrets', async () => {
  const dataDir = freshDataDir();
  let printed = '';
  const output = new Writable({
    write(chunk, _encoding, done) {
      printed += String(chunk);
      done();
    },
  });
  await createClientCommand(['--data', dataDir, ...(await backendArgs(dataDir))], { output, env: {} });
  const clientId = /client_id:\s+(\S+)/.exec(printed)![1]!;
  const clientSecret = /client_secret:\s+(\S+)/.exec(printed)![1]!;

  const logs = logCapture();
  const server = await startAuthServer({ dataDir }, { logger: logs.logger });
  const secrets: string[] = [clientSecret];
  try {
    // A wrong code, then a login.
    const device = await createDeviceKey();
    const otpId = await requestCode(server, 'logged@example.com');
    const code = await latestCode(server, 'logged@example.com');
    secrets.push(code);
    await submitCode(server, 'logged@example.com', otpId, '99999999', device);
    const tokens = (await (await submitCode(server, 'logged@example.com', otpId, code, device)).json()) as Tokens;
    secrets.push(tokens.accessToken, tokens.refreshToken!);

    // A refresh, a replay and a refresh with a bad signature.
    const ts = server.clock.now();
    const signature = await signRefresh(device, tokens.refreshToken!, ts);
    secrets.push(signature);
    const renewed = (await (await refresh(server, tokens.refreshToken!, device, ts, signature)).json()) as Tokens;
    secrets.push(renewed.accessToken);
    await refresh(server, tokens.refreshToken!, device, ts, signature);
    await refresh(server, tokens.refreshToken!, await createDeviceKey(), ts + 1);

    // Client credentials: a mint and a wrong secret.
    const minted = (await (
      await postToken(server, {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scopes: ['ACCESS_DB'],
        claims: { sub: 'logged-app-user' },
      })
    ).json()) as Tokens;
    secrets.push(minted.accessToken);
    await postToken(server, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: 'wrong-secret-value',
      scopes: ['ACCESS_DB'],
      claims: { sub: 'logged-app-user' },
    });
    secrets.push('wrong-secret-value');
    await loginWithCode(server, 'second@example.com');
  } finally {
    await server.close();
  }

  const text = logs.text();
  for (const secret of secrets) assert.ok(!text.includes(secret), `the log holds a secret (${secret.slice(0, 6)}…)`);
  // Neither in JSON-escaped form (the refresh signature has '/' and '+').
  for (const secret of secrets) assert.ok(!text.includes(JSON.stringify(secret).slice(1, -1)));
  const messages = text.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg);
  for (const event of [
    'login code issued',
    'login code rejected',
    'user logged in with a login code',
    'access token refreshed',
    'refresh refused',
    'client minted user tokens',
    'client authentication failed',
  ]) {
    assert.ok(messages.includes(event), `logs "${event}"`);
  }
});
