/**
 * dxc's PropModification must compute exactly what Dexie's own does (Dexie 4 is the oracle): the
 * server executes the `@@propmod` specs the addon pushes, and clients compare results with theirs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PropModification as DexiePropModification } from 'dexie';
import {
  applyChangeSpec,
  asPropModification,
  getByKeyPath,
  PropModification,
  setByKeyPath,
  type PropModSpec,
} from '../../src/protocol/index.js';

const cases: [PropModSpec, unknown][] = [
  [{ add: 5 }, 1],
  [{ add: 5 }, undefined],
  [{ add: 5 }, 'not a number'],
  [{ add: -2.5 }, 10],
  [{ add: 5n }, 7n],
  [{ add: 5n }, 'x'],
  [{ add: ['c', 'a'] }, ['b', 'd']],
  [{ add: ['a'] }, undefined],
  [{ add: [3, 1] }, [2]],
  [{ remove: 2 }, 10],
  [{ remove: 2n }, 10n],
  [{ remove: ['d'] }, ['d', 'b', 'a', 'd']],
  [{ remove: ['a'] }, 'not an array'],
  [{ replacePrefix: ['/old/', '/new/'] }, '/old/file'],
  [{ replacePrefix: ['/old/', '/new/'] }, '/other/file'],
  [{ replacePrefix: ['/old/', '/new/'] }, 42],
  [{}, 'unchanged'],
];

describe('PropModification against Dexie 4', () => {
  for (const [spec, value] of cases) {
    test(`${JSON.stringify(spec, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))} on ${String(value)}`, () => {
      const expected = new DexiePropModification(spec as never).execute(structuredClone(value) as never);
      assert.deepStrictEqual(new PropModification(spec).execute(structuredClone(value)), expected);
    });
  }

  test('terms of the wrong type throw, as in Dexie', () => {
    assert.throws(() => new PropModification({ add: 'x' as never }).execute(1), TypeError);
    assert.throws(() => new PropModification({ remove: {} as never }).execute(1), TypeError);
  });

  test('a plain {"@@propmod"} clone means the same as the class', () => {
    const mod = asPropModification({ '@@propmod': { add: 1 } });
    assert.ok(mod instanceof PropModification);
    assert.equal(mod.execute(1), 2);
    assert.equal(asPropModification({ add: 1 }), undefined);
    assert.equal(asPropModification('@@propmod'), undefined);
  });
});

describe('applyChangeSpec', () => {
  test('sets dotted key paths, creating intermediate objects, and deletes on undefined', () => {
    const row: Record<string, unknown> = { a: 1, gone: true, address: { city: 'Oslo' } };
    applyChangeSpec(row, { 'address.zip': '0150', 'deep.er.path': 1, gone: undefined, a: 2 });
    assert.deepEqual(row, { a: 2, address: { city: 'Oslo', zip: '0150' }, deep: { er: { path: 1 } } });
  });

  test('applies @@propmod at a key path', () => {
    const row: Record<string, unknown> = { stats: { views: 1 } };
    applyChangeSpec(row, { 'stats.views': { '@@propmod': { add: 2 } }, 'stats.tags': new PropModification({ add: ['x'] }) });
    assert.deepEqual(row, { stats: { views: 3, tags: ['x'] } });
  });

  test('a key containing a dot is matched as a whole before being treated as a path', () => {
    const row: Record<string, unknown> = { 'a.b': 1 };
    assert.equal(getByKeyPath(row, 'a.b'), 1);
    setByKeyPath(row, 'c.d', 2);
    assert.deepEqual(row, { 'a.b': 1, c: { d: 2 } });
  });
});
