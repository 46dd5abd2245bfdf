/**
 * Nodes come and go. A node dies in the middle of a push (SIGKILL of a real `dxc-server` process):
 * the client re-sends the same push to another node and the write is applied exactly once, whether
 * the dead node's transaction never committed or committed without the client hearing back. Nodes
 * joining, or starting together on an empty database, migrate it once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SyncRequest } from 'dxc/protocol';
import { AUTH_MIGRATIONS, DATA_MIGRATIONS } from '../src/storage/postgres/index.js';
import type { TestServer } from './helpers/auth-helpers.js';
import { dropTestDatabases, TEST_PG_URL } from './helpers/backend.js';
import { connectDatabase, createCluster, spawnNode, startNodes, until, type Cluster } from './helpers/multi-node-helpers.js';
import { changes, loginUser, op, postSync, ProtocolClient, syncRequest, type TestUser } from './helpers/sync-helpers.js';

describe('nodes dying mid-push and starting together', { skip: TEST_PG_URL ? false : 'DXC_TEST_PG_URL is not set', timeout: 120_000 }, () => {
  let cluster: Cluster;
  let b: TestServer;
  let alice: TestUser;
  let client: ProtocolClient;

  before(async () => {
    cluster = await createCluster();
    [b] = (await startNodes(cluster, 1)) as [TestServer];
    alice = await loginUser(b, 'alice@example.com');
    client = new ProtocolClient(b, alice);
    await client.sync(changes('notes', op.upsert(['counter'], [{ id: 'counter', n: 0 }])));
  });
  after(async () => {
    await b?.close();
    await dropTestDatabases();
  });

  /** An increment the client sends (and may re-send) as one client transaction. */
  function incrementRequest(txid: string): SyncRequest {
    return syncRequest({
      changes: changes('notes', op.update(['counter'], [{ n: { '@@propmod': { add: 1 } } }], txid)),
      lastPull: client.lastPull!,
      dbID: client.dbId!,
    });
  }

  async function counterAndRevision(): Promise<{ n: number; revision: number }> {
    await client.sync();
    return { n: client.row('notes', 'counter').n, revision: Number(client.lastPull!.serverRevision) };
  }

  test('killed before its push commits: the retry on another node applies it once', async () => {
    const start = await counterAndRevision();
    const a = await spawnNode(cluster);
    const db = await connectDatabase(cluster);
    try {
      // Hold the revision counter so node A's push waits inside its transaction.
      await db.query('BEGIN');
      await db.query('SELECT revision FROM data_state WHERE id = 1 FOR UPDATE');
      const request = incrementRequest('tx-killed-before-commit');
      const lost = postSync(a.server, request, { token: alice.token }).then(
        () => 'answered',
        () => 'connection lost',
      );
      await until(async () => {
        const waiting = await db.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
        );
        return waiting.rowCount! > 0;
      });
      assert.equal(await a.kill('SIGKILL'), 'SIGKILL');
      assert.equal(await lost, 'connection lost');
      await db.query('ROLLBACK');

      const retried = await postSync(b, request, { token: alice.token });
      assert.equal(retried.status, 200);
      assert.deepEqual(retried.body.rejections, []);
      const again = await postSync(b, request, { token: alice.token });
      assert.equal(again.status, 200);
      assert.deepEqual(await counterAndRevision(), { n: start.n + 1, revision: start.revision + 1 });
    } finally {
      await db.end();
      await a.kill();
    }
  });

  test('killed after its push committed, before the client heard back: the retry does not apply it again', async () => {
    const start = await counterAndRevision();
    const a = await spawnNode(cluster);
    const db = await connectDatabase(cluster);
    try {
      const request = incrementRequest('tx-killed-after-commit');
      // The client never reads this answer, as if the connection broke on the way back.
      const unheard = postSync(a.server, request, { token: alice.token }).catch(() => undefined);
      await until(async () => {
        const applied = await db.query('SELECT 1 FROM data_applied_txids WHERE txid = $1', ['tx-killed-after-commit']);
        return applied.rowCount! > 0;
      });
      await a.kill('SIGKILL');
      await unheard;

      const retried = await postSync(b, request, { token: alice.token });
      assert.equal(retried.status, 200);
      assert.deepEqual(retried.body.rejections, []);
      assert.deepEqual(await counterAndRevision(), { n: start.n + 1, revision: start.revision + 1 });
    } finally {
      await db.end();
      await a.kill();
    }
  });

  test('a node that starts while others run joins without migrating again and sees the same data', async () => {
    const a = await spawnNode(cluster);
    try {
      const fromA = new ProtocolClient(a.server, alice);
      await fromA.sync();
      assert.equal(fromA.dbId, client.dbId);
      assert.deepEqual(fromA.keys('notes'), client.keys('notes'));
      const db = await connectDatabase(cluster);
      try {
        const versions = await db.query('SELECT store, count(*)::int AS n FROM schema_migrations GROUP BY store ORDER BY store');
        assert.deepEqual(versions.rows, [
          { store: 'auth', n: AUTH_MIGRATIONS.length },
          { store: 'data', n: DATA_MIGRATIONS.length },
        ], 'each migration recorded once');
      } finally {
        await db.end();
      }
    } finally {
      await a.kill('SIGTERM');
    }
  });

  test('three nodes starting at once on an empty database migrate it once and share one database id', async () => {
    const fresh = await createCluster();
    const nodes = await Promise.all([1, 2, 3].map(() => startNodes(fresh, 1).then(([node]) => node!)));
    try {
      const ids = await Promise.all(nodes.map((node) => node.context.storage.data.dbId()));
      assert.equal(new Set(ids).size, 1);
      const db = await connectDatabase(fresh);
      try {
        const versions = await db.query('SELECT store, count(*)::int AS n FROM schema_migrations GROUP BY store ORDER BY store');
        assert.deepEqual(versions.rows, [
          { store: 'auth', n: AUTH_MIGRATIONS.length },
          { store: 'data', n: DATA_MIGRATIONS.length },
        ]);
      } finally {
        await db.end();
      }
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  });
});
