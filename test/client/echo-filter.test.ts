import { dropEchoes, sameValue } from '../../src/client/echo-filter.js';
import { toKeyMutationSet } from '../../src/client/merge.js';
import { assert } from '../helpers/assert.js';

const at = new Date(1_800_000_000_000);

function answer() {
  return toKeyMutationSet([
    {
      table: 't',
      muts: [
        {
          type: 'upsert',
          keys: ['same', 'changed', 'twice', 'updated', 'other'],
          values: [
            { id: 'same', n: 1, at, tags: ['a'] },
            { id: 'changed', n: 2, owner: 'server-side' },
            { id: 'twice', n: 3 },
            { id: 'updated', n: 5 },
            { id: 'other', n: 9 },
          ],
        },
      ],
    },
  ]);
}

const pushed = [
  {
    table: 't',
    muts: [
      { type: 'insert' as const, keys: ['same', 'changed', 'twice', 'updated'], values: [{ id: 'same', n: 1, at: new Date(at), tags: ['a'] }, { id: 'changed', n: 2 }, { id: 'twice', n: 3 }, { id: 'updated', n: 4 }], txid: 'x' },
      { type: 'update' as const, keys: ['twice'], changeSpecs: [{ n: 3 }], txid: 'x' },
      { type: 'update' as const, keys: ['updated'], changeSpecs: [{ n: 5 }], txid: 'x' },
    ],
  },
];

describe('dropping the echo of a push from the server answer', () => {
  it('skips rows the server returns exactly as this request pushed them', () => {
    const server = answer();
    dropEchoes(server, pushed, false);
    assert.deepEqual([...server.get('t')!.keys()].sort(), ['changed', 'other', 'twice', 'updated']);
  });

  it('keeps every row when the server refused part of the request', () => {
    const server = answer();
    dropEchoes(server, pushed, true);
    assert.equal(server.get('t')!.size, 5);
  });

  it('compares dates by time, arrays by items and objects by own keys', () => {
    assert.ok(sameValue({ a: [1, { b: new Date(5) }] }, { a: [1, { b: new Date(5) }] }));
    assert.ok(!sameValue({ a: 1 }, { a: 1, b: undefined }));
    assert.ok(!sameValue([1, 2], [1, 2, 3]));
    assert.ok(!sameValue(new Uint8Array([1]), new Uint8Array([1])));
    assert.ok(sameValue(Object.assign(Object.create(null), { a: 1 }), { a: 1 }));
  });
});
