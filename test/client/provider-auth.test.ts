/**
 * Issue 8, client side: logging in with a third-party token through a server-side provider (the
 * WTR plugin's test webhook), DPoP-shaped proofs with refresh-token rotation, and the
 * authenticationRequired / authenticationExpiringSoon callbacks. All against the real dxc-server.
 */
import { isDxcError } from '../../src/client/index.js';
import { assert } from '../helpers/assert.js';
import {
  advanceClocks,
  cleanup,
  control,
  databaseUrl,
  demoToken,
  eventually,
  newDb,
  providerLogin,
  recordRequests,
  settled,
  TEST_PROVIDER,
  unique,
  uniqueEmail,
  waitFor,
  type TestDb,
} from '../helpers/client-helpers.js';

const TWO_HOURS = 2 * 3600 * 1000;

async function storedLogin(db: TestDb) {
  const logins = await db.table('$logins').toArray();
  assert.equal(logins.length, 1);
  return logins[0];
}

/** Whether `db` holds a friend named `name`. */
async function hasFriend(db: TestDb, name: string): Promise<boolean> {
  return (await db.friends.where('name').equals(name).count()) === 1;
}

describe('login with a third-party token (webhook provider)', () => {
  afterEach(cleanup);

  it('logs in as the user the webhook names, with a proof instead of a public key, and syncs', async () => {
    const user = unique('ann');
    const a = await newDb(unique('hook-a'));
    const recorded = recordRequests();
    try {
      await providerLogin(a, user);
    } finally {
      recorded.stop();
    }
    assert.equal(a.cloud.currentUserId, user);
    assert.equal(a.cloud.currentUser.value.name, user);
    const exchange = recorded.requests.find((r) => r.path === '/token');
    assert.equal(exchange?.body?.grant_type, 'urn:ietf:params:oauth:grant-type:token-exchange');
    assert.equal(exchange?.body?.provider, TEST_PROVIDER);
    assert.equal(typeof exchange?.body?.proof, 'string');
    assert.equal(exchange?.body?.public_key, undefined);
    const login = await storedLogin(a);
    assert.equal(login.dpopBound, true);
    assert.ok(login.nonExportablePrivateKey instanceof CryptoKey && !login.nonExportablePrivateKey.extractable);

    await a.friends.add({ name: 'FromA', age: 1 });
    await settled(a);
    const b = await newDb(unique('hook-b'));
    await providerLogin(b, user);
    await eventually(() => hasFriend(b, 'FromA'), [b]);
  });

  it('rejects a token the webhook refuses with invalid-grant and stays logged out', async () => {
    const db = await newDb(unique('hook-refused'));
    const error = await assert.rejects(db.cloud.login({ provider: TEST_PROVIDER, token: 'not-a-demo-token' }));
    assert.ok(isDxcError(error, 'invalid-grant'), String(error));
    assert.equal(db.cloud.currentUserId, 'unauthorized');
    assert.equal(await db.table('$logins').count(), 0);
  });

  it('refreshes a bound session with a nonce-challenged proof and stores the rotated refresh token', async () => {
    const db = await newDb(unique('rotate'));
    await providerLogin(db, unique('rot'));
    await settled(db);
    const before = await storedLogin(db);
    const restore = await advanceClocks(TWO_HOURS);
    const recorded = recordRequests();
    try {
      await db.friends.add({ name: 'AfterRefresh', age: 2 });
      await settled(db);
    } finally {
      recorded.stop();
      await restore();
    }
    const token = recorded.requests.filter((r) => r.path === '/token');
    assert.deepEqual(
      token.map((r) => [r.status, r.answer?.error]),
      [
        [400, 'use-dpop-nonce'],
        [200, undefined],
      ],
    );
    assert.equal(token[1]!.body?.grant_type, 'refresh_token');
    assert.equal(token[1]!.body?.signature, undefined);
    assert.equal(typeof token[1]!.body?.proof, 'string');
    const after = await storedLogin(db);
    assert.notEqual(after.refreshToken, before.refreshToken);
    assert.notEqual(after.accessToken, before.accessToken);
    assert.equal(db.cloud.currentUser.value.refreshToken, after.refreshToken);
    assert.equal(await db.table('$friends_mutations').count(), 0);
  });

  it('refreshes once for three tabs of a database, so rotation never sees a reused token', async () => {
    const name = unique('tabs-rotate');
    const user = unique('tabs');
    const tabs = [await newDb(name), await newDb(name), await newDb(name)];
    await providerLogin(tabs[0]!, user);
    await settled(tabs[0]!);
    for (const tab of tabs.slice(1)) {
      await tab.open();
      await waitFor(tab.cloud.currentUser, (u) => u.userId === user);
    }
    const restore = await advanceClocks(TWO_HOURS);
    const recorded = recordRequests();
    try {
      await Promise.all(tabs.map((tab) => tab.cloud.sync({ purpose: 'pull' })));
    } finally {
      recorded.stop();
      await restore();
    }
    const refreshes = recorded.requests.filter((r) => r.path === '/token' && r.status === 200);
    assert.equal(refreshes.length, 1, JSON.stringify(recorded.requests.map((r) => [r.path, r.status])));
    const stored = await storedLogin(tabs[0]!);
    for (const tab of tabs) assert.equal(tab.cloud.currentUser.value.accessToken, stored.accessToken);
  });

  it('binds a fetchTokens login to proofs when the backend passes dpop_jkt', async () => {
    const email = uniqueEmail('jkt');
    let seen: { public_key: string; dpop_jkt?: string } | undefined;
    const db = await newDb(unique('jkt'), {
      fetchTokens: async (params) => {
        seen = params;
        return control('custom-auth/token', 'POST', { dpop_jkt: params.dpop_jkt, email });
      },
    });
    await db.cloud.login();
    assert.match(seen?.dpop_jkt ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await storedLogin(db)).dpopBound, true);
    const restore = await advanceClocks(TWO_HOURS);
    try {
      await db.friends.add({ name: 'Jkt', age: 3 });
      await settled(db);
    } finally {
      await restore();
    }
    assert.equal(await db.table('$friends_mutations').count(), 0);
  });
});

describe('authentication callbacks', () => {
  afterEach(cleanup);

  it('calls authenticationExpiringSoon once when the session ends within 5 minutes; a fresh token renews it', async () => {
    const user = unique('soon');
    const calls: number[] = [];
    const db: TestDb = await newDb(unique('soon'), {
      authenticationExpiringSoon: async (secondsRemaining) => {
        calls.push(secondsRemaining);
        await providerLogin(db, user, 3600);
      },
    });
    await providerLogin(db, user, 200);
    await eventually(() => {
      const end = db.cloud.currentUser.value.refreshTokenExpiration?.getTime() ?? 0;
      return calls.length === 1 && end - Date.now() > 1000 * 1000;
    });
    assert.ok(calls[0]! > 0 && calls[0]! <= 200, String(calls[0]));
    await db.friends.add({ name: 'Renewed', age: 1 });
    await settled(db);
    assert.equal(await db.table('$friends_mutations').count(), 0);
    assert.deepEqual(calls.length, 1);
  });

  it('calls authenticationRequired when the session was revoked, and syncs again after its login', async () => {
    const user = unique('bob');
    let calls = 0;
    const db: TestDb = await newDb(unique('required'), {
      authenticationRequired: async () => {
        calls++;
        await providerLogin(db, user);
      },
    });
    await providerLogin(db, user);
    await settled(db);
    const before = await storedLogin(db);
    // Another device (or an admin) ends the session.
    const res = await fetch(`${await databaseUrl()}/logout`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: before.refreshToken }),
    });
    assert.equal(res.status, 200);
    await db.friends.add({ name: 'AfterRevoke', age: 1 });
    await settled(db);
    assert.equal(calls, 1);
    assert.equal(await db.table('$friends_mutations').count(), 0);
    assert.notEqual((await storedLogin(db)).refreshToken, before.refreshToken);
    assert.equal(db.cloud.currentUserId, user);
  });

  it('without authenticationRequired, pauses in needs-auth and keeps local data usable', async () => {
    const user = unique('carl');
    const db = await newDb(unique('no-callback'));
    await providerLogin(db, user);
    await db.friends.add({ name: 'Synced', age: 1 });
    await settled(db);
    const { refreshToken } = await storedLogin(db);
    await fetch(`${await databaseUrl()}/logout`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    await db.friends.add({ name: 'Local', age: 2 });
    const state = await waitFor(db.cloud.syncState, (s) => s.phase === 'error');
    assert.ok(isDxcError(state.error, 'needs-auth'), String(state.error));
    await db.friends.add({ name: 'StillLocal', age: 3 });
    assert.equal(await db.friends.count(), 3);
    assert.equal(await db.table('$friends_mutations').count(), 2);
    // The same user's next login sends what was queued.
    await providerLogin(db, user);
    await settled(db);
    assert.equal(await db.table('$friends_mutations').count(), 0);
  });

  it('refuses a login with a provider but no token', async () => {
    const db = await newDb(unique('half'));
    const error = await assert.rejects(db.cloud.login({ provider: TEST_PROVIDER }));
    assert.ok(isDxcError(error, 'config-invalid'), String(error));
    // The token alone is refused the same way.
    assert.ok(isDxcError(await assert.rejects(db.cloud.login({ token: demoToken('x', 60) })), 'config-invalid'));
  });
});
