/**
 * The LISTEN/NOTIFY change bus: large commits are announced in several notifications, and a node
 * whose LISTEN connection dies reconnects and announces what committed while it was deaf.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LISTEN_APPLICATION_NAME } from '../src/storage/postgres/change-bus.js';
import { MAX_NOTIFY_PAYLOAD_BYTES, notificationPayloads, parseNotification } from '../src/storage/postgres/notifications.js';
import type { TestServer } from './helpers/auth-helpers.js';
import { connectAdmin, dropTestDatabases, TEST_PG_URL } from './helpers/backend.js';
import { connectDatabase, createCluster, startNodes, until, type Cluster } from './helpers/multi-node-helpers.js';
import { changes, loginUser, op, openChanges, ProtocolClient, type TestUser } from './helpers/sync-helpers.js';

test('a commit touching many realms is announced in payloads PostgreSQL accepts, naming every realm once', () => {
  const realms = Array.from({ length: 2000 }, (_, i) => `usr-${String(i).padStart(22, 'x')}`);
  const payloads = notificationPayloads('node-1', 42, realms);
  assert.ok(payloads.length > 1);
  assert.ok(payloads.every((payload) => Buffer.byteLength(payload) <= MAX_NOTIFY_PAYLOAD_BYTES));
  const notices = payloads.map((payload) => parseNotification(payload)!);
  assert.ok(notices.every((notice) => notice.revision === 42 && notice.nodeId === 'node-1'));
  assert.deepEqual(notices.flatMap((notice) => notice.realms), realms);
  assert.equal(parseNotification('not json'), undefined);
  assert.equal(parseNotification('{"n":"x","r":"1","m":[]}'), undefined);
});

describe('a node whose LISTEN connection is lost', { skip: TEST_PG_URL ? false : 'DXC_TEST_PG_URL is not set', timeout: 120_000 }, () => {
  let cluster: Cluster;
  let a: TestServer;
  let b: TestServer;
  let alice: TestUser;

  before(async () => {
    cluster = await createCluster();
    [a, b] = (await startNodes(cluster, 2)) as [TestServer, TestServer];
    alice = await loginUser(a, 'alice@example.com');
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await dropTestDatabases();
  });

  test('catches up on the commits it could not hear about once it reconnects', async () => {
    const laptop = new ProtocolClient(a, alice);
    await laptop.sync();
    const socket = await openChanges(a, { token: alice.token });
    socket.send({ type: 'ready', rev: laptop.lastPull!.serverRevision, realmSetHash: 'h' });
    const phone = new ProtocolClient(b, alice);
    await phone.sync();

    const db = await connectDatabase(cluster);
    const name = (await db.query('SELECT current_database() AS name')).rows[0].name as string;
    // A database cannot refuse connections from a session inside it: switch from the admin database.
    const adminDb = await connectAdmin();
    try {
      // No new connection may open, so the nodes cannot LISTEN again until we allow it; pooled
      // connections stay open and keep serving pushes.
      await adminDb.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      const killed = await db.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
        [name, LISTEN_APPLICATION_NAME],
      );
      assert.equal(killed.rowCount, 2, 'both nodes had a LISTEN connection');
      await until(async () => {
        const left = await db.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [
          name,
          LISTEN_APPLICATION_NAME,
        ]);
        return left.rowCount === 0;
      });

      const pushed = await phone.sync(changes('notes', op.upsert(['while-deaf'], [{ id: 'while-deaf' }])));
      await adminDb.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);

      const message = await socket.next();
      assert.equal(message.type, 'changes');
      assert.equal(message.newRev, pushed.serverRevision);
      assert.deepEqual(message.changes[0].muts[0].keys, ['while-deaf']);
      await until(async () => {
        const listening = await db.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [
          name,
          LISTEN_APPLICATION_NAME,
        ]);
        return listening.rowCount === 2;
      });
    } finally {
      await adminDb.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      await adminDb.end();
      await db.end();
      await socket.close();
    }
  });
});
