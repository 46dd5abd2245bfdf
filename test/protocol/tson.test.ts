/**
 * dxc's TSON against the oracle: dexie-cloud-common's TypesonSimplified with the type set
 * dexie-cloud-addon@4.4.14 builds its TSON from (typed arrays, ArrayBuffer, Blob, number, Date,
 * Set, Map, undefined, File and Dexie's PropModification). Texts may order keys differently, so
 * the tests hold both directions of decoding to the same values rather than comparing text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PropModification as DexiePropModification } from 'dexie';
import {
  arrayBufferTypeDef,
  blobTypeDef,
  dateTypeDef,
  fileTypeDef,
  mapTypeDef,
  numberTypeDef,
  setTypeDef,
  typedArrayTypeDefs,
  TypesonSimplified,
  undefinedTypeDef,
} from 'dexie-cloud-common';
import {
  decodeTson,
  DxcError,
  encodeTson,
  MAX_DEPTH,
  PropModification,
  TsonBlob,
  TsonFile,
} from '../../src/protocol/index.js';

/** The addon's PropModification type: `{$t: 'PropModification', ...spec}` on the wire. */
const propModificationTypeDef = {
  PropModification: {
    test: (value: unknown) => value instanceof DexiePropModification,
    replace: (value: DexiePropModification) => ({ $t: 'PropModification', ...value['@@propmod'] }),
    revive: ({ $t: _type, ...spec }: Record<string, unknown>) => new DexiePropModification(spec),
  },
};

const oracle = TypesonSimplified(
  typedArrayTypeDefs,
  arrayBufferTypeDef,
  blobTypeDef,
  numberTypeDef,
  dateTypeDef,
  setTypeDef,
  mapTypeDef,
  { ...undefinedTypeDef, ...fileTypeDef, ...propModificationTypeDef } as never,
);

/** Every type the addon's TSON knows (but Blob and File, which it can only read in a browser). */
function sample(): Record<string, unknown> {
  return {
    text: 'héllo, "quoted" \\ text',
    int: 42,
    float: -1.5,
    bool: true,
    nil: null,
    nan: NaN,
    inf: Infinity,
    ninf: -Infinity,
    missing: undefined,
    when: new Date('2024-05-06T07:08:09.010Z'),
    tags: new Set(['a', 'b', 3]),
    map: new Map<unknown, unknown>([
      ['k', 1],
      ['d', new Date(0)],
    ]),
    bytes: new Uint8Array([0, 1, 2, 250, 255]),
    floats: new Float64Array([1.5, -2, NaN]),
    ints: new Int32Array([-1, 2 ** 31 - 1]),
    buffer: new Uint8Array([9, 8, 7, 6]).buffer,
    $ts: 1714979289010,
    $$double: 'two dollars',
    $t: 'user data named $t',
    // (No undefined inside arrays: the addon's JSON.parse reviver turns those into holes.)
    nested: { deeper: [1, { $key: 'v', list: [null, NaN, new Date(1)] }] },
  };
}

describe('TSON against the addon (dexie-cloud-common TypesonSimplified)', () => {
  test("dxc's text decodes in the addon to the same value", () => {
    assert.deepStrictEqual(oracle.parse(encodeTson(sample())), sample());
  });

  test("the addon's text decodes in dxc to the same value", () => {
    assert.deepStrictEqual(decodeTson(oracle.stringify(sample())), sample());
  });

  test('an invalid Date travels both ways', () => {
    const fromOracle = decodeTson(oracle.stringify({ d: new Date(NaN) })) as { d: Date };
    const toOracle = oracle.parse(encodeTson({ d: new Date(NaN) })) as { d: Date };
    assert.ok(fromOracle.d instanceof Date && Number.isNaN(fromOracle.d.getTime()));
    assert.ok(toOracle.d instanceof Date && Number.isNaN(toOracle.d.getTime()));
  });

  test('undefined inside arrays survives a dxc round trip', () => {
    assert.deepStrictEqual(decodeTson(encodeTson([undefined, 1])), [undefined, 1]);
  });

  test('a DataView travels both ways', () => {
    const view = new DataView(new Uint8Array([1, 2, 3]).buffer);
    const fromOracle = decodeTson(oracle.stringify({ view })) as { view: DataView };
    assert.deepEqual([...new Uint8Array(fromOracle.view.buffer)], [1, 2, 3]);
    const toOracle = oracle.parse(encodeTson({ view })) as { view: DataView };
    assert.deepEqual([...new Uint8Array(toOracle.view.buffer)], [1, 2, 3]);
  });

  test('escapes user keys that start with $ exactly like the addon', () => {
    const value = { $ts: 1, $$x: 2, $t: 3, plain: { $inner: 4 } };
    assert.deepEqual(JSON.parse(encodeTson(value)), JSON.parse(oracle.stringify(value)));
  });

  test('PropModification from Dexie, from dxc and as the plain @@propmod clone the addon pushes', () => {
    const fromAddon = decodeTson(oracle.stringify({ count: new DexiePropModification({ add: 5 }) })) as { count: unknown };
    assert.ok(fromAddon.count instanceof PropModification);
    assert.deepEqual(fromAddon.count['@@propmod'], { add: 5 });

    const toAddon = oracle.parse(encodeTson({ tags: new PropModification({ remove: ['a'] }) })) as { tags: unknown };
    assert.ok(toAddon.tags instanceof DexiePropModification);
    assert.deepEqual(toAddon.tags['@@propmod'], { remove: ['a'] });

    // IndexedDB strips the class, so the addon's outbox holds (and pushes) a plain object.
    const plain = { '@@propmod': { replacePrefix: ['a', 'b'] } };
    assert.deepEqual(decodeTson(oracle.stringify({ path: plain })), { path: plain });
  });

  test('a Blob and a File as dxc writes them revive in the addon', async () => {
    const text = encodeTson({
      blob: new TsonBlob(new Uint8Array([104, 105]), 'text/plain'),
      file: new TsonFile(new Uint8Array([1, 2]), 'application/octet-stream', 'a.bin', Date.UTC(2024, 0, 2)),
    });
    const value = oracle.parse(text) as { blob: Blob; file: File };
    assert.equal(value.blob.type, 'text/plain');
    assert.equal(await value.blob.text(), 'hi');
    assert.equal(value.file.name, 'a.bin');
    assert.equal(value.file.lastModified, Date.UTC(2024, 0, 2));
    assert.deepEqual([...new Uint8Array(await value.file.arrayBuffer())], [1, 2]);
  });

  test('a Blob as the addon writes it (standard base64) decodes in dxc', () => {
    const blob = decodeTson('{"$t":"Blob","v":"aGk=","type":"text/plain"}') as TsonBlob;
    assert.ok(blob instanceof TsonBlob);
    assert.equal(blob.type, 'text/plain');
    assert.deepEqual([...blob.bytes], [104, 105]);
  });

  test(
    'a File as the addon writes it (lastModified as ISO text) decodes in dxc',
    () => {
      const file = decodeTson(
        '{"$t":"File","v":"AQI=","type":"application/octet-stream","name":"a.bin","lastModified":"2024-01-02T00:00:00.000Z"}',
      ) as TsonFile;
      assert.equal(file.lastModified, Date.UTC(2024, 0, 2));
    },
  );
});

describe('TSON decoding is strict where the addon is lenient', () => {
  const code = (text: string): string => {
    try {
      decodeTson(text);
      return 'decoded';
    } catch (error) {
      assert.ok(error instanceof DxcError);
      return error.code;
    }
  };

  test('malformed text is invalid-tson', () => {
    assert.equal(code('{"a":'), 'invalid-tson');
    assert.equal(code(''), 'invalid-tson');
  });

  test('prototype keys are refused at any depth, escaped or not', () => {
    for (const key of ['__proto__', 'constructor', 'prototype', '$__proto__', '$constructor']) {
      assert.equal(code(`{"a":[{"b":{"${key}":{"x":1}}}]}`), 'forbidden-key', key);
    }
  });

  test(`nesting deeper than ${MAX_DEPTH} is refused, and ${MAX_DEPTH} is fine`, () => {
    const nest = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    assert.equal(code(nest(MAX_DEPTH + 1)), 'decoded');
    assert.equal(code(nest(MAX_DEPTH + 2)), 'too-deep');
  });

  test('unknown $t types and malformed typed values are invalid-tson', () => {
    assert.equal(code('{"$t":"Evil","v":""}'), 'invalid-tson');
    assert.equal(code('{"$t":"Date","v":5}'), 'invalid-tson');
    assert.equal(code('{"$t":"Set","v":"abc"}'), 'invalid-tson');
    assert.equal(code('{"$t":"Map","v":[[1]]}'), 'invalid-tson');
  });

  test('encoding refuses values nested deeper than the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_DEPTH + 2; i++) deep = { a: deep };
    assert.throws(() => encodeTson(deep), (error: unknown) => error instanceof DxcError && error.code === 'too-deep');
  });
});
