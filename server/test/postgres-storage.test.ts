/**
 * One storage contract, run against both backends through the Storage interface: what the sync
 * and auth code rely on (revisions, exactly-once txids, one-snapshot reads, atomic "once"
 * operations). The PostgreSQL half needs DXC_TEST_PG_URL and is skipped without it.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import path from 'node:path';
import pg from 'pg';
import { after, describe, test } from 'node:test';
import { openPostgresBackend } from '../src/storage/postgres/index.js';
import { openSqliteStorage } from '../src/storage/sqlite/index.js';
import type { Storage } from '../src/storage/storage.js';
import type { PushPlan, PushRequest, RowWrite } from '../src/storage/data-store.js';
import { createLogger } from '../src/logger.js';
import { freshDataDir } from './helpers/auth-helpers.js';
import { createTestDatabase, dropTestDatabases, storedTables, TEST_PG_URL } from './helpers/backend.js';

const backends: { name: string; skip: string | false; open(): Promise<Storage> }[] = [
  { name: 'SQLite', skip: false, open: async () => openSqliteStorage(freshDataDir()) },
  {
    name: 'PostgreSQL',
    skip: TEST_PG_URL ? false : 'DXC_TEST_PG_URL is not set',
    open: async () =>
      (await openPostgresBackend(await createTestDatabase(), { logger: createLogger('silent'), listen: false })).storage,
  },
];

after(() => dropTestDatabases());

/** A push that writes `values` into realm `realm` under `txid`, unless the txid was applied. */
function put(userId: string, txid: string, rows: Record<string, string | null>, realm = userId): PushRequest<PushPlan> {
  const keys = Object.keys(rows).map((key) => ({ table: 'notes', key }));
  return {
    userId,
    keys,
    plan(state) {
      if (state.wasApplied(txid)) return { writes: [], appliedTxids: [] };
      const writes: RowWrite[] = keys.map(({ table, key }) => ({ table, key, realmId: realm, owner: userId, value: rows[key]! }));
      return { writes, appliedTxids: [txid] };
    },
  };
}

/** A push that adds 1 to counter row `key`, read under the push's lock. */
function increment(userId: string, txid: string, key: string): PushRequest<PushPlan> {
  return {
    userId,
    keys: [{ table: 'counters', key }],
    plan(state) {
      if (state.wasApplied(txid)) return { writes: [], appliedTxids: [] };
      const count = JSON.parse(state.row('counters', key)?.value ?? '{"n":0}').n as number;
      return { writes: [{ table: 'counters', key, realmId: userId, owner: userId, value: JSON.stringify({ n: count + 1 }) }], appliedTxids: [txid] };
    },
  };
}

for (const backend of backends) {
  describe(`${backend.name} storage`, { skip: backend.skip }, () => {
    test('starts at revision 0 with a stable database id, and each writing push takes the next revision', async () => {
      const storage = await backend.open();
      try {
        const dbId = await storage.data.dbId();
        assert.match(dbId, /\S/);
        assert.equal(await storage.data.currentRevision(), 0);
        const first = await storage.data.applyPush(put('u1', 't1', { a: '{"x":1}' }));
        const second = await storage.data.applyPush(put('u1', 't2', { b: '{"x":2}', a: null }));
        assert.deepEqual([first.revision, first.committed, second.revision, second.committed], [1, true, 2, true]);
        assert.equal(await storage.data.currentRevision(), 2);
        assert.equal(await storage.data.dbId(), dbId);
      } finally {
        await storage.close();
      }
    });

    test('applies a re-sent txid once and records it without taking a revision', async () => {
      const storage = await backend.open();
      try {
        await storage.data.applyPush(increment('u1', 'tx-1', 'c'));
        const again = await storage.data.applyPush(increment('u1', 'tx-1', 'c'));
        assert.equal(again.committed, false);
        assert.equal(again.revision, 1);
        const [row] = await storage.data.readRows([{ table: 'counters', key: 'c' }]);
        assert.equal(row!.value, '{"n":1}');
        // The same txid from another user is another transaction.
        await storage.data.applyPush(increment('u2', 'tx-1', 'c'));
        assert.equal((await storage.data.readRows([{ table: 'counters', key: 'c' }]))[0]!.value, '{"n":2}');
      } finally {
        await storage.close();
      }
    });

    test('a planner that throws stores nothing', async () => {
      const storage = await backend.open();
      try {
        await assert.rejects(
          storage.data.applyPush({ userId: 'u1', keys: [{ table: 'notes', key: 'k' }], plan: () => { throw new Error('refused'); } }),
          /refused/,
        );
        assert.equal(await storage.data.currentRevision(), 0);
        assert.deepEqual(await storage.data.readRows([{ table: 'notes', key: 'k' }]), []);
      } finally {
        await storage.close();
      }
    });

    test('concurrent pushes on one key lose no increment and leave gap-free revisions', async () => {
      const storage = await backend.open();
      try {
        const outcomes = await Promise.all(
          Array.from({ length: 40 }, (_, i) => storage.data.applyPush(increment(`u${i % 4}`, `tx-${i}`, 'shared'))),
        );
        assert.deepEqual(
          outcomes.map((o) => o.revision).sort((a, b) => a - b),
          Array.from({ length: 40 }, (_, i) => i + 1),
        );
        const [row] = await storage.data.readRows([{ table: 'counters', key: 'shared' }]);
        assert.equal(row!.value, '{"n":40}');
        assert.equal(row!.revision, 40);
      } finally {
        await storage.close();
      }
    });

    test('the same txid pushed concurrently many times is applied exactly once', async () => {
      const storage = await backend.open();
      try {
        const outcomes = await Promise.all(Array.from({ length: 12 }, () => storage.data.applyPush(increment('u1', 'once', 'c'))));
        assert.equal(outcomes.filter((o) => o.committed).length, 1);
        assert.equal((await storage.data.readRows([{ table: 'counters', key: 'c' }]))[0]!.value, '{"n":1}');
      } finally {
        await storage.close();
      }
    });

    test('changesSince returns final states in realm order (table, revision, key) with the revision read', async () => {
      const storage = await backend.open();
      try {
        await storage.data.applyPush(put('u1', 't1', { b: '{}', a: '{}' }));
        await storage.data.applyPush(put('u2', 't2', { z: '{}' }));
        await storage.data.applyPush(put('u1', 't3', { b: null }));
        await storage.data.applyPush({
          userId: 'u1',
          keys: [{ table: 'alpha', key: 'q' }],
          plan: () => ({ writes: [{ table: 'alpha', key: 'q', realmId: 'u1', owner: 'u1', value: '{}' }], appliedTxids: [] }),
        });
        const all = await storage.data.changesSince(0, ['u1']);
        assert.equal(all.revision, 4);
        assert.deepEqual(all.rows.map((r) => [r.table, r.key, r.revision, r.value]), [
          ['alpha', 'q', 4, '{}'],
          ['notes', 'a', 1, '{}'],
          ['notes', 'b', 3, null],
        ]);
        const later = await storage.data.changesSince(1, ['u1', 'u2', 'u1']);
        assert.deepEqual(later.rows.map((r) => r.key), ['q', 'z', 'b']);
        const live = await storage.data.snapshot(['u1', 'u2']);
        assert.deepEqual(live.rows.map((r) => r.key), ['q', 'a', 'z']);
        assert.equal(live.revision, 4);
      } finally {
        await storage.close();
      }
    });

    test('a write moves a key between realms and changesSince follows it', async () => {
      const storage = await backend.open();
      try {
        await storage.data.applyPush(put('u1', 't1', { k: '{"v":1}' }, 'realm-a'));
        await storage.data.applyPush(put('u1', 't2', { k: '{"v":2}' }, 'realm-b'));
        assert.deepEqual((await storage.data.changesSince(0, ['realm-a'])).rows, []);
        assert.deepEqual((await storage.data.changesSince(0, ['realm-b'])).rows.map((r) => r.value), ['{"v":2}']);
      } finally {
        await storage.close();
      }
    });

    test('rememberOnce, consumeOtp and countOtpAttempt have exactly one winner under concurrency', async () => {
      const storage = await backend.open();
      try {
        const now = 1_000_000;
        const remembered = await Promise.all(Array.from({ length: 10 }, () => storage.auth.rememberOnce('sig', now + 60_000, now)));
        assert.equal(remembered.filter(Boolean).length, 1);
        assert.equal(await storage.auth.rememberOnce('sig', now + 120_000, now + 60_000), true, 'an expired key may be used again');

        await storage.auth.issueOtp({ id: 'otp-1', email: 'a@example.com', codeMac: 'ab', createdAt: now, expiresAt: now + 300_000 });
        const attempts = await Promise.all(Array.from({ length: 9 }, () => storage.auth.countOtpAttempt('otp-1', now, 5)));
        assert.deepEqual(
          attempts.filter((a) => a !== undefined).map((a) => a!.attempts).sort(),
          [1, 2, 3, 4, 5],
        );
        await storage.auth.issueOtp({ id: 'otp-2', email: 'a@example.com', codeMac: 'cd', createdAt: now, expiresAt: now + 300_000 });
        assert.equal(await storage.auth.countOtpAttempt('otp-1', now, 99), undefined, 'a newer code voids the older one');
        const consumed = await Promise.all(Array.from({ length: 6 }, () => storage.auth.consumeOtp('otp-2', now)));
        assert.equal(consumed.filter(Boolean).length, 1);

        const hits = await Promise.all(Array.from({ length: 8 }, () => storage.auth.countHit('ip:1', now, 60_000)));
        assert.deepEqual(hits.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert.equal(await storage.auth.countHit('ip:1', now + 60_000, 60_000), 1, 'a new window starts at 1');
      } finally {
        await storage.close();
      }
    });

    test('users, sessions and revocations round-trip', async () => {
      const storage = await backend.open();
      try {
        const racing = await Promise.all(
          ['usr-1', 'usr-2', 'usr-3'].map((id) => storage.auth.userForEmail('b@example.com', { id, name: 'b', createdAt: 5 })),
        );
        assert.equal(new Set(racing.map((u) => u.id)).size, 1, 'one address, one user');
        const user = racing[0]!;
        assert.deepEqual(await storage.auth.getUser(user.id), user);
        assert.equal(await storage.auth.userForClient('client-a', user.id, { email: null, name: null }, 6), 'taken');
        const minted = await storage.auth.userForClient('client-a', 'ext-1', { email: 'e@example.com', name: 'E' }, 6);
        assert.equal(minted !== 'taken' && minted.clientId, 'client-a');
        assert.equal(await storage.auth.userForClient('client-b', 'ext-1', { email: null, name: null }, 7), 'taken');

        const session = {
          id: 's1',
          userId: user.id,
          clientId: null,
          publicKeyPem: 'pem',
          refreshTokenHash: 'h1',
          proofKeyThumbprint: null,
          createdAt: 1,
          expiresAt: 10_000,
        };
        await storage.auth.createSession(session);
        await storage.auth.createSession({ ...session, id: 's2', refreshTokenHash: 'h2', proofKeyThumbprint: 'jkt' });
        assert.deepEqual(await storage.auth.findSessionByRefreshTokenHash('h1'), { ...session, lastUsedAt: 1, revokedAt: null });
        await storage.auth.touchSession('s1', 40);
        await storage.auth.touchSession('s1', 30);
        assert.equal((await storage.auth.getSession('s1'))!.lastUsedAt, 40, 'touching never moves lastUsedAt back');

        const rotations = await Promise.all(
          ['h2-a', 'h2-b', 'h2-c', 'h2-d'].map((next) => storage.auth.rotateRefreshToken('s2', 'h2', next, `sealed-${next}`, 45)),
        );
        assert.equal(rotations.filter(Boolean).length, 1, 'one rotation wins');
        const winner = ['h2-a', 'h2-b', 'h2-c', 'h2-d'][rotations.indexOf(true)]!;
        assert.equal((await storage.auth.getSession('s2'))!.refreshTokenHash, winner);
        assert.deepEqual(await storage.auth.findSupersededRefreshToken('h2'), {
          sessionId: 's2',
          supersededAt: 45,
          successorSealed: `sealed-${winner}`,
        });

        assert.equal(await storage.auth.revokeSession('s1', 50), true);
        assert.equal(await storage.auth.revokeSession('s1', 60), false);
        assert.equal(await storage.auth.revokeUserSessions(user.id, 70), 1);
        assert.equal((await storage.auth.getSession('s2'))!.revokedAt, 70);
        assert.equal(await storage.auth.rotateRefreshToken('s2', winner, 'h3', 'sealed', 80), false, 'a revoked session does not rotate');

        assert.equal(await storage.auth.setUserDisabled(user.id, 90), true);
        assert.equal((await storage.auth.getUser(user.id))!.disabledAt, 90);
        assert.equal(await storage.auth.setUserDisabled('usr-missing', 90), false);

        await storage.auth.createApiClient({ id: 'client-a', name: 'A', secretHash: 'ff', createdAt: 3 });
        assert.deepEqual(await storage.auth.getApiClient('client-a'), { id: 'client-a', name: 'A', secretHash: 'ff', createdAt: 3, revokedAt: null });
        await storage.auth.purgeExpired(20_000);
        assert.equal(await storage.auth.getSession('s1'), undefined);
        assert.equal(await storage.auth.findSupersededRefreshToken('h2'), undefined, 'purged with its session');
      } finally {
        await storage.close();
      }
    });
  });
}

test('both backends have the same tables, columns and migration versions', { skip: TEST_PG_URL ? false : 'DXC_TEST_PG_URL is not set' }, async () => {
  // dxc-server migrate copies table by table, column by column: a migration added to one backend
  // only must fail here, not in a user's migration.
  const dataDir = freshDataDir();
  const database = await createTestDatabase();
  const sqlite = openSqliteStorage(dataDir);
  await sqlite.close();
  const postgres = (await openPostgresBackend(database, { logger: createLogger('silent'), listen: false })).storage;
  await postgres.close();
  const schemaOf = async (tables: Record<string, unknown[]>, columns: (table: string) => Promise<string[]>) => {
    const shape: Record<string, string[]> = {};
    for (const table of Object.keys(tables).sort()) shape[table] = (await columns(table)).sort();
    return shape;
  };
  const fromSqlite = await storedTables({ dataDir });
  const sqliteDb = new Database(path.join(dataDir, 'dxc.sqlite'), { readonly: true });
  const fromPg = await storedTables({ dataDir, database });
  const admin = new pg.Client({ connectionString: database });
  await admin.connect();
  try {
    const sqliteShape = await schemaOf(fromSqlite, async (table) =>
      (sqliteDb.pragma(`table_info("${table}")`) as { name: string }[]).map((c) => c.name),
    );
    const pgShape = await schemaOf(fromPg, async (table) =>
      (await admin.query('SELECT column_name FROM information_schema.columns WHERE table_name = $1', [table])).rows.map(
        (row) => row.column_name as string,
      ),
    );
    // The PostgreSQL migration table also records when each migration ran.
    pgShape.schema_migrations = pgShape.schema_migrations!.filter((column) => column !== 'applied_at');
    assert.deepEqual(pgShape, sqliteShape);
    const versions = (rows: unknown[]) => (rows as { store: string; version: number }[]).map((r) => `${r.store}:${r.version}`).sort();
    assert.deepEqual(versions(fromPg.schema_migrations!), versions(fromSqlite.schema_migrations!));
  } finally {
    sqliteDb.close();
    await admin.end();
  }
});
