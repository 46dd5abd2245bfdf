/**
 * Structural validation of `/sync` and `/token` bodies: what the official addon sends passes, and
 * every malformed shape ends as one DxcError with a precise code.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DxcError,
  MAX_PRIMARY_KEY_LENGTH,
  MAX_ROW_BYTES,
  normalizeKey,
  validateRowValue,
  validateSyncRequest,
  validateTableName,
  validateTokenRequest,
} from '../../src/protocol/index.js';

/** The code a call throws with, or 'ok'. */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof DxcError, String(error));
    return error.code;
  }
}

/** A push shaped like dexie-cloud-addon@4.4.14's (captured fields, made-up values). */
function addonRequest(): Record<string, unknown> {
  return {
    v: 3,
    dbID: 'db-1',
    clientIdentity: 'p1Yr6n/8HLTAgI7EDO4f8w==',
    schema: { items: { generatedGlobalId: true, idPrefix: 'itm', markedForSync: true }, $jobs: {}, $syncState: {} },
    lastPull: { serverRevision: '12', realms: ['usr-1', 'rlm-public'], inviteRealms: [] },
    baseRevs: [{ tableName: 'items', clientRev: 1, serverRev: '12' }],
    changes: [
      {
        table: 'items',
        muts: [
          { type: 'insert', keys: ['itm1'], values: [{ id: 'itm1', title: 'a' }], txid: 't1', userId: 'usr-1', opNo: 1, ts: 1, rev: 1 },
          { type: 'upsert', keys: ['itm2'], values: [{ id: 'itm2' }], changeSpecs: [{ title: 'b' }], txid: 't2' },
          { type: 'update', keys: ['itm1'], changeSpecs: [{ count: { '@@propmod': { add: 1 } } }], txid: 't3' },
          { type: 'modify', keys: ['itm1'], criteria: { index: 'title', range: { type: 1, lower: 'a' } }, changeSpec: { done: true } },
          { type: 'delete', keys: ['itm2'], criteria: { index: null, range: { type: 3 } }, txid: 't4' },
          { type: 'delete', keys: [['a', 1]], criteria: false },
        ],
      },
    ],
    y: [],
    dxcv: '4.4.14',
  };
}

describe('validateSyncRequest', () => {
  test('accepts what the addon sends, and defaults baseRevs', () => {
    assert.equal(outcome(() => validateSyncRequest(addonRequest())), 'ok');
    const { baseRevs: _omitted, ...first } = { ...addonRequest(), changes: [] };
    assert.deepEqual(validateSyncRequest(first).baseRevs, []);
  });

  const broken: [string, (r: any) => void, string][] = [
    ['schema missing', (r) => delete r.schema, 'invalid-request'],
    ['a schema table with a bad name', (r) => (r.schema['bad name'] = {}), 'invalid-table'],
    ['changes not an array', (r) => (r.changes = {}), 'invalid-request'],
    ['a change set without muts', (r) => (r.changes = [{ table: 'items' }]), 'invalid-request'],
    ['a change set naming a bad table', (r) => (r.changes[0].table = 'items;--'), 'invalid-table'],
    ['an unknown operation', (r) => (r.changes[0].muts[0].type = 'merge'), 'unsupported-operation'],
    ['an operation without keys', (r) => delete r.changes[0].muts[0].keys, 'invalid-request'],
    ['fewer values than keys', (r) => (r.changes[0].muts[0].keys = ['a', 'b']), 'invalid-request'],
    ['a value that is not an object', (r) => (r.changes[0].muts[0].values = [42]), 'invalid-request'],
    ['changeSpecs not matching keys', (r) => (r.changes[0].muts[2].changeSpecs = []), 'invalid-request'],
    ['a modify without criteria', (r) => delete r.changes[0].muts[3].criteria, 'invalid-request'],
    ['a criteria range of unknown type', (r) => (r.changes[0].muts[4].criteria.range.type = 9), 'invalid-request'],
    ['a txid that is not a string', (r) => (r.changes[0].muts[0].txid = 7), 'invalid-request'],
    ['an empty key', (r) => (r.changes[0].muts[4].keys = ['']), 'invalid-key'],
    ['an object key', (r) => (r.changes[0].muts[4].keys = [{ id: 1 }]), 'invalid-key'],
    ['lastPull without realms array', (r) => (r.lastPull.realms = 'usr-1'), 'invalid-request'],
    ['a non-string dbID', (r) => (r.dbID = 5), 'invalid-request'],
    ['a row over the size limit', (r) => (r.changes[0].muts[0].values[0].text = 'x'.repeat(MAX_ROW_BYTES)), 'row-too-large'],
    ['a NUL character in a row', (r) => (r.changes[0].muts[0].values[0].title = 'a\u0000b'), 'invalid-request'],
    // Databases store a lone surrogate as U+FFFD, so two different txids or keys would collide.
    ['a lone surrogate in a row', (r) => (r.changes[0].muts[0].values[0].title = 'a\ud800b'), 'invalid-request'],
    ['a lone surrogate in a txid', (r) => (r.changes[0].muts[0].txid = 'tx\udc00'), 'invalid-request'],
    ['a lone surrogate in a key', (r) => (r.changes[0].muts[4].keys = ['k\ud800']), 'invalid-key'],
  ];
  for (const [what, breakIt, code] of broken) {
    test(`refuses ${what} with ${code}`, () => {
      const request = addonRequest();
      breakIt(request);
      assert.equal(outcome(() => validateSyncRequest(request)), code);
    });
  }

  test('refuses bodies that are not objects', () => {
    for (const body of [null, [], 'sync', 1]) assert.equal(outcome(() => validateSyncRequest(body)), 'invalid-request');
  });
});

describe('keys, table names and rows', () => {
  test('array keys travel as their JSON text; strings as they are', () => {
    assert.equal(normalizeKey('itm1'), 'itm1');
    assert.equal(normalizeKey(['a', 1]), '["a",1]');
  });

  test('refuses empty, oversized, NUL-bearing and non-primitive keys', () => {
    for (const key of ['', 'k'.repeat(MAX_PRIMARY_KEY_LENGTH + 1), 'a\u0000', [], [{}], [NaN], null, 5]) {
      assert.equal(outcome(() => normalizeKey(key)), 'invalid-key', JSON.stringify(key));
    }
    assert.equal(outcome(() => normalizeKey('k'.repeat(MAX_PRIMARY_KEY_LENGTH))), 'ok');
  });

  test('table names: identifiers with $ allowed, nothing else', () => {
    for (const name of ['items', '_x', '$jobs', 'a1']) assert.equal(outcome(() => validateTableName(name)), 'ok');
    for (const name of ['', '1a', 'a-b', 'a b', 'a'.repeat(64), 5]) assert.equal(outcome(() => validateTableName(name)), 'invalid-table');
  });

  test('rows may hold any well-formed text, including an escaped-looking backslash sequence and emoji', () => {
    assert.equal(outcome(() => validateRowValue({ a: '\\ud800 is how JSON escapes a surrogate', b: '😀' })), 'ok');
  });

  test('rows must be objects within the size limit', () => {
    assert.equal(outcome(() => validateRowValue({ a: 1 })), 'ok');
    assert.equal(outcome(() => validateRowValue([1])), 'invalid-request');
    assert.equal(outcome(() => validateRowValue({ a: 'x'.repeat(MAX_ROW_BYTES) })), 'row-too-large');
  });
});

describe('validateTokenRequest', () => {
  test('accepts the addon’s OTP steps and refresh request', () => {
    const otp = { grant_type: 'otp', email: 'a@example.com', scopes: ['ACCESS_DB'] };
    assert.equal(outcome(() => validateTokenRequest(otp)), 'ok');
    assert.equal(outcome(() => validateTokenRequest({ ...otp, otp: '12345678', otp_id: 'o1', public_key: 'PEM' })), 'ok');
    const refresh = {
      grant_type: 'refresh_token',
      refresh_token: 'rt',
      scopes: ['ACCESS_DB'],
      time_stamp: 1714979289010,
      signing_algorithm: 'RSASSA-PKCS1-v1_5',
      signature: 'c2ln',
    };
    assert.equal(outcome(() => validateTokenRequest(refresh)), 'ok');
  });

  test('refuses unknown grants, missing fields and oversized values', () => {
    assert.equal(outcome(() => validateTokenRequest({ grant_type: 'password' })), 'unsupported-operation');
    assert.equal(outcome(() => validateTokenRequest({ grant_type: 'otp' })), 'invalid-request');
    assert.equal(outcome(() => validateTokenRequest({ grant_type: 'otp', email: 'a'.repeat(300) })), 'payload-too-large');
    assert.equal(outcome(() => validateTokenRequest({ grant_type: 'otp', email: 'a@b.c', otp: '1'.repeat(17) })), 'payload-too-large');
    assert.equal(
      outcome(() =>
        validateTokenRequest({ grant_type: 'refresh_token', refresh_token: 'rt', signature: 's', time_stamp: 'now', signing_algorithm: 'RSASSA-PKCS1-v1_5' }),
      ),
      'invalid-request',
    );
    assert.equal(outcome(() => validateTokenRequest('{}')), 'invalid-request');
  });
});
