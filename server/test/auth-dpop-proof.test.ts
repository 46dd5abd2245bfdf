/**
 * DPoP-shaped proofs (the dxc client's refresh proof), research/reliability.md (a) rows 9–13:
 * algorithm allowlist, key binding, replay, freshness through the server nonce, purpose binding.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import {
  createProofKey,
  loginWithCode,
  loginWithProof,
  logCapture,
  makeProof,
  postToken,
  refresh,
  refreshNonce,
  refreshWithProof,
  sendRefreshProof,
  serverSeconds,
  startAuthServer,
  type ProofKey,
  type TestServer,
  type Tokens,
} from './helpers/auth-helpers.js';

async function errorOf(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: string };
  return `${res.status} ${body.error}`;
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('DPoP-shaped proofs', () => {
  let server: TestServer;
  let tokens: Tokens;
  let key: ProofKey;
  let htu: string;
  const logs = logCapture();
  const issued: string[] = [];
  before(async () => {
    server = await startAuthServer({}, { logger: logs.logger });
    htu = `${server.url}/token`;
  });
  after(() => server.close());
  beforeEach(async () => {
    server.clock.advance(3_600_000);
    ({ tokens, key } = await loginWithProof(server, `proof-${server.clock.now()}@example.com`));
    issued.push(tokens.accessToken, tokens.refreshToken!);
  });

  test('a login with a proof binds the session to the key, and a proof refresh rotates the token', async () => {
    const res = await refreshWithProof(server, tokens.refreshToken!, key);
    assert.equal(res.status, 200);
    const renewed = (await res.json()) as Tokens & { dpopBound?: boolean };
    assert.equal((tokens as { dpopBound?: boolean }).dpopBound, true, 'the login answer says the session is proof-bound');
    assert.equal(renewed.dpopBound, true);
    assert.notEqual(renewed.refreshToken, tokens.refreshToken);
    assert.equal(renewed.refreshTokenExpiration, tokens.refreshTokenExpiration, 'rotation keeps the absolute expiry');
    const principal = await server.authenticate(renewed.accessToken);
    assert.equal(principal.kind === 'user' && principal.userId, tokens.claims.sub);
  });

  test('accepts RS256 proofs from an addon-style RSA key', async () => {
    const rsa = await createProofKey('RS256');
    const login = await loginWithProof(server, `rsa-${server.clock.now()}@example.com`, rsa);
    assert.equal((await refreshWithProof(server, login.tokens.refreshToken!, rsa)).status, 200);
  });

  test('a refresh proof without a nonce is answered with a nonce challenge, in the header and the body', async () => {
    const nonce = await refreshNonce(server, tokens.refreshToken!, key);
    assert.match(nonce, /^[0-9a-z]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  test('refuses a proof replayed byte for byte', async () => {
    const nonce = await refreshNonce(server, tokens.refreshToken!, key);
    const proof = await makeProof(key, { htu, iat: serverSeconds(server), nonce, refreshToken: tokens.refreshToken!, jti: 'same-jti' });
    const body = { grant_type: 'refresh_token', refresh_token: tokens.refreshToken, scopes: ['ACCESS_DB'] };
    assert.equal((await postToken(server, body, { DPoP: proof })).status, 200);
    server.clock.advance(1_000);
    assert.equal(await errorOf(await postToken(server, body, { DPoP: proof })), '400 invalid-dpop-proof');
  });

  test('refuses a valid refresh token with a proof by another key, and the owner still refreshes', async () => {
    const attacker = await createProofKey();
    const res = await refreshWithProof(server, tokens.refreshToken!, attacker);
    assert.equal(await errorOf(res), '401 invalid-grant');
    assert.equal((await refreshWithProof(server, tokens.refreshToken!, key)).status, 200);
  });

  test('a client clock two hours off is answered by the nonce, and the retry succeeds', async () => {
    const skewed = serverSeconds(server) + 2 * 3600;
    const first = await sendRefreshProof(server, tokens.refreshToken!, key, { iat: skewed });
    const { nonce } = (await first.json()) as { nonce: string };
    assert.equal(first.status, 400);
    const retry = await sendRefreshProof(server, tokens.refreshToken!, key, { iat: skewed, nonce });
    assert.equal(retry.status, 200);
  });

  test('a proof pre-signed for a guessed future time, without a server nonce, is refused then and later', async () => {
    const later = serverSeconds(server) + 600;
    const proof = await makeProof(key, { htu, iat: later, refreshToken: tokens.refreshToken! });
    const body = { grant_type: 'refresh_token', refresh_token: tokens.refreshToken, scopes: ['ACCESS_DB'] };
    assert.equal(await errorOf(await postToken(server, body, { DPoP: proof })), '400 use-dpop-nonce');
    server.clock.advance(600_000);
    assert.equal(await errorOf(await postToken(server, body, { DPoP: proof })), '400 use-dpop-nonce');
  });

  test('refuses a tampered nonce and a nonce older than 120 s', async () => {
    const nonce = await refreshNonce(server, tokens.refreshToken!, key);
    const [time, random, tag] = nonce.split('.') as [string, string, string];
    const forged = `${(parseInt(time, 36) + 3_600_000).toString(36)}.${random}.${tag}`;
    assert.equal(await errorOf(await sendRefreshProof(server, tokens.refreshToken!, key, { nonce: forged })), '400 use-dpop-nonce');
    server.clock.advance(121_000);
    assert.equal(await errorOf(await sendRefreshProof(server, tokens.refreshToken!, key, { nonce })), '400 use-dpop-nonce');
  });

  test('refuses alg none, HMAC keyed with the public key, a jwk with private members and a wrong typ', async () => {
    const nonce = await refreshNonce(server, tokens.refreshToken!, key);
    const body = { grant_type: 'refresh_token', refresh_token: tokens.refreshToken, scopes: ['ACCESS_DB'] };
    const claims = { jti: 'x1', htm: 'POST', htu, iat: serverSeconds(server), nonce };

    const none = `${base64urlJson({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk })}.${base64urlJson(claims)}.`;
    assert.equal(await errorOf(await postToken(server, body, { DPoP: none })), '400 invalid-dpop-proof');

    const hmac = await new SignJWT({ ...claims, jti: 'x2' })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.jwk })
      .sign(new TextEncoder().encode(JSON.stringify(key.jwk)));
    assert.equal(await errorOf(await postToken(server, body, { DPoP: hmac })), '400 invalid-dpop-proof');

    const extractable = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(extractable.privateKey);
    const leaky = await new SignJWT({ ...claims, jti: 'x3' })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: privateJwk })
      .sign(extractable.privateKey);
    assert.equal(await errorOf(await postToken(server, body, { DPoP: leaky })), '400 invalid-dpop-proof');

    const wrongTyp = await makeProof(key, { htu, iat: serverSeconds(server), nonce, refreshToken: tokens.refreshToken!, typ: 'JWT' });
    assert.equal(await errorOf(await postToken(server, body, { DPoP: wrongTyp })), '400 invalid-dpop-proof');
    // None of them counted: the real proof still works.
    assert.equal((await refreshWithProof(server, tokens.refreshToken!, key, { nonce })).status, 200);
  });

  test('refuses a proof for another host, another method, another refresh token, or with a 10 KB jti', async () => {
    const nonce = await refreshNonce(server, tokens.refreshToken!, key);
    const cases: [string, Record<string, unknown>][] = [
      ['another origin', { htu: 'https://evil.example/token' }],
      ['another endpoint', { htu: `${server.url}/sync` }],
      ['another method', { htm: 'GET' }],
      ['another refresh token', { refreshToken: 'not-this-one' }],
      ['an oversized jti', { jti: 'j'.repeat(65) }],
    ];
    for (const [what, options] of cases) {
      const res = await sendRefreshProof(server, tokens.refreshToken!, key, { nonce, ...options });
      assert.equal(await errorOf(res), '400 invalid-dpop-proof', what);
    }
    const huge = await sendRefreshProof(server, tokens.refreshToken!, key, { nonce, jti: 'j'.repeat(10_000) });
    assert.ok(huge.status === 400 || huge.status === 413, `10 KB jti: ${huge.status}`);
  });

  test('a proof is no access token: /sync, the token check behind /changes, and the refresh grant refuse it', async () => {
    const proof = await makeProof(key, { htu, iat: serverSeconds(server) });
    const sync = await fetch(`${server.url}/sync`, { method: 'POST', headers: { Authorization: `Bearer ${proof}`, 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(sync.status, 401);
    assert.equal(await errorOf(await postToken(server, { grant_type: 'refresh_token', refresh_token: proof, scopes: ['ACCESS_DB'], proof })), '401 invalid-grant');
    assert.match(await server.authenticate(proof).then(() => 'resolved', (e: { code: string }) => e.code), /invalid-token/);
  });

  test('a proof-bound session refuses the legacy signature, and a legacy session refuses proofs', async () => {
    const legacyBody = { grant_type: 'refresh_token', refresh_token: tokens.refreshToken, scopes: ['ACCESS_DB'], signature: 'AAAA', signing_algorithm: 'RSASSA-PKCS1-v1_5', time_stamp: server.clock.now() };
    assert.equal(await errorOf(await postToken(server, legacyBody)), '401 invalid-grant');

    const legacy = await loginWithCode(server, `legacy-${server.clock.now()}@example.com`);
    assert.equal(await errorOf(await refreshWithProof(server, legacy.tokens.refreshToken!, key, { nonce: 'a.b.c' })), '401 invalid-grant');
    // The addon's own refresh is untouched and keeps its refresh token.
    const res = await refresh(server, legacy.tokens.refreshToken!, legacy.device, server.clock.now());
    assert.equal(res.status, 200);
    const renewed = (await res.json()) as Tokens & { dpopBound?: boolean };
    assert.equal(renewed.refreshToken, legacy.tokens.refreshToken);
    assert.equal(renewed.dpopBound, undefined, 'nothing new in the answers the addon gets');
  });

  test('a login proof with a clock far off is challenged, and the login works with the nonce', async () => {
    const email = `login-skew-${server.clock.now()}@example.com`;
    const fresh = await createProofKey();
    const otpRes = await postToken(server, { grant_type: 'otp', email, scopes: ['ACCESS_DB'] });
    const { otp_id } = (await otpRes.json()) as { otp_id: string };
    const mails = (await (await fetch(`${server.url}/_dev/mailbox?to=${encodeURIComponent(email)}`)).json()) as { otp: string }[];
    const submit = (proof: string) =>
      postToken(server, { grant_type: 'otp', email, scopes: ['ACCESS_DB'], otp_id, otp: mails[0]!.otp, proof });
    const skewed = serverSeconds(server) - 3 * 3600;
    const first = await submit(await makeProof(fresh, { htu, iat: skewed }));
    const { error, nonce } = (await first.json()) as { error: string; nonce: string };
    assert.equal(`${first.status} ${error}`, '400 use-dpop-nonce');
    const second = await submit(await makeProof(fresh, { htu, iat: skewed, nonce }));
    assert.equal(second.status, 200, 'the challenge spent no code attempt');
  });

  test('refused proofs are logged with their reason, and no token, proof or nonce is', async () => {
    const nonce = await refreshNonce(server, tokens.refreshToken!, key);
    const proof = await makeProof(key, { htu: 'https://evil.example/token', iat: serverSeconds(server), nonce, refreshToken: tokens.refreshToken! });
    const body = { grant_type: 'refresh_token', refresh_token: tokens.refreshToken, scopes: ['ACCESS_DB'] };
    assert.equal(await errorOf(await postToken(server, body, { DPoP: proof })), '400 invalid-dpop-proof');
    const text = logs.text();
    assert.match(text, /"event":"auth\.proof_refused".*htu does not match/);
    assert.match(text, /"event":"auth\.refresh_foreign_key"/);
    for (const secret of [...issued, proof, nonce]) assert.ok(!text.includes(secret), 'a secret was logged');
  });
});
