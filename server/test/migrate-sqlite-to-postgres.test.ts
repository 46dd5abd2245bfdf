/**
 * `dxc-server migrate --from DIR --to postgres://…`: a populated SQLite store is copied into
 * PostgreSQL and its clients go on syncing — same database id and cursor, same session and refresh
 * token, applied txids still applied once — without a reset.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServer } from '../src/app.js';
import { migrateCommand } from '../src/migrate-command.js';
import { freshDataDir, loginWithCode, refresh, startAuthServer } from './helpers/auth-helpers.js';
import { createTestDatabase, dropTestDatabases, storedTables, TEST_PG_URL } from './helpers/backend.js';
import { connectDatabase } from './helpers/multi-node-helpers.js';
import { changes, op, openChanges, ProtocolClient, type TestUser } from './helpers/sync-helpers.js';

/** A server on SQLite whatever backend the suite runs on: the source of a migration. */
const startSqliteServer = () => startAuthServer({ database: undefined });

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/dxc-server.mjs');

describe('migrating a SQLite store to PostgreSQL', { skip: TEST_PG_URL ? false : 'DXC_TEST_PG_URL is not set', timeout: 120_000 }, () => {
  after(() => dropTestDatabases());

  test('copies users, sessions, rows and revisions, and the clients go on syncing', async () => {
    // A SQLite server with history: two users, rows, a delete, a @@propmod applied once.
    const sqlite = await startSqliteServer();
    const login = await loginWithCode(sqlite, 'alice@example.com');
    const alice: TestUser = { userId: login.tokens.claims.sub, token: login.tokens.accessToken, expiresAt: login.tokens.accessTokenExpiration };
    const bobLogin = await loginWithCode(sqlite, 'bob@example.com');
    const bob: TestUser = { userId: bobLogin.tokens.claims.sub, token: bobLogin.tokens.accessToken, expiresAt: bobLogin.tokens.accessTokenExpiration };
    const laptop = new ProtocolClient(sqlite, alice);
    await laptop.sync(changes('notes', op.upsert(['n-1', 'n-2', 'n-3'], [{ id: 'n-1', n: 1 }, { id: 'n-2' }, { id: 'n-3' }])));
    await laptop.sync(changes('notes', op.delete(['n-2'])));
    const resent = changes('notes', op.update(['n-1'], [{ n: { '@@propmod': { add: 1 } } }], 'tx-before-migration'));
    await laptop.sync(resent);
    const bobDevice = new ProtocolClient(sqlite, bob);
    await bobDevice.sync(changes('notes', op.upsert(['b-1'], [{ id: 'b-1' }])));
    const cursorBefore = laptop.lastPull!;
    const bobCursor = { lastPull: bobDevice.lastPull, dbId: bobDevice.dbId };
    await sqlite.close();

    const database = await createTestDatabase();
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'migrate', '--from', sqlite.dataDir, '--to', database]);
    assert.match(stdout, /data_rows\s+4/, "three of alice's keys (one a tombstone) and one of bob's");
    assert.match(stdout, /auth_users\s+2/);
    assert.ok(!stdout.includes(database), 'the database URL is not printed');

    // Same signing key (data directory) and public URL (token issuer) as before, as in production.
    const pg = await startAuthServer(
      { dataDir: sqlite.dataDir, database, publicUrl: sqlite.context.config.publicUrl },
      { clock: sqlite.clock },
    );
    try {
      // The same devices, now talking to the PostgreSQL node with the cursors they had.
      const stale = Object.assign(new ProtocolClient(pg, alice), { lastPull: cursorBefore, dbId: laptop.dbId });
      const bobAgain = Object.assign(new ProtocolClient(pg, bob), bobCursor);
      // The old cursor and dbId still mean the same point in history: no reset, an empty delta.
      const response = await stale.sync();
      assert.equal(response.dbId, laptop.dbId);
      const lastSqliteRevision = bobCursor.lastPull!.serverRevision;
      assert.equal(response.serverRevision, lastSqliteRevision, 'the revision continues where SQLite stopped');
      assert.deepEqual(response.changes, [], "bob's later write is not in alice's realms");
      // The re-sent transaction is recognised as applied.
      await stale.sync(resent);
      const fresh = new ProtocolClient(pg, alice);
      await fresh.sync();
      assert.deepEqual(fresh.keys('notes'), ['n-1', 'n-3']);
      assert.equal(fresh.row('notes', 'n-1').n, 2);

      // New writes continue the revision sequence, and reach live sockets.
      const socket = await openChanges(pg, { token: bob.token });
      socket.send({ type: 'ready', rev: bobCursor.lastPull!.serverRevision, realmSetHash: 'h' });
      const pushed = await bobAgain.sync(changes('notes', op.upsert(['b-2'], [{ id: 'b-2' }])));
      assert.equal(Number(pushed.serverRevision), Number(lastSqliteRevision) + 1);
      assert.equal((await socket.next()).type, 'changes');
      await socket.close();

      // The session and its refresh token survived: the device refreshes on PostgreSQL.
      pg.clock.advance(3_600_000);
      const refreshed = await refresh(pg, login.tokens.refreshToken!, login.device, pg.clock.now());
      assert.equal(refreshed.status, 200);
    } finally {
      await pg.close();
    }
  });

  test('refuses a target that already holds data, and leaves it unchanged', async () => {
    const source = await startSqliteServer();
    const user = await loginWithCode(source, 'carol@example.com');
    await new ProtocolClient(source, { userId: user.tokens.claims.sub, token: user.tokens.accessToken, expiresAt: 0 }).sync(
      changes('notes', op.upsert(['c-1'], [{ id: 'c-1' }])),
    );
    await source.close();
    const database = await createTestDatabase();
    const output = { write: () => true } as unknown as NodeJS.WritableStream;
    await migrateCommand(['--from', source.dataDir, '--to', database], { output, env: {} });
    const before = await storedTables({ dataDir: source.dataDir, database });

    await assert.rejects(migrateCommand(['--from', source.dataDir, '--to', database], { output, env: {} }), /already holds dxc data/);
    assert.deepEqual(await storedTables({ dataDir: source.dataDir, database }), before);
  });

  test('says what is missing instead of copying nothing', async () => {
    const output = { write: () => true } as unknown as NodeJS.WritableStream;
    await assert.rejects(migrateCommand(['--from', freshDataDir(), '--to', await createTestDatabase()], { output, env: {} }), /No SQLite store/);
    await assert.rejects(migrateCommand(['--from', freshDataDir()], { output, env: {} }), /needs --to postgres/);
    await assert.rejects(migrateCommand(['--from', freshDataDir(), '--to', 'mysql://x'], { output, env: {} }), /needs --to postgres/);
  });

  test('refuses a store whose schema version differs from this version of dxc-server', async () => {
    const source = await startSqliteServer();
    await source.close();
    const db = new Database(path.join(source.dataDir, 'dxc.sqlite'));
    db.prepare("UPDATE schema_migrations SET version = 99 WHERE store = 'data'").run();
    db.close();
    const output = { write: () => true } as unknown as NodeJS.WritableStream;
    await assert.rejects(
      migrateCommand(['--from', source.dataDir, '--to', await createTestDatabase()], { output, env: {} }),
      /data schema version 99/,
    );
  });

  test('a node started on the migrated database serves the copied rows from its first request', async () => {
    const source = await startSqliteServer();
    const user = await loginWithCode(source, 'dave@example.com');
    const dave: TestUser = { userId: user.tokens.claims.sub, token: user.tokens.accessToken, expiresAt: 0 };
    await new ProtocolClient(source, dave).sync(changes('notes', op.upsert(['d-1'], [{ id: 'd-1', v: 'kept' }])));
    await source.close();
    const database = await createTestDatabase();
    await migrateCommand(['--from', source.dataDir, '--to', database], { output: { write: () => true } as never, env: {} });
    const db = await connectDatabase({ database });
    try {
      const { rows } = await db.query('SELECT tbl, key, realm_id, value FROM data_rows');
      assert.equal(rows.length, 1);
      const [row] = rows as { tbl: string; key: string; realm_id: string; value: string }[];
      assert.deepEqual([row!.tbl, row!.key, row!.realm_id], ['notes', 'd-1', dave.userId]);
      assert.deepEqual(JSON.parse(row!.value), { id: 'd-1', v: 'kept', realmId: dave.userId, owner: dave.userId });
    } finally {
      await db.end();
    }
    const node = await startServer({ port: 0, logLevel: 'silent', host: '127.0.0.1', dataDir: source.dataDir, database });
    try {
      const snapshot = await node.context.storage.data.snapshot([dave.userId]);
      assert.deepEqual(snapshot.rows.map((row) => row.key), ['d-1']);
    } finally {
      await node.close();
    }
  });
});
