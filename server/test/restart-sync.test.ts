import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restartAuthServer } from './helpers/auth-helpers.js';
import { changes, loginUser, op, ProtocolClient, startSyncServer } from './helpers/sync-helpers.js';

test('rows, revisions, the dbId and applied txids survive a restart on the same data directory', async () => {
  const first = await startSyncServer();
  const alice = await loginUser(first, 'alice@example.com');
  const device = new ProtocolClient(first, alice);
  await device.sync(changes('notes', op.upsert(['n-1', 'n-2'], [{ id: 'n-1', count: 1 }, { id: 'n-2' }])));
  await device.sync(changes('notes', op.delete(['n-2'])));
  const cursor = device.lastPull!;
  const dbId = device.dbId;
  const resent = changes('notes', op.update(['n-1'], [{ count: { '@@propmod': { add: 1 } } }], 'tx-before-restart'));
  await device.sync(resent);

  const second = await restartAuthServer(first);
  try {
    const fresh = new ProtocolClient(second, alice);
    const response = await fresh.sync();
    assert.equal(response.dbId, dbId);
    assert.equal(response.serverRevision, device.lastPull!.serverRevision);
    assert.deepEqual(fresh.keys('notes'), ['n-1']);
    assert.equal(fresh.row('notes', 'n-1').count, 2);

    // The old cursor still means the same point in history.
    const resumed = new ProtocolClient(second, alice);
    resumed.lastPull = cursor;
    resumed.dbId = dbId;
    const delta = await resumed.sync(resent);
    assert.equal(delta.rejections.length, 0);
    assert.deepEqual(delta.changes[0]!.muts.map((m) => m.keys), [['n-1']]);
    assert.equal(resumed.row('notes', 'n-1').count, 2, 'the txid applied before the restart is not applied again');

    const next = await fresh.sync(changes('notes', op.upsert(['n-3'], [{ id: 'n-3' }])));
    assert.ok(Number(next.serverRevision) > Number(response.serverRevision));
  } finally {
    await second.close();
  }
});
