/**
 * examples/custom-auth end to end: the app's own login, then `fetchTokens` through the app's
 * backend (client_credentials), then the browser refreshing by itself with its device key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCustomAuthBackend } from '../../examples/custom-auth/backend.mjs';
import { createApiClient } from '../src/auth/index.js';
import { createDeviceKey, refresh, startAuthServer, type TestServer, type Tokens } from './helpers/auth-helpers.js';

describe('examples/custom-auth', () => {
  let dxc: TestServer;
  let backend: { url: string; close(): Promise<void> };
  const lines: string[] = [];

  before(async () => {
    dxc = await startAuthServer();
    const client = await createApiClient(dxc.context.storage.auth, 'custom-auth example', dxc.clock.now());
    backend = await startCustomAuthBackend({
      dxcUrl: dxc.url,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      port: 0,
      users: { ann: { id: 'ann', password: 'correct horse battery staple', email: 'ann@example.com', name: 'Ann' } },
      log: (line) => lines.push(line),
    });
  });
  after(async () => {
    await backend.close();
    await dxc.close();
  });

  const post = (path: string, body: unknown, cookie?: string) =>
    fetch(`${backend.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) },
      body: JSON.stringify(body),
    });

  test('hands dxc tokens to the logged-in user only, and the browser then refreshes by itself', async () => {
    const device = await createDeviceKey();
    assert.equal((await post('/dxc-tokens', { public_key: device.publicKeyPem })).status, 401, 'no app session');
    assert.equal((await post('/login', { username: 'ann', password: 'wrong' })).status, 401);

    const login = await post('/login', { username: 'ann', password: 'correct horse battery staple' });
    assert.equal(login.status, 200);
    const setCookie = login.headers.get('set-cookie')!;
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;

    // What the addon's fetchTokens sends: the device public key and hints it does not control.
    const res = await post('/dxc-tokens', { public_key: device.publicKeyPem, hints: { userId: 'someone-else' } }, cookie);
    assert.equal(res.status, 200);
    const tokens = (await res.json()) as Tokens;
    assert.equal(tokens.claims.sub, 'ann', 'minted for the session user, not the hint');
    const principal = await dxc.authenticate(tokens.accessToken);
    assert.equal(principal.kind === 'user' && principal.userId, 'ann');

    dxc.clock.advance(3_000_000);
    assert.equal((await refresh(dxc, tokens.refreshToken!, device, dxc.clock.now())).status, 200);
    assert.ok(lines.includes('minted dxc tokens for ann'));
    assert.ok(!lines.join('\n').includes(tokens.accessToken));

    assert.equal((await post('/logout', {}, cookie)).status, 200);
    assert.equal((await post('/dxc-tokens', { public_key: device.publicKeyPem }, cookie)).status, 401, 'app logout ends minting');
  });

  test('serves the demo page with a CSP that allows no inline script but the import map', async () => {
    const res = await fetch(`${backend.url}/`);
    const csp = res.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+' https:\/\/esm\.sh/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(await res.text(), new RegExp(`content="${dxc.url}"`));
  });
});
