import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  encodeTson,
  MAX_DEPTH,
  MAX_ROW_BYTES,
  MAX_UNAUTHENTICATED_BODY_BYTES,
  PUBLIC_REALM,
} from 'dxc/protocol';
import {
  changes,
  loginUser,
  op,
  postSync,
  SCHEMA,
  startSyncServer,
  syncRequest,
  type TestServer,
  type TestUser,
} from './helpers/sync-helpers.js';

describe('POST /sync: bad input is a typed 4xx and changes nothing', () => {
  let server: TestServer;
  let alice: TestUser;
  let snapshotBefore: string;

  /** Everything the store holds that a reader could see, with the revision. */
  async function storeState(): Promise<string> {
    const store = server.context.storage.data;
    const snapshot = await store.snapshot([alice.userId, PUBLIC_REALM]);
    return JSON.stringify([await store.currentRevision(), snapshot]);
  }

  before(async () => {
    server = await startSyncServer();
    alice = await loginUser(server, 'alice@example.com');
    const ok = await postSync(server, syncRequest({ changes: changes('notes', op.upsert(['n-1'], [{ id: 'n-1' }])) }), {
      token: alice.token,
    });
    assert.equal(ok.status, 200);
  });
  beforeEach(async () => {
    snapshotBefore = await storeState();
  });
  after(() => server.close());

  /**
   * A valid upsert followed by `bad` (an object, or raw JSON text for what an encoder would never
   * write): the whole request must fail.
   */
  function requestWith(bad: unknown): string {
    const valid = op.upsert(['n-valid-first'], [{ id: 'n-valid-first' }]);
    const text = encodeTson(syncRequest({ changes: [{ table: 'notes', muts: [valid, 'BAD-OPERATION' as never] }] }));
    return text.replace('"BAD-OPERATION"', typeof bad === 'string' ? bad : encodeTson(bad));
  }

  async function expectRefused(
    body: unknown,
    status: number,
    error: string,
    options: { token?: string; headers?: Record<string, string> } = { token: alice.token },
  ): Promise<void> {
    const answer = await postSync(server, body, options);
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.error, error);
    assert.equal(typeof answer.body.message, 'string');
    assert.equal(await storeState(), snapshotBefore);
  }

  test('malformed TSON', () => expectRefused('{"schema": {', 400, 'invalid-tson'));

  test('an empty body', () => expectRefused('', 400, 'invalid-tson'));

  test('a body that is not an object', async () => {
    await expectRefused('[1,2]', 400, 'invalid-request');
    await expectRefused('"sync"', 400, 'invalid-request');
    await expectRefused('null', 400, 'invalid-request');
  });

  test('an unknown TSON type', () =>
    expectRefused(requestWith('{"type":"upsert","keys":["n-x"],"values":[{"x":{"$t":"Evil","v":""}}]}'), 400, 'invalid-tson'));

  for (const key of ['__proto__', 'constructor', 'prototype']) {
    test(`a ${key} key anywhere in the body`, () =>
      expectRefused(
        requestWith(`{"type":"upsert","keys":["n-x"],"values":[{"id":"n-x","nested":{"${key}":{"polluted":true}}}]}`),
        400,
        'forbidden-key',
      ));
  }

  test(`nesting deeper than ${MAX_DEPTH} levels`, () => {
    let deep = '1';
    for (let i = 0; i < 33; i++) deep = `{"a":${deep}}`;
    return expectRefused(requestWith(`{"type":"upsert","keys":["n-x"],"values":[${deep}]}`), 400, 'too-deep');
  });

  test('an unknown operation type', () =>
    expectRefused(requestWith({ type: 'truncate', keys: ['n-x'] }), 400, 'unsupported-operation'));

  test('an operation without keys, and values that do not match them', async () => {
    await expectRefused(requestWith({ type: 'delete' }), 400, 'invalid-request');
    await expectRefused(requestWith({ type: 'upsert', keys: ['a', 'b'], values: [{}] }), 400, 'invalid-request');
    await expectRefused(requestWith({ type: 'upsert', keys: ['a'], values: ['not an object'] }), 400, 'invalid-request');
  });

  test('a @@propmod whose term has the wrong type', async () => {
    const push = (spec: unknown) =>
      encodeTson(syncRequest({ changes: changes('notes', op.update(['n-1'], [{ count: { '@@propmod': spec } }])) }));
    await expectRefused(push({ add: 'five' }), 400, 'invalid-request');
    await expectRefused(push({ remove: { x: 1 } }), 400, 'invalid-request');
  });

  test('an invalid primary key', async () => {
    await expectRefused(requestWith({ type: 'delete', keys: [{ k: 1 }] }), 400, 'invalid-key');
    await expectRefused(requestWith({ type: 'delete', keys: ['x'.repeat(513)] }), 400, 'invalid-key');
  });

  test('a bad table name', () =>
    expectRefused(
      encodeTson(syncRequest({ changes: [{ table: 'notes; DROP TABLE data_rows', muts: [op.delete(['n-1'])] }] })),
      400,
      'invalid-table',
    ));

  test('changes to a table the schema does not sync', async () => {
    await expectRefused(encodeTson(syncRequest({ changes: changes('undeclared', op.delete(['n-1'])) })), 400, 'invalid-table');
    await expectRefused(
      encodeTson(syncRequest({ schema: { ...SCHEMA, $logins: {} }, changes: changes('$logins', op.delete(['n-1'])) })),
      400,
      'invalid-table',
    );
  });

  test(`a row larger than ${MAX_ROW_BYTES} bytes`, () =>
    expectRefused(
      requestWith({ type: 'upsert', keys: ['n-big'], values: [{ id: 'n-big', text: 'x'.repeat(MAX_ROW_BYTES) }] }),
      413,
      'row-too-large',
    ));

  test(`an unauthenticated body larger than ${MAX_UNAUTHENTICATED_BODY_BYTES} bytes`, () =>
    expectRefused(
      encodeTson(syncRequest({ schema: { ...SCHEMA, padding: { text: 'x'.repeat(MAX_UNAUTHENTICATED_BODY_BYTES) } as never } })),
      413,
      'payload-too-large',
      {},
    ));

  test('a gzip bomb: small on the wire, too large once decompressed', () => {
    const bomb = gzipSync(Buffer.alloc(8 * MAX_UNAUTHENTICATED_BODY_BYTES, ' '));
    assert.ok(bomb.length < 64 * 1024);
    return expectRefused(new Uint8Array(bomb), 413, 'payload-too-large', { headers: { 'Content-Encoding': 'gzip' } });
  });

  test('a gzipped body within the limit is accepted', async () => {
    const answer = await postSync(server, new Uint8Array(gzipSync(encodeTson(syncRequest()))), {
      headers: { 'Content-Encoding': 'gzip' },
    });
    assert.equal(answer.status, 200);
  });

  test('an invalid bearer token', async () => {
    await expectRefused(encodeTson(syncRequest()), 401, 'invalid-token', { token: 'not-a-token' });
    await expectRefused(encodeTson(syncRequest()), 401, 'invalid-token', { headers: { Authorization: 'Basic abc' } });
  });

  test('a lastPull without a string revision', () =>
    expectRefused(
      encodeTson(syncRequest({ lastPull: { serverRevision: 7 as never, realms: [], inviteRealms: [] } })),
      400,
      'invalid-request',
    ));
});
