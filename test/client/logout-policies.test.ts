/**
 * Issue 8, client side: logout policies (`keepData`, `cleanup(db)`, the default wipe) and the
 * server-side revocation every logout does, against the real dxc-server.
 */
import type { Dexie } from 'dexie';
import { encodeTson } from 'dxc/protocol';
import { assert } from '../helpers/assert.js';
import {
  cleanup,
  databaseUrl,
  eventually,
  newDb,
  providerLogin,
  recordRequests,
  settled,
  unique,
  type TestDb,
} from '../helpers/client-helpers.js';

/** The status `/sync` answers an access token with (401 once its session is revoked). */
async function syncStatusWith(accessToken: string): Promise<number> {
  const res = await fetch(`${await databaseUrl()}/sync`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/tson', Authorization: `Bearer ${accessToken}` },
    body: encodeTson({ v: 2, schema: {}, baseRevs: [], changes: [], y: [] }),
  });
  return res.status;
}

async function loggedInWithRows(prefix: string): Promise<{ db: TestDb; user: string; accessToken: string }> {
  const user = unique(prefix);
  const db = await newDb(unique(prefix));
  await providerLogin(db, user);
  await db.friends.bulkAdd([
    { name: 'Kept1', age: 1 },
    { name: 'Kept2', age: 2 },
  ]);
  await settled(db);
  const [login] = await db.table('$logins').toArray();
  assert.notEqual(await syncStatusWith(login.accessToken), 401);
  return { db, user, accessToken: login.accessToken };
}

describe('logout policies', () => {
  afterEach(cleanup);

  it('keepData: drops credentials, revokes the session, keeps rows, and pauses sync until the same user is back', async () => {
    const { db, user, accessToken } = await loggedInWithRows('keep');
    await db.cloud.logout({ keepData: true });
    assert.equal(db.cloud.currentUserId, 'unauthorized');
    assert.equal(await db.table('$logins').count(), 0);
    assert.equal(await db.friends.count(), 2);
    assert.equal(await syncStatusWith(accessToken), 401);

    // Logged out: the app keeps working locally and nothing is sent.
    const recorded = recordRequests();
    try {
      await db.friends.add({ name: 'WhileOut', age: 3 });
      await db.cloud.sync({ purpose: 'pull' });
    } finally {
      recorded.stop();
    }
    assert.deepEqual(recorded.requests.map((r) => r.path), []);
    assert.equal(await db.friends.count(), 3);

    await providerLogin(db, user);
    await settled(db);
    assert.equal(await db.friends.count(), 3);
    const other = await newDb(unique('keep-other'));
    await providerLogin(other, user);
    await eventually(async () => (await other.friends.count()) === 3, [other]);
  });

  it('keepData: another user logging in next does not see the kept rows', async () => {
    const { db } = await loggedInWithRows('keep-switch');
    await db.cloud.logout({ keepData: true });
    await providerLogin(db, unique('next-user'));
    await settled(db);
    assert.equal(await db.friends.where('name').startsWith('Kept').count(), 0);
  });

  it('cleanup: runs the app hook with the database after the credentials are gone', async () => {
    const { db, accessToken } = await loggedInWithRows('hook');
    const seen: { db?: Dexie; logins?: number; rows?: number } = {};
    await db.cloud.logout({
      cleanup: async (given) => {
        seen.db = given;
        seen.logins = await given.table('$logins').count();
        seen.rows = await given.table('friends').count();
      },
    });
    assert.equal(seen.db, db);
    assert.equal(seen.logins, 0);
    assert.equal(seen.rows, 2);
    assert.equal(db.cloud.currentUserId, 'unauthorized');
    assert.equal(await syncStatusWith(accessToken), 401);
  });

  it('default: wipes synced data and revokes the session on the server', async () => {
    const { db, accessToken } = await loggedInWithRows('wipe');
    await db.cloud.logout();
    assert.equal(await db.friends.count(), 0);
    assert.equal(await db.table('$logins').count(), 0);
    assert.equal(await syncStatusWith(accessToken), 401);
  });
});
