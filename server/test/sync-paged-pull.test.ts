import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_PULL_PAGE_BYTES, type PullPage, type SyncRequest, type SyncResponse } from 'dxc/protocol';
import {
  changes,
  loginUser,
  op,
  postSync,
  ProtocolClient,
  startSyncServer,
  syncRequest,
  type TestServer,
  type TestUser,
} from './helpers/sync-helpers.js';

/** A ProtocolClient that asks for pages of `pageRows` rows and records every answer. */
class PagingClient extends ProtocolClient {
  readonly pages: SyncResponse[] = [];
  page: PullPage | undefined;

  constructor(
    server: TestServer,
    user: TestUser,
    readonly pageRows: number,
  ) {
    super(server, user);
  }

  /** One round trip, going on from the previous page if there is one. */
  async step(): Promise<SyncResponse> {
    const request: SyncRequest = syncRequest({
      ...(this.lastPull ? { lastPull: this.lastPull } : {}),
      ...(this.dbId ? { dbID: this.dbId } : {}),
      dxcPageRows: this.pageRows,
      ...(this.page ? { dxcPage: this.page } : {}),
    });
    const answer = await postSync(this.server, request, { token: this.user!.token });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const response = answer.body as SyncResponse;
    this.apply(response.changes);
    this.pages.push(response);
    this.page = response.dxcPage;
    // Like the dxc client: the cursor moves only when the pull is complete.
    if (!response.dxcPage) {
      this.lastPull = { serverRevision: response.serverRevision, realms: response.realms, inviteRealms: response.inviteRealms };
    }
    this.dbId = response.dbId;
    return response;
  }

  /** Pages until the pull is complete. */
  async pullAll(): Promise<void> {
    do await this.step();
    while (this.page);
  }
}

const rowCount = (response: SyncResponse) => response.changes.reduce((n, set) => n + set.muts.reduce((m, mut) => m + mut.keys.length, 0), 0);
const note = (user: TestUser, id: string, extra: object = {}) => ({ id, text: `note ${id}`, realmId: user.userId, owner: user.userId, ...extra });

describe('POST /sync: paged pulls (dxcPageRows, dxc extension)', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  const keys = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);

  before(async () => {
    server = await startSyncServer();
    alice = await loginUser(server, 'alice-pages@example.com');
    bob = await loginUser(server, 'bob-pages@example.com');
    const writer = new ProtocolClient(server, alice);
    // Three commits of 5, 7 and 3 rows: pages of 4 rows cut through each of them.
    for (const [prefix, count] of [['a', 5], ['b', 7], ['c', 3]] as const) {
      const ids = keys(prefix, count);
      await writer.sync(changes('notes', op.upsert(ids, ids.map((id) => note(alice, id)))));
    }
  });
  after(() => server.close());

  test('a first pull in pages brings every row once, and the last page brings the client to the revision it began at', async () => {
    const device = new PagingClient(server, alice, 4);
    await device.pullAll();
    const { pages } = device;
    assert.equal(pages.length, 4);
    assert.deepEqual(pages.map(rowCount), [4, 4, 4, 3]);
    assert.deepEqual(pages.map((page) => page.dxcRemaining), [11, 7, 3, 0]);
    const sent = pages.flatMap((page) => page.changes.flatMap((set) => set.muts.flatMap((mut) => mut.keys)));
    assert.equal(new Set(sent).size, sent.length, 'no row twice');
    assert.deepEqual(device.keys('notes'), [...keys('a', 5), ...keys('b', 7), ...keys('c', 3)]);
    // Until the last page the answer keeps the client's old place; the last one moves it.
    const whole = await new ProtocolClient(server, alice).sync();
    assert.ok(pages.slice(0, -1).every((page) => page.realms.length === 0));
    assert.equal(pages.at(-1)!.serverRevision, whole.serverRevision);
    assert.deepEqual(pages.at(-1)!.realms, whole.realms);
  });

  test('a write made while the pages go out arrives with the next pull, and nothing is lost', async () => {
    const device = new PagingClient(server, alice, 4);
    await device.step();
    const writer = new ProtocolClient(server, alice);
    await writer.sync();
    // One row the device has, one it has not had yet, one new row and one deletion.
    await writer.sync(
      changes(
        'notes',
        op.upsert(['a00', 'c01', 'late'], [note(alice, 'a00', { text: 'edited' }), note(alice, 'c01', { text: 'edited' }), note(alice, 'late')]),
        op.delete(['b03']),
      ),
    );
    await device.pullAll();
    const paged = device.pages.flatMap((page) => page.changes.flatMap((set) => set.muts.flatMap((mut) => mut.keys)));
    assert.ok(!paged.includes('late'), 'rows changed after the pull began are not in its pages');
    assert.equal(device.row('notes', 'c01'), undefined, 'c01 changed after the pull began: it comes with the next pull');
    await device.sync();
    const everything = new ProtocolClient(server, alice);
    await everything.sync();
    assert.deepEqual(device.replica, everything.replica);
    assert.equal(device.row('notes', 'a00').text, 'edited');
    assert.equal(device.row('notes', 'c01').text, 'edited');
    assert.equal(device.row('notes', 'b03'), undefined);
    assert.ok(device.row('notes', 'late'));
  });

  test('a device that knows its realm pages only what changed after its cursor', async () => {
    const device = new PagingClient(server, alice, 2);
    await device.pullAll();
    const writer = new ProtocolClient(server, alice);
    await writer.sync();
    const ids = keys('d', 5);
    await writer.sync(changes('notes', op.upsert(ids, ids.map((id) => note(alice, id)))));
    device.pages.length = 0;
    await device.pullAll();
    assert.deepEqual(device.pages.map(rowCount), [2, 2, 1]);
    assert.deepEqual(device.pages.map((page) => page.dxcRemaining), [3, 1, 0]);
    assert.ok(ids.every((id) => device.row('notes', id)));
  });

  test('checks the realms on every page: a page naming another user\'s realm sends nothing of it', async () => {
    const device = new PagingClient(server, alice, 3);
    await device.step();
    const stolen = device.page!;
    assert.ok(stolen.fresh.includes(alice.userId));
    const answer = await postSync(server, syncRequest({ dxcPageRows: 3, dxcPage: stolen }), { token: bob.token });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.changes, []);
    assert.ok(!answer.body.realms.includes(alice.userId));
  });

  test('a page from beyond the current revision (a replaced database) starts the pull over', async () => {
    const device = new PagingClient(server, alice, 4);
    await device.step();
    device.page = { ...device.page!, head: device.page!.head + 1000, after: [device.page!.head + 999, 'notes', 'zzz'] };
    await device.pullAll();
    const everything = new ProtocolClient(server, alice);
    await everything.sync();
    assert.deepEqual(device.replica, everything.replica);
  });

  test('a page holds at most MAX_PULL_PAGE_BYTES of row values, and at least one row', async () => {
    const carol = await loginUser(server, 'carol-pages@example.com');
    const writer = new ProtocolClient(server, carol);
    await writer.sync();
    const big = 'x'.repeat(900 * 1024);
    const ids = keys('big', 6);
    await writer.sync(changes('notes', op.upsert(ids, ids.map((id) => note(carol, id, { text: big })))));
    const device = new PagingClient(server, carol, 100);
    await device.pullAll();
    const perPage = Math.floor(MAX_PULL_PAGE_BYTES / (900 * 1024));
    assert.deepEqual(device.pages.map(rowCount), [perPage, 6 - perPage]);
    assert.equal(device.keys('notes').length, 6);
  });

  test('refuses a malformed page request with a typed 400, and stores nothing', async () => {
    const before = await new ProtocolClient(server, alice).sync();
    const head = Number(before.serverRevision);
    const page = { head, cursor: null, known: [], fresh: [alice.userId], after: [1, 'notes', 'a00'] };
    // Deliberately ill-typed: what a broken or hostile client could send.
    const bad: [string, Record<string, unknown>][] = [
      ['dxcPageRows 0', { dxcPageRows: 0 }],
      ['dxcPageRows too large', { dxcPageRows: 50_001 }],
      ['dxcPageRows not a number', { dxcPageRows: '10' }],
      ['dxcPage not an object', { dxcPageRows: 5, dxcPage: 'next' }],
      ['head not a revision', { dxcPageRows: 5, dxcPage: { ...page, head: -1 } }],
      ['cursor past head', { dxcPageRows: 5, dxcPage: { ...page, cursor: head + 1 } }],
      ['realms not strings', { dxcPageRows: 5, dxcPage: { ...page, fresh: [1] } }],
      ['after too short', { dxcPageRows: 5, dxcPage: { ...page, after: [1, 'notes'] } }],
      ['after with a bad table', { dxcPageRows: 5, dxcPage: { ...page, after: [1, 'no such table!', 'a'] } }],
      ['after with a NUL in the key', { dxcPageRows: 5, dxcPage: { ...page, after: [1, 'notes', 'a\u0000'] } }],
    ];
    for (const [what, fields] of bad) {
      const answer = await postSync(
        server,
        syncRequest({ ...fields, changes: changes('notes', op.upsert(['refused'], [note(alice, 'refused')])) } as unknown as Partial<SyncRequest>),
        { token: alice.token },
      );
      assert.equal(answer.status, 400, what);
      assert.equal(answer.body.error, what === 'after with a bad table' ? 'invalid-table' : 'invalid-request', what);
    }
    const after = await new ProtocolClient(server, alice).sync();
    assert.equal(after.serverRevision, before.serverRevision, 'nothing was stored');
  });

  test('a client that asks for no pages (the official addon) gets every change in one answer', async () => {
    const whole = await new ProtocolClient(server, alice).sync();
    assert.equal(whole.dxcPage, undefined);
    assert.equal(whole.dxcRemaining, undefined);
    assert.ok(rowCount(whole) >= 15);
  });
});
