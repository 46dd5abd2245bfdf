import { MAX_PUSH_BYTES, selectPush } from '../../src/client/push-batch.js';
import type { OutboxEntry } from '../../src/client/outbox-middleware.js';
import { assert } from '../helpers/assert.js';

let rev = 0;
const op = (txid: string, bytes: number): OutboxEntry =>
  ({ type: 'upsert', keys: [`k${rev}`], values: [{ size: bytes }], txid, rev: ++rev }) as OutboxEntry;
/** Each entry weighs what its row says, so budgets are easy to reason about. */
const sizeOf = (entry: OutboxEntry) => (entry as { values: { size: number }[] }).values[0]!.size;
const txids = (batch: Record<string, OutboxEntry[]>) =>
  Object.fromEntries(Object.entries(batch).map(([table, entries]) => [table, entries.map((e) => e.txid)]));

describe('cutting a large outbox into pushes', () => {
  const quarter = MAX_PUSH_BYTES / 4;

  it('pushes nothing from an empty outbox', () => {
    assert.deepEqual(selectPush({}, sizeOf), {});
  });

  it('pushes a small outbox whole', () => {
    const outbox = { a: [op('t1', 10), op('t2', 10)], b: [op('t3', 10)] };
    assert.deepEqual(selectPush(outbox, sizeOf), outbox);
  });

  it('stops at the byte budget, and each table sends a prefix of its outbox', () => {
    const outbox = { a: [op('t1', quarter), op('t2', quarter), op('t3', quarter), op('t4', quarter), op('t5', quarter)], b: [op('t6', 1)] };
    assert.deepEqual(txids(selectPush(outbox, sizeOf)), { a: ['t1', 't2', 't3', 't4'] });
  });

  it('never splits a transaction, within a table or across tables', () => {
    // t2 spans both tables; the budget runs out inside table a's part of it.
    const outbox = {
      a: [op('t1', quarter), op('t2', quarter), op('t2', quarter), op('t2', quarter), op('t2', quarter), op('t4', 1)],
      b: [op('t2', 1), op('t3', 1)],
    };
    assert.deepEqual(txids(selectPush(outbox, sizeOf)), { a: ['t1'] });
  });

  it('leaves out an earlier table’s transaction whose other part in a later table does not fit', () => {
    const outbox = { a: [op('t1', 1), op('t2', 1)], b: [op('t3', MAX_PUSH_BYTES), op('t2', 1)] };
    assert.deepEqual(txids(selectPush(outbox, sizeOf)), { a: ['t1'], b: ['t3'] });
  });

  it('sends a first transaction larger than the budget alone, for the server to judge', () => {
    const outbox = { a: [op('t1', MAX_PUSH_BYTES), op('t1', MAX_PUSH_BYTES), op('t2', 1)] };
    assert.deepEqual(txids(selectPush(outbox, sizeOf)), { a: ['t1', 't1'] });
  });
});
