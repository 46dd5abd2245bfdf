/** Email + one-time-code login (`grant_type: 'otp'`) against a real server, over HTTP. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { storedTables } from './helpers/backend.js';
import { after, before, beforeEach, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  createDeviceKey,
  latestCode,
  loginWithCode,
  postToken,
  readMailbox,
  requestCode,
  startAuthServer,
  submitCode,
  type TestServer,
  type Tokens,
} from './helpers/auth-helpers.js';

describe('email login with a one-time code', () => {
  let server: TestServer;
  before(async () => {
    server = await startAuthServer();
  });
  after(() => server.close());
  // Each test starts in fresh rate-limit windows (the limits have their own tests).
  beforeEach(() => server.clock.advance(3_600_000));

  test('logs a user in end to end with the code from the dev mailbox', async () => {
    const email = 'Alice@Example.com';
    const device = await createDeviceKey();
    const otpId = await requestCode(server, email);
    assert.match(otpId, /^otp-/);

    const [mail] = await readMailbox(server, 'alice@example.com');
    assert.ok(mail, 'a mail was delivered to the dev mailbox');
    assert.equal(mail.to, 'alice@example.com');
    assert.match(mail.otp!, /^\d{8}$/);
    assert.ok(mail.text.includes(`${mail.otp!.slice(0, 4)} ${mail.otp!.slice(4)}`), 'the mail shows the code');

    const res = await submitCode(server, email, otpId, mail.otp!, device);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const tokens = (await res.json()) as Tokens;
    assert.equal(tokens.type, 'tokens');
    assert.match(tokens.claims.sub, /^usr-/);
    assert.deepEqual(tokens.claims, { sub: tokens.claims.sub, email: 'alice@example.com', name: 'alice', license: 'ok' });
    assert.equal(tokens.userType, 'prod');
    const now = server.clock.now();
    assert.equal(tokens.accessTokenExpiration, now + 3600_000);
    assert.equal(tokens.refreshTokenExpiration, now + 90 * 24 * 3600_000);
    assert.ok(tokens.refreshToken && tokens.refreshToken.length >= 43, 'refresh token carries >= 256 bits');

    const principal = await server.authenticate(tokens.accessToken);
    assert.deepEqual(principal, {
      kind: 'user',
      userId: tokens.claims.sub,
      email: 'alice@example.com',
      name: 'alice',
      sessionId: decodeJwt(tokens.accessToken).sid,
      expiresAt: tokens.accessTokenExpiration,
    });
  });

  test('gives the same user id to the same email on every login', async () => {
    const first = await loginWithCode(server, 'same@example.com');
    const second = await loginWithCode(server, 'SAME@example.com ');
    assert.equal(second.tokens.claims.sub, first.tokens.claims.sub);
    const other = await loginWithCode(server, 'other@example.com');
    assert.notEqual(other.tokens.claims.sub, first.tokens.claims.sub);
  });

  test('answers a wrong code with 401 and a text body, and the right code still works', async () => {
    const email = 'wrong@example.com';
    const device = await createDeviceKey();
    const otpId = await requestCode(server, email);
    const code = await latestCode(server, email);
    const wrong = code === '00000000' ? '11111111' : '00000000';
    const res = await submitCode(server, email, otpId, wrong, device);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await res.text(), /wrong, expired or already used/);
    assert.equal((await submitCode(server, email, otpId, code, device)).status, 200);
  });

  test('voids a code after 5 wrong attempts, even when the 6th is right', async () => {
    const email = 'guesser@example.com';
    const device = await createDeviceKey();
    const otpId = await requestCode(server, email);
    const code = await latestCode(server, email);
    for (let i = 0; i < 5; i++) {
      const guess = String((Number(code) + 1 + i) % 1e8).padStart(8, '0');
      assert.equal((await submitCode(server, email, otpId, guess, device)).status, 401);
    }
    const res = await submitCode(server, email, otpId, code, device);
    assert.equal(res.status, 401);
    // A new code works again.
    const { tokens } = await loginWithCode(server, email, device);
    assert.equal(tokens.type, 'tokens');
  });

  test('refuses a code that was already used', async () => {
    const email = 'reuse@example.com';
    const device = await createDeviceKey();
    const otpId = await requestCode(server, email);
    const code = await latestCode(server, email);
    assert.equal((await submitCode(server, email, otpId, code, device)).status, 200);
    const again = await submitCode(server, email, otpId, code, device);
    assert.equal(again.status, 401);
  });

  test('accepts only the latest code sent to an address', async () => {
    const email = 'latest@example.com';
    const device = await createDeviceKey();
    const firstId = await requestCode(server, email);
    const firstCode = await latestCode(server, email);
    const secondId = await requestCode(server, email);
    const secondCode = await latestCode(server, email);
    assert.equal((await submitCode(server, email, firstId, firstCode, device)).status, 401);
    assert.equal((await submitCode(server, email, secondId, secondCode, device)).status, 200);
  });

  test('refuses a code submitted for another email address', async () => {
    const device = await createDeviceKey();
    const otpId = await requestCode(server, 'owner@example.com');
    const code = await latestCode(server, 'owner@example.com');
    assert.equal((await submitCode(server, 'thief@example.com', otpId, code, device)).status, 401);
    assert.equal((await submitCode(server, 'owner@example.com', otpId, code, device)).status, 200);
  });

  test('expires a code after otpTtlSeconds (300 s by default), with the same answer as a wrong code', async () => {
    const device = await createDeviceKey();
    const email = 'slow@example.com';
    let otpId = await requestCode(server, email);
    server.clock.advance(299_000);
    assert.equal((await submitCode(server, email, otpId, await latestCode(server, email), device)).status, 200);

    otpId = await requestCode(server, email);
    const code = await latestCode(server, email);
    server.clock.advance(300_000);
    const expired = await submitCode(server, email, otpId, code, device);
    assert.equal(expired.status, 401);
    const wrong = await submitCode(server, email, otpId, '12', device);
    assert.equal(await expired.text(), await wrong.text());
  });

  test('answers a known and an unknown address identically', async () => {
    await loginWithCode(server, 'known@example.com');
    const answer = async (email: string) => {
      const res = await postToken(server, { grant_type: 'otp', email, scopes: ['ACCESS_DB'] });
      const body = (await res.json()) as Record<string, unknown>;
      return { status: res.status, keys: Object.keys(body), type: body.type, idShape: String(body.otp_id).length };
    };
    assert.deepEqual(await answer('known@example.com'), await answer('nobody-yet@example.com'));
  });

  test('refuses an invalid email with a typed 400', async () => {
    for (const email of ['not-an-email', 'a@b@c', 'x@example.com\r\nBcc: victim@example.com', '']) {
      const res = await postToken(server, { grant_type: 'otp', email, scopes: ['ACCESS_DB'] });
      assert.equal(res.status, 400, email);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid-request');
    }
  });

  test('refuses a public key that is not a PEM RSA key without spending the code', async () => {
    const email = 'badkey@example.com';
    const otpId = await requestCode(server, email);
    const code = await latestCode(server, email);
    const { publicKeyPem } = await createDeviceKey();
    const ecKey = (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const badKeys = [
      'not a key',
      ecKey.export({ format: 'pem', type: 'spki' }) as string,
      publicKeyPem.replace('MII', 'XII'),
    ];
    for (const public_key of badKeys) {
      const res = await postToken(server, { grant_type: 'otp', email, scopes: ['ACCESS_DB'], otp: code, otp_id: otpId, public_key });
      assert.equal(res.status, 400);
    }
    const missing = await postToken(server, { grant_type: 'otp', email, scopes: ['ACCESS_DB'], otp: code, otp_id: otpId });
    assert.equal(missing.status, 400);
    assert.equal((await submitCode(server, email, otpId, code, await createDeviceKey())).status, 200);
  });

  test('keeps no plaintext code in the database', async () => {
    const email = 'hashed@example.com';
    await requestCode(server, email);
    const code = await latestCode(server, email);
    const tables = await storedTables(server.context.config);
    for (const [name, rows] of Object.entries(tables)) {
      assert.ok(!JSON.stringify(rows).includes(code), `table ${name} holds the code`);
    }
    const challenge = (tables.auth_otps as Record<string, unknown>[]).find((row) => row.email === email);
    assert.match(String(challenge?.code_mac), /^[0-9a-f]{64}$/);
    for (const file of fs.readdirSync(server.dataDir)) {
      const bytes = fs.readFileSync(path.join(server.dataDir, file));
      assert.ok(!bytes.includes(Buffer.from(code)), `${file} holds the code`);
    }
  });
});
