/** Access-token verification: pinned algorithm, issuer, audience, type and expiry, live session. */
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { loginWithCode, rejectionCode, startAuthServer, type TestServer, type Tokens } from './helpers/auth-helpers.js';

describe('access tokens', () => {
  let server: TestServer;
  let tokens: Tokens;
  let claims: Record<string, unknown>;
  const serverKey = () => {
    const file = JSON.parse(fs.readFileSync(path.join(server.dataDir, 'signing-key.json'), 'utf8'));
    return createPrivateKey({ key: file.privateJwk, format: 'jwk' });
  };
  /** A token like the server's, with some header or claim changed, signed with `key` (the server's by default). */
  const forge = (
    changes: Record<string, unknown>,
    header: Record<string, unknown> = {},
    key: Parameters<SignJWT['sign']>[0] = serverKey(),
  ) =>
    new SignJWT({ ...claims, ...changes })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...header } as never)
      .sign(key);

  before(async () => {
    server = await startAuthServer();
    ({ tokens } = await loginWithCode(server, 'token@example.com'));
    claims = decodeJwt(tokens.accessToken);
  });
  after(() => server.close());

  test('are EdDSA JWTs of type at+jwt with the documented claims', () => {
    assert.deepEqual(decodeProtectedHeader(tokens.accessToken), {
      alg: 'EdDSA',
      typ: 'at+jwt',
      kid: decodeProtectedHeader(tokens.accessToken).kid,
    });
    assert.equal(claims.iss, server.context.config.publicUrl);
    assert.equal(claims.aud, 'dxc');
    assert.equal(claims.sub, tokens.claims.sub);
    assert.equal(claims.email, 'token@example.com');
    assert.equal(claims.name, 'token');
    assert.equal(claims.exp, tokens.accessTokenExpiration / 1000);
    assert.match(String(claims.sid), /^ses-/);
  });

  test('a token forged exactly like the server signs verifies (the forging below is faithful)', async () => {
    const principal = await server.authenticate(await forge({}));
    assert.equal(principal.kind, 'user');
  });

  test('refuses alg:none', async () => {
    const encode = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(claims)}.`;
    assert.equal(await rejectionCode(server.authenticate(unsigned)), '401 invalid-token');
  });

  test('refuses another algorithm: HS256 keyed with the public key, and ES256', async () => {
    const file = JSON.parse(fs.readFileSync(path.join(server.dataDir, 'signing-key.json'), 'utf8'));
    const hmacKey = new TextEncoder().encode(String(file.privateJwk.x));
    const hs = await forge({}, { alg: 'HS256' }, hmacKey);
    assert.equal(await rejectionCode(server.authenticate(hs)), '401 invalid-token');
    const es = await forge({}, { alg: 'ES256' }, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    assert.equal(await rejectionCode(server.authenticate(es)), '401 invalid-token');
  });

  test('refuses a token signed by another Ed25519 key', async () => {
    const other = await forge({}, {}, generateKeyPairSync('ed25519').privateKey);
    assert.equal(await rejectionCode(server.authenticate(other)), '401 invalid-token');
  });

  test('refuses a wrong audience, issuer or type, and a token without a session', async () => {
    for (const token of [
      await forge({ aud: 'someone-else' }),
      await forge({ iss: 'https://evil.example' }),
      await forge({}, { typ: 'JWT' }),
      await forge({ sid: undefined }),
      await forge({ sid: 'ses-unknown' }),
      await forge({ sub: 'usr-someone-else' }),
    ]) {
      assert.equal(await rejectionCode(server.authenticate(token)), '401 invalid-token');
    }
  });

  test('refuses a tampered payload and garbage', async () => {
    const [h, , s] = tokens.accessToken.split('.');
    const payload = Buffer.from(JSON.stringify({ ...claims, sub: 'usr-admin' })).toString('base64url');
    for (const token of [`${h}.${payload}.${s}`, 'garbage', '', 'a.b.c', 'x'.repeat(10_000)]) {
      assert.equal(await rejectionCode(server.authenticate(token)), '401 invalid-token');
    }
  });

  test('expires after accessTokenTtlSeconds (1 h by default) with token-expired', async () => {
    server.clock.set(tokens.accessTokenExpiration - 1_000);
    assert.equal((await server.authenticate(tokens.accessToken)).kind, 'user');
    server.clock.set(tokens.accessTokenExpiration);
    assert.equal(await rejectionCode(server.authenticate(tokens.accessToken)), '401 token-expired');
  });

  test('no token means anonymous', async () => {
    assert.deepEqual(await server.authenticate(undefined), { kind: 'anonymous' });
  });
});
