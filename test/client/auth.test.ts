import { isDxcError } from '../../src/client/index.js';
import { assert } from '../helpers/assert.js';
import {
  advanceClocks,
  cleanup,
  control,
  customAuth,
  eventually,
  latestOtp,
  nextInteraction,
  newDb,
  newUserDb,
  settled,
  unique,
  uniqueEmail,
  waitFor,
} from '../helpers/client-helpers.js';

/** Count requests to the sync server by path while `fn` runs. */
function countRequests(): { counts: Record<string, number>; restore(): void } {
  const original = window.fetch;
  const counts: Record<string, number> = {};
  window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const path = new URL(input instanceof Request ? input.url : String(input), location.href).pathname;
    counts[path] = (counts[path] ?? 0) + 1;
    return original(input, init);
  };
  return { counts, restore: () => void (window.fetch = original) };
}

/** Requests to the sync server by path while `work` runs. */
async function requestsDuring(work: () => Promise<unknown>): Promise<Record<string, number>> {
  const requests = countRequests();
  try {
    await work();
  } finally {
    requests.restore();
  }
  return requests.counts;
}

/** Write a row and wait until it is synced. */
async function writeAndSettle(db: Awaited<ReturnType<typeof newUserDb>>, name: string): Promise<void> {
  await db.friends.add({ name, age: 1 });
  await settled(db);
}

describe('login with a one-time code', () => {
  afterEach(cleanup);

  it('prompts for email and code, re-prompts on a wrong code, and stores a non-extractable key', async () => {
    const email = uniqueEmail('otp');
    const db = await newDb(unique('otp'));
    const done = db.cloud.login();
    const emailPrompt = await nextInteraction(db, 'email');
    assert.equal(emailPrompt.fields.email?.type, 'email');
    assert.equal(emailPrompt.cancelLabel, 'Cancel');
    emailPrompt.onSubmit({ email });
    const otpPrompt = await nextInteraction(db, 'otp');
    assert.equal(otpPrompt.alerts[0]?.messageCode, 'OTP_SENT');
    assert.equal(otpPrompt.alerts[0]?.messageParams.email, email);
    const code = await eventually(() => latestOtp(email));
    otpPrompt.onSubmit({ otp: code === '00000000' ? '11111111' : '00000000' });
    const again = await waitFor(db.cloud.userInteraction, (ui) => ui?.type === 'otp' && ui !== otpPrompt);
    assert.ok(again!.alerts.some((a) => a.type === 'error' && a.messageCode === 'INVALID_OTP'));
    again!.onSubmit({ otp: code });
    await done;
    assert.equal(db.cloud.userInteraction.value, undefined);
    const user = db.cloud.currentUser.value;
    assert.ok(user.isLoggedIn);
    assert.equal(user.email, email);
    assert.match(db.cloud.currentUserId, /\S/);
    const [login] = await db.table('$logins').toArray();
    assert.ok(login.nonExportablePrivateKey instanceof CryptoKey);
    assert.equal(login.nonExportablePrivateKey.extractable, false);
    assert.equal(login.nonExportablePrivateKey.algorithm.name, 'RSASSA-PKCS1-v1_5');
    await settled(db);
    assert.ok(db.cloud.persistedSyncState.value?.realms.includes(db.cloud.currentUserId));
  });

  it('rejects with user-cancelled when the prompt is cancelled', async () => {
    const db = await newDb(unique('cancel'));
    const done = db.cloud.login();
    (await nextInteraction(db, 'email')).onCancel();
    const error = await assert.rejects(done);
    assert.ok(isDxcError(error, 'user-cancelled'), String(error));
    assert.equal(db.cloud.userInteraction.value, undefined);
    assert.equal(db.cloud.currentUserId, 'unauthorized');
  });

  it('re-prompts for an invalid email address', async () => {
    const db = await newDb(unique('bademail'));
    const done = db.cloud.login();
    (await nextInteraction(db, 'email')).onSubmit({ email: 'not-an-address' });
    const again = await waitFor(db.cloud.userInteraction, (ui) => ui?.type === 'email' && ui.alerts.length > 0);
    assert.equal(again!.alerts[0]?.messageCode, 'INVALID_EMAIL');
    again!.onCancel();
    await assert.rejects(done);
  });
});

describe('custom authentication and tokens', () => {
  afterEach(cleanup);

  it('logs in through fetchTokens with a key bound to this device', async () => {
    const email = uniqueEmail('custom');
    let seenKey = '';
    const db = await newDb(unique('custom'), {
      fetchTokens: async (params) => {
        seenKey = params.public_key;
        return customAuth(email)(params);
      },
    });
    await db.cloud.login();
    assert.match(seenKey, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----$/);
    assert.equal(db.cloud.currentUser.value.email, email);
    await db.friends.add({ name: 'Custom', age: 1 });
    await settled(db);
  });

  it('refreshes an access token that is about to expire, with a signed refresh token', async () => {
    const email = uniqueEmail('refresh');
    const db = await newUserDb(unique('refresh'), email);
    await db.cloud.login();
    await settled(db);
    const before = db.cloud.currentUser.value.accessToken;
    const restore = await advanceClocks(2 * 3600 * 1000);
    try {
      const counts = await requestsDuring(() => writeAndSettle(db, 'Later'));
      assert.equal(counts['/token'], 1, JSON.stringify(counts));
      const after = db.cloud.currentUser.value.accessToken;
      assert.ok(after && after !== before);
      assert.equal(await db.table('$friends_mutations').count(), 0);
    } finally {
      await restore();
    }
  });

  it('refreshes the access token in its last five minutes (TOKEN_REFRESH_MARGIN_MS), not before', async () => {
    const db = await newUserDb(unique('margin'), uniqueEmail('margin'));
    await db.cloud.login();
    await settled(db);
    const before = db.cloud.currentUser.value.accessToken;
    const left = db.cloud.currentUser.value.accessTokenExpiration!.getTime() - Date.now();
    const restoreEarly = await advanceClocks(left - 10 * 60_000);
    try {
      const early = await requestsDuring(() => writeAndSettle(db, 'Ten minutes left'));
      assert.equal(early['/token'] ?? 0, 0, 'ten minutes before expiry the token is used as it is');
      const restoreLate = await advanceClocks(6 * 60_000);
      try {
        const late = await requestsDuring(() => writeAndSettle(db, 'Four minutes left'));
        assert.equal(late['/token'], 1, 'four minutes before expiry it is refreshed first');
        assert.notEqual(db.cloud.currentUser.value.accessToken, before);
      } finally {
        await restoreLate();
      }
    } finally {
      await restoreEarly();
    }
  });

  it('logs the user that requireAuth names in while the database opens, and switches when another one is current', async () => {
    const name = unique('hints');
    const byHint: NonNullable<Parameters<typeof newDb>[1]['fetchTokens']> = async ({ public_key, hints }) =>
      control('custom-auth/token', 'POST', { public_key, email: hints?.email });
    const first = uniqueEmail('hint-a');
    const second = uniqueEmail('hint-b');
    const db = await newDb(name, { fetchTokens: byHint, requireAuth: { email: first } });
    await db.open();
    assert.equal(db.cloud.currentUser.value.email, first);
    db.close();
    const again = await newDb(name, { fetchTokens: byHint, requireAuth: { email: second } });
    await again.open();
    assert.equal(again.cloud.currentUser.value.email, second);
    assert.notEqual(again.cloud.currentUserId, db.cloud.currentUserId);
  });

  it('refreshes once for all tabs of a database', async () => {
    const email = uniqueEmail('tabs-refresh');
    const name = unique('tabs-refresh');
    const tab1 = await newUserDb(name, email);
    const tab2 = await newUserDb(name, email);
    await tab1.cloud.login();
    await settled(tab1);
    await tab2.open();
    await waitFor(tab2.cloud.currentUser, (u) => !!u.isLoggedIn);
    const restore = await advanceClocks(2 * 3600 * 1000);
    const requests = countRequests();
    try {
      await Promise.all([tab1.cloud.sync({ purpose: 'pull' }), tab2.cloud.sync({ purpose: 'pull' })]);
      assert.equal(requests.counts['/token'], 1, JSON.stringify(requests.counts));
      assert.equal(tab1.cloud.currentUser.value.accessToken, tab2.cloud.currentUser.value.accessToken);
    } finally {
      requests.restore();
      await restore();
    }
  });

  it('keeps writing while offline with an expired token, and refreshes once the server is back', async () => {
    const db = await newUserDb(unique('expired-offline'), uniqueEmail('expired'));
    await db.cloud.login();
    await settled(db);
    const before = db.cloud.currentUser.value.accessToken;
    const restore = await advanceClocks(2 * 3600 * 1000);
    try {
      await control('server/stop');
      try {
        await db.friends.add({ name: 'WhileExpired', age: 1 });
        await db.friends.add({ name: 'StillWriting', age: 2 });
        const state = await waitFor(db.cloud.syncState, (s) => s.phase === 'offline');
        assert.equal(state.status, 'offline');
        assert.equal(await db.friends.count(), 2);
      } finally {
        await control('server/start');
      }
      await settled(db);
      assert.notEqual(db.cloud.currentUser.value.accessToken, before);
      assert.equal(await db.table('$friends_mutations').count(), 0);
    } finally {
      await restore();
    }
  });

  it('stops at needs-auth, without a request loop, when the refresh token is revoked; a new login resumes', async () => {
    const email = uniqueEmail('revoked');
    const db = await newUserDb(unique('revoked'), email);
    await db.cloud.login();
    await settled(db);
    await control(`revoke?userId=${encodeURIComponent(db.cloud.currentUserId)}`);
    const requests = countRequests();
    try {
      await db.friends.add({ name: 'Queued1', age: 1 });
      const state = await waitFor(db.cloud.syncState, (s) => s.phase === 'error');
      assert.ok(isDxcError(state.error, 'needs-auth'), String(state.error));
      const tokenCalls = requests.counts['/token'];
      // More writes and explicit syncs must not hit the server again until the user logs in.
      await db.friends.add({ name: 'Queued2', age: 2 });
      const error = await assert.rejects(db.cloud.sync());
      assert.ok(isDxcError(error, 'needs-auth'));
      await db.friends.add({ name: 'Queued3', age: 3 });
      assert.equal(requests.counts['/token'], tokenCalls);
      assert.equal(tokenCalls, 1);
      assert.equal(await db.table('$friends_mutations').count(), 3);
    } finally {
      requests.restore();
    }
    await db.cloud.login();
    await settled(db);
    assert.equal(await db.table('$friends_mutations').count(), 0);
    const other = await newUserDb(unique('revokedB'), email);
    await other.cloud.login();
    await settled(other);
    assert.equal(await other.friends.count(), 3);
  });
});

describe('logout', () => {
  afterEach(cleanup);

  it('clears synced data and credentials but keeps local-only tables', async () => {
    const db = await newUserDb(unique('logout'), uniqueEmail('logout'), { unsyncedTables: ['notes'] });
    await db.cloud.login();
    await db.friends.add({ name: 'Gone', age: 1 });
    await db.notes.put({ id: 'n', text: 'kept' });
    await settled(db);
    await db.cloud.logout();
    assert.equal(db.cloud.currentUserId, 'unauthorized');
    assert.equal(db.cloud.currentUser.value.isLoggedIn, undefined);
    assert.equal(await db.friends.count(), 0);
    assert.equal(await db.table('$logins').count(), 0);
    assert.equal(await db.notes.count(), 1);
  });

  it('asks before throwing away unsynced changes; cancel keeps them, force skips the question', async () => {
    const db = await newUserDb(unique('pending'), uniqueEmail('pending'), { disableEagerSync: true, disableWebSocket: true });
    await db.cloud.login();
    await settled(db);
    await db.friends.bulkAdd([{ name: 'P1', age: 1 }, { name: 'P2', age: 2 }]);
    const first = db.cloud.logout();
    const question = await nextInteraction(db, 'logout-confirmation');
    assert.equal(question.alerts[0]?.messageCode, 'LOGOUT_CONFIRMATION');
    assert.equal(question.alerts[0]?.messageParams.numUnsyncedChanges, '1');
    question.onCancel();
    await first;
    assert.ok(db.cloud.currentUser.value.isLoggedIn);
    assert.equal(await db.friends.count(), 2);

    const second = db.cloud.logout();
    (await nextInteraction(db, 'logout-confirmation')).onSubmit({});
    await second;
    assert.equal(await db.friends.count(), 0);
    assert.equal(db.cloud.currentUserId, 'unauthorized');

    await db.cloud.login();
    await db.friends.add({ name: 'P3', age: 3 });
    let prompted = false;
    const sub = db.cloud.userInteraction.subscribe((ui) => (prompted ||= !!ui));
    await db.cloud.logout({ force: true });
    sub.unsubscribe();
    assert.equal(prompted, false);
    assert.equal(await db.friends.count(), 0);
  });

  it('clears the previous account before another user logs in on the same device', async () => {
    const first = uniqueEmail('first');
    const second = uniqueEmail('second');
    let who = first;
    const db = await newDb(unique('switch'), { fetchTokens: (params) => customAuth(who)(params) });
    await db.cloud.login();
    await db.friends.add({ name: 'FirstUsers', age: 1 });
    await settled(db);
    who = second;
    await db.cloud.login({ email: second });
    assert.equal(db.cloud.currentUser.value.email, second);
    await settled(db);
    assert.equal(await db.friends.count(), 0);
  });
});
