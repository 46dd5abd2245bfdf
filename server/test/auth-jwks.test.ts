/**
 * A JWKS provider: the server verifies third-party JWTs itself against the configured key set,
 * with pinned algorithms, issuer and audience (research/reliability.md (a) row 18 for foreign JWTs).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import {
  createProofKey,
  freshDataDir,
  makeProof,
  providerLogin,
  refreshWithProof,
  serverSeconds,
  startAuthServer,
  startLocalHttpServer,
  writeProviders,
  type LocalHttpServer,
  type TestServer,
  type Tokens,
} from './helpers/auth-helpers.js';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'my-app';

describe('JWKS provider', () => {
  let idp: LocalHttpServer;
  let attacker: LocalHttpServer;
  let server: TestServer;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let ec: Awaited<ReturnType<typeof generateKeyPair>>;

  before(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      // An EC key in the same set, so an ES256 token fails on the algorithm pin alone.
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    idp = await startLocalHttpServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ keys }));
    });
    attacker = await startLocalHttpServer((_request, response) => response.end('{"keys":[]}'));
    const dataDir = freshDataDir();
    writeProviders(dataDir, {
      idp: { type: 'jwks', jwksUrl: `${idp.url}/jwks.json`, issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] },
    });
    server = await startAuthServer({ dataDir });
  });
  after(async () => {
    await server.close();
    await idp.close();
    await attacker.close();
  });

  function jwt(claims: JWTPayload = {}, header: Record<string, unknown> = {}, key: unknown = rsa.privateKey): Promise<string> {
    const now = serverSeconds(server);
    return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'auth0|abc123', iat: now, exp: now + 600, email: 'Ann@Example.com', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1', ...header })
      .sign(key as Parameters<SignJWT['sign']>[0]);
  }

  async function status(token: string): Promise<string> {
    const res = await providerLogin(server, 'idp', token);
    const body = (await res.json()) as { error?: string };
    return `${res.status}${body.error ? ` ${body.error}` : ''}`;
  }

  test('logs a user in with a valid JWT, and the session ends with the JWT', async () => {
    const key = await createProofKey();
    const proof = await makeProof(key, { htu: `${server.url}/token`, iat: serverSeconds(server) });
    const token = await jwt();
    const res = await providerLogin(server, 'idp', token, { proof });
    assert.equal(res.status, 200);
    const tokens = (await res.json()) as Tokens;
    assert.equal(tokens.claims.sub, 'auth0|abc123');
    assert.equal(tokens.claims.email, 'ann@example.com');
    assert.ok(decodeJwt(tokens.accessToken).exp! <= decodeJwt(token).exp!);
    assert.equal(tokens.refreshTokenExpiration, decodeJwt(token).exp! * 1000);
    assert.equal((await refreshWithProof(server, tokens.refreshToken!, key)).status, 200);
    server.clock.advance(601_000);
    assert.equal((await refreshWithProof(server, tokens.refreshToken!, key)).status, 401, 'after the JWT expired');
  });

  test('refuses a wrong issuer, a wrong audience, an expired JWT and one without exp', async () => {
    assert.equal(await status(await jwt({ iss: 'https://evil.example' })), '401 invalid-grant');
    assert.equal(await status(await jwt({ aud: 'another-app' })), '401 invalid-grant');
    assert.equal(await status(await jwt({ exp: serverSeconds(server) - 120 })), '401 invalid-grant');
    assert.equal(await status(await jwt({ exp: undefined })), '401 invalid-grant');
  });

  test('refuses an algorithm outside the pin, HMAC keyed with the public key, and alg none', async () => {
    assert.equal(await status(await jwt({}, { alg: 'ES256', kid: 'ec-1' }, ec.privateKey)), '401 invalid-grant');
    const pem = await exportSPKI(rsa.publicKey);
    assert.equal(await status(await jwt({}, { alg: 'HS256' }, new TextEncoder().encode(pem))), '401 invalid-grant');
    const now = serverSeconds(server);
    const unsigned = [
      Buffer.from(JSON.stringify({ alg: 'none', kid: 'rsa-1' })).toString('base64url'),
      Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'x', exp: now + 600 })).toString('base64url'),
      '',
    ].join('.');
    assert.equal(await status(unsigned), '401 invalid-grant');
    // The genuine token still works: the refusals are about the tokens, not the provider.
    assert.equal(await status(await jwt()), '200');
  });

  test('never fetches keys from a jku the token names', async () => {
    const forger = await generateKeyPair('RS256');
    const token = await jwt({}, { jku: `${attacker.url}/jwks.json`, kid: 'forged' }, forger.privateKey);
    assert.equal(await status(token), '401 invalid-grant');
    assert.equal(attacker.requests.length, 0);
  });
});
