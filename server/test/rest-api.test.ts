/** The REST API for server-side clients: client tokens from `/token` and `GET/POST/DELETE /all/:table`. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { decodeTson, encodeTson, PUBLIC_REALM } from 'dxc/protocol';
import { createApiClient, type NewApiClient } from '../src/auth/index.js';
import { postToken, startAuthServer, type TestServer } from './helpers/auth-helpers.js';
import { changes, loginUser, op, postSync, syncRequest, type TestUser } from './helpers/sync-helpers.js';

describe('REST API /all/:table', () => {
  let server: TestServer;
  let client: NewApiClient;
  let writeToken: string;
  let readToken: string;
  let user: TestUser;

  const clientToken = async (scopes: string[], credentials: Partial<NewApiClient> = client) => {
    const res = await postToken(server, {
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      scopes,
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const rest = (method: string, path: string, token: string | undefined, body?: unknown, type = 'application/json') =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'Content-Type': type }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : encodeTson(body) }),
    });
  const pulledRows = async (token?: string) => {
    const answer = await postSync(server, syncRequest(), { token });
    assert.equal(answer.status, 200);
    const rows = new Map<string, any>();
    for (const set of answer.body.changes) {
      for (const mut of set.muts) {
        mut.keys.forEach((key: string, i: number) => rows.set(`${set.table}/${key}`, mut.type === 'delete' ? null : mut.values[i]));
      }
    }
    return rows;
  };

  before(async () => {
    server = await startAuthServer();
    client = await createApiClient(server.context.storage.auth, 'rest test', server.clock.now());
    writeToken = (await clientToken(['ACCESS_DB', 'GLOBAL_READ', 'GLOBAL_WRITE'])).body.accessToken;
    readToken = (await clientToken(['ACCESS_DB', 'GLOBAL_READ'])).body.accessToken;
    user = await loginUser(server, 'rest-reader@example.com');
  });
  after(() => server.close());
  beforeEach(() => server.clock.advance(1000));

  test('issues a client token for client_credentials without claims', async () => {
    const { status, body } = await clientToken(['ACCESS_DB', 'GLOBAL_READ', 'GLOBAL_WRITE']);
    assert.equal(status, 200);
    assert.equal(body.type, 'tokens');
    assert.equal(body.userType, 'client');
    assert.equal(body.claims.sub, client.clientId);
    assert.equal(body.refreshToken, undefined);
    assert.ok(body.accessTokenExpiration > server.clock.now());
  });

  test('refuses a client token for a wrong secret, unknown scopes or no global scope', async () => {
    assert.equal((await clientToken(['GLOBAL_READ'], { clientId: client.clientId, clientSecret: 'wrong' })).status, 401);
    const unknown = await clientToken(['GLOBAL_READ', 'DELETE_DB']);
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /DELETE_DB/);
    const noGlobal = await clientToken(['ACCESS_DB']);
    assert.equal(noGlobal.status, 400);
    assert.match(noGlobal.body.message, /claims\.sub/);
  });

  test('upserts objects that every client then pulls from the public realm', async () => {
    const observedAt = new Date(Date.UTC(2030, 0, 1, 12));
    const res = await rest('POST', '/all/weather', writeToken, [
      { id: 'oslo', realmId: PUBLIC_REALM, place: 'Oslo', temperatureC: -3.5, observedAt },
      { id: 'lisbon', realmId: PUBLIC_REALM, place: 'Lisbon', temperatureC: 16 },
    ]);
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { keys: string[] }).keys, ['oslo', 'lisbon']);

    const anonymous = await pulledRows();
    assert.equal(anonymous.get('weather/oslo').temperatureC, -3.5);
    assert.deepEqual(anonymous.get('weather/oslo').observedAt, observedAt, 'a Date survives as a Date');
    assert.equal((await pulledRows(user.token)).get('weather/lisbon').place, 'Lisbon');

    const one = await rest('GET', '/all/weather/oslo', readToken);
    assert.equal(one.status, 200);
    assert.deepEqual(decodeTson(await one.text()), { id: 'oslo', realmId: PUBLIC_REALM, place: 'Oslo', temperatureC: -3.5, observedAt });
    const filtered = decodeTson(await (await rest('GET', `/all/weather?realmId=${PUBLIC_REALM}&place=Lisbon`, readToken)).text());
    assert.deepEqual((filtered as { id: string }[]).map((row) => row.id), ['lisbon']);
  });

  test('writes and reads a user\'s private realm, which only that user pulls', async () => {
    const res = await rest('POST', '/all/notes', writeToken, { id: 'note-1', realmId: user.userId, text: 'from the backend' });
    assert.equal(res.status, 200);
    assert.equal((await pulledRows(user.token)).get('notes/note-1').text, 'from the backend');
    assert.equal((await pulledRows()).has('notes/note-1'), false);
    const listed = decodeTson(await (await rest('GET', `/all/notes?realmId=${encodeURIComponent(user.userId)}`, readToken)).text());
    assert.deepEqual(listed, [{ id: 'note-1', realmId: user.userId, text: 'from the backend' }]);
  });

  test('deletes a row: pulls then carry the delete and GET answers 404', async () => {
    await rest('POST', '/all/weather', writeToken, [{ id: 'bergen', realmId: PUBLIC_REALM, place: 'Bergen' }]);
    assert.ok((await pulledRows()).get('weather/bergen'));
    const res = await rest('DELETE', '/all/weather/bergen', writeToken);
    assert.deepEqual(await res.json(), { deleted: true });
    assert.equal((await pulledRows()).get('weather/bergen'), undefined, 'a fresh client never sees the row');
    assert.equal((await rest('GET', '/all/weather/bergen', readToken)).status, 404);
    assert.deepEqual(await (await rest('DELETE', '/all/weather/bergen', writeToken)).json(), { deleted: false });
  });

  test('answers each scope with its own rights', async () => {
    assert.equal((await rest('POST', '/all/weather', readToken, [{ id: 'x', realmId: PUBLIC_REALM }])).status, 403);
    assert.equal((await rest('DELETE', '/all/weather/oslo', readToken)).status, 403);
    const writeOnly = (await clientToken(['GLOBAL_WRITE'])).body.accessToken as string;
    assert.equal((await rest('GET', '/all/weather/oslo', writeOnly)).status, 403);
    assert.equal((await rest('GET', '/all/weather/oslo', undefined)).status, 401);
  });

  test('keeps client tokens and user tokens apart', async () => {
    const asUser = await rest('GET', `/all/notes?realmId=${encodeURIComponent(user.userId)}`, user.token);
    assert.equal(asUser.status, 401);
    assert.equal(((await asUser.json()) as { error: string }).error, 'invalid-token');
    const asClient = await postSync(server, syncRequest({ changes: changes('notes', op.insert(['n'], [{ text: 'x' }])) }), { token: writeToken });
    assert.equal(asClient.status, 401, 'a client token is not a /sync login');
  });

  test('refuses bad input with a typed 4xx and stores nothing', async () => {
    const before = await server.context.storage.data.currentRevision();
    const cases: [string, string, unknown, number, string][] = [
      ['missing realmId', '/all/weather', [{ id: 'a' }, { id: 'b', realmId: PUBLIC_REALM }], 400, 'invalid-request'],
      ['missing key', '/all/weather', [{ realmId: PUBLIC_REALM }], 400, 'invalid-key'],
      ['bad table', '/all/no-such-table!', [{ id: 'a', realmId: PUBLIC_REALM }], 400, 'invalid-table'],
      ['prototype key', '/all/weather', '[{"id":"p","realmId":"rlm-public","__proto__":{"x":1}}]', 400, 'forbidden-key'],
      ['not JSON', '/all/weather', '[{', 400, 'invalid-tson'],
      ['not an object', '/all/weather', [42], 400, 'invalid-request'],
    ];
    for (const [what, path, body, status, code] of cases) {
      const res = await rest('POST', path, writeToken, body);
      assert.equal(res.status, status, what);
      assert.equal(((await res.json()) as { error: string }).error, code, what);
    }
    const wrongType = await rest('POST', '/all/weather', writeToken, '[]', 'text/plain');
    assert.equal(wrongType.status, 415);
    const huge = await rest('POST', '/all/weather', writeToken, `[{"id":"h","realmId":"rlm-public","t":"${'x'.repeat(4 * 1024 * 1024)}"}]`);
    assert.equal(huge.status, 413);
    const noRealm = await rest('GET', '/all/weather', readToken);
    assert.equal(noRealm.status, 400);
    assert.equal(await server.context.storage.data.currentRevision(), before);
  });
});
