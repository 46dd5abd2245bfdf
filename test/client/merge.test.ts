import { subtractLocal, toKeyMutationSet, type KeyMutationSet } from '../../src/client/merge.js';
import { assert } from '../helpers/assert.js';

const server = (): KeyMutationSet =>
  toKeyMutationSet([
    {
      table: 't',
      muts: [
        { type: 'upsert', keys: ['ups-vs-ups', 'upd-vs-ups', 'ups-vs-del', 'upd-vs-del'], values: [{ a: 1 }, { a: 1, n: 1 }, { a: 1 }, { a: 1 }] },
        { type: 'update', keys: ['upd-vs-upd'], changeSpecs: [{ a: 2, b: 2 }] },
        { type: 'delete', keys: ['del-vs-ups', 'del-vs-upd'] },
      ],
    },
  ]);

const local = toKeyMutationSet([
  {
    table: 't',
    muts: [
      { type: 'upsert', keys: ['ups-vs-ups', 'del-vs-ups'], values: [{ a: 9 }, { a: 9 }] },
      { type: 'update', keys: ['upd-vs-ups', 'upd-vs-upd', 'del-vs-upd'], changeSpecs: [{ b: 9, n: { '@@propmod': { add: 2 } } }, { a: 9 }, { a: 9 }] },
      { type: 'delete', keys: ['ups-vs-del', 'upd-vs-del'] },
    ],
  },
]);

describe('merging server changes with pending local edits', () => {
  const merged = server();
  subtractLocal(merged, local);
  const rows = merged.get('t')!;

  it('drops a server row that the device has rewritten or deleted since', () => {
    assert.equal(rows.has('ups-vs-ups'), false);
    assert.equal(rows.has('ups-vs-del'), false);
    assert.equal(rows.has('upd-vs-del'), false);
  });

  it('drops a server delete of a row the device has rewritten since (the rewrite commits later)', () => {
    assert.equal(rows.has('del-vs-ups'), false);
  });

  it('keeps a server delete against a local update (there is no row left to update)', () => {
    assert.deepEqual(rows.get('del-vs-upd'), { type: 'del' });
  });

  it('patches local updates into a server row, executing property modifications', () => {
    assert.deepEqual(rows.get('upd-vs-ups'), { type: 'ups', val: { a: 1, n: 3, b: 9 } });
  });

  it('removes locally updated props from a server update', () => {
    assert.deepEqual(rows.get('upd-vs-upd'), { type: 'upd', mod: { b: 2 } });
  });

  it('keeps keys such as __proto__ as data', () => {
    const set = toKeyMutationSet([{ table: 't', muts: [{ type: 'delete', keys: ['__proto__'] }] }]);
    assert.deepEqual([...set.get('t')!.keys()], ['__proto__']);
    assert.equal(({} as Record<string, unknown>).type, undefined);
  });
});
