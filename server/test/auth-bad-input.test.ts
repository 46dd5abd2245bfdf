/** Malformed `/token` requests get a typed 4xx, never a 500, and change nothing. */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { postToken, readMailbox, startAuthServer, type TestServer } from './helpers/auth-helpers.js';

describe('bad input on POST /token', () => {
  let server: TestServer;
  before(async () => {
    server = await startAuthServer();
  });
  after(() => server.close());

  const expectError = async (res: Response, status: number, error: string) => {
    assert.equal(res.status, status);
    assert.equal(((await res.json()) as { error: string }).error, error);
  };

  test('refuses a body that is not JSON, or not an object', async () => {
    await expectError(await postToken(server, '{"grant_type":'), 400, 'invalid-request');
    await expectError(await postToken(server, '[]'), 400, 'invalid-request');
    await expectError(await postToken(server, 'null'), 400, 'invalid-request');
  });

  test('refuses another content type with 415', async () => {
    const body = JSON.stringify({ grant_type: 'otp', email: 'form@example.com', scopes: ['ACCESS_DB'] });
    const res = await postToken(server, body, { 'Content-Type': 'text/plain' });
    await expectError(res, 415, 'invalid-request');
    assert.equal((await readMailbox(server, 'form@example.com')).length, 0);
  });

  test('refuses an unknown grant type with 400', async () => {
    for (const grant_type of ['demo', 'authorization_code', 'password', 42, undefined]) {
      const res = await postToken(server, { grant_type, scopes: ['ACCESS_DB'] });
      assert.equal(res.status, 400, String(grant_type));
    }
  });

  test('refuses unsupported scopes and half an OTP step 2', async () => {
    const base = { grant_type: 'otp', email: 'scope@example.com' };
    await expectError(await postToken(server, { ...base, scopes: ['GLOBAL_WRITE'] }), 400, 'invalid-request');
    await expectError(await postToken(server, { ...base, scopes: ['ACCESS_DB'], otp: '12345678' }), 400, 'invalid-request');
    await expectError(await postToken(server, { ...base, scopes: ['ACCESS_DB'], otp_id: 'otp-x' }), 400, 'invalid-request');
  });

  test('refuses oversized fields and bodies, also once decompressed', async () => {
    const long = { grant_type: 'otp', email: `${'a'.repeat(300)}@example.com`, scopes: ['ACCESS_DB'] };
    assert.equal((await postToken(server, long)).status, 413);
    const big = JSON.stringify({ grant_type: 'otp', email: 'big@example.com', pad: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal((await postToken(server, big)).status, 413);
    const bomb = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync(big),
    });
    assert.equal(bomb.status, 413);
  });

  test('refuses wrongly typed refresh and client_credentials fields', async () => {
    const cases = [
      { grant_type: 'refresh_token', refresh_token: 'x', signature: 'x', signing_algorithm: 'RSASSA-PKCS1-v1_5', time_stamp: 'now' },
      { grant_type: 'refresh_token', refresh_token: 'x', signature: 'x', signing_algorithm: 'HS256', time_stamp: 1 },
      { grant_type: 'refresh_token', refresh_token: 7, signature: 'x', signing_algorithm: 'RSASSA-PKCS1-v1_5', time_stamp: 1 },
      { grant_type: 'client_credentials', client_id: 'x' },
      { grant_type: 'client_credentials', client_id: 'x', client_secret: 'y', claims: 'sub' },
      { grant_type: 'client_credentials', client_id: 'x', client_secret: 'y', claims: { sub: 5 } },
      { grant_type: 'client_credentials', client_id: 'x', client_secret: 'y', claims: { sub: 'a' }, expires_in: -1 },
    ];
    for (const body of cases) {
      const res = await postToken(server, { scopes: ['ACCESS_DB'], ...body });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
  });

  test('ignores prototype keys in the JSON body', async () => {
    const body = '{"grant_type":"otp","email":"proto@example.com","scopes":["ACCESS_DB"],"__proto__":{"otp":"1"}}';
    const res = await postToken(server, body);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { type: string }).type, 'otp-sent');
    assert.equal(({} as { otp?: string }).otp, undefined);
  });
});
